"""The gateway row of `benchmarks/kannel_peer` alone — the same load-mode SMSC, MOs,
window, HTTP case store and info logs — for quick iteration on the hot path; with
`--profile FILE` a py-spy sample of the daemon (raw format) taken mid-run. The daemon's
resident memory is sampled through the run: its peak in the first half and overall
(`--messages 200000` for issue 13's memory target).

    .venv/bin/python benchmarks/gateway_cycle.py [--messages 20000] [--profile /tmp/p.txt]

Prints `name value` lines (the kannel_peer row's figures, without Kannel).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support import gateway_run  # noqa: E402
from support.kannel_peer import ROW_FIGURES, _value  # noqa: E402
from support.processes import BenchError, ProcessGroup  # noqa: E402


def find_py_spy() -> str:
    """py-spy is not one of the project's dependencies: `--profile` needs it installed
    (`.venv/bin/pip install py-spy`)."""
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(found).exists():
        raise BenchError("--profile needs py-spy: .venv/bin/pip install py-spy")
    return found


def profile_when_started(group: ProcessGroup, out: Path, delay_s: float, duration_s: float) -> None:
    """Attach py-spy to the gateway daemon once it runs, after `delay_s`."""
    py_spy = find_py_spy()

    def attach():
        proc = group.wait_for_process("gateway", 60)
        threading.Event().wait(delay_s)
        subprocess.run([py_spy, "record", "--pid", str(proc.pid), "--duration", str(int(duration_s)),
                        "--rate", "200", "--format", "raw", "--threads", "-o", str(out)],
                       capture_output=True, timeout=duration_s + 60)
    threading.Thread(target=attach, daemon=True).start()


class RssSampler:
    """The daemon's resident memory (VmRSS) every `every_s` while it runs: to see whether
    it grows between the middle and the end of a long run (issue 13: ≤ 10 %)."""

    def __init__(self, group: ProcessGroup, every_s: float = 2.0):
        self.samples: list[float] = []
        self._stop = threading.Event()

        def sample():
            proc = group.wait_for_process("gateway", 60)
            while not self._stop.wait(every_s):
                try:
                    text = Path(f"/proc/{proc.pid}/status").read_text()
                except OSError:
                    return
                self.samples += [int(line.split()[1]) / 1024 for line in text.splitlines()
                                 if line.startswith("VmRSS:")]
        threading.Thread(target=sample, daemon=True).start()

    def figures(self) -> dict:
        self._stop.set()
        if len(self.samples) < 4:
            return {}
        half = len(self.samples) // 2
        middle, end = max(self.samples[:half]), max(self.samples)
        return {"rss_mid_mb": round(middle, 1), "rss_end_mb": round(end, 1),
                "rss_growth_second_half": round(end / middle - 1, 3)}


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--messages", type=int, default=20_000)
    options.add_argument("--window", type=int, default=100)
    options.add_argument("--timeout", type=float, default=600.0)
    options.add_argument("--profile", type=Path, help="py-spy raw samples of the daemon, mid-run")
    options.add_argument("--profile-delay", type=float, default=3.0)
    options.add_argument("--profile-seconds", type=float, default=8.0)
    args = options.parse_args()
    with tempfile.TemporaryDirectory(prefix="gateway-cycle-") as tmp:
        try:
            with ProcessGroup(Path(tmp)) as group:
                if args.profile:
                    profile_when_started(group, args.profile, args.profile_delay, args.profile_seconds)
                rss = RssSampler(group)
                row = gateway_run.run_gateway(group, Path(tmp) / "gateway", args.messages, args.window,
                                              args.timeout)
                row.update(rss.figures())
        except BenchError as exc:
            print(f"gateway_cycle: {exc}", file=sys.stderr)
            return 1
    print(f"messages {args.messages}")
    print("\n".join(f"gateway_{figure} {_value(row.get(figure))}" for figure in ROW_FIGURES))
    for figure in ("rss_mid_mb", "rss_end_mb", "rss_growth_second_half"):
        if figure in row:
            print(f"gateway_{figure} {row[figure]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
