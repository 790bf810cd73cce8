"""SMS at Kannel's speed (issue 13): Kannel and lapor-gateway measured in one run
against the same load-mode SMSC, the same MOs and the same window, on 127.0.0.1.
Run it as `benchmarks/kannel_peer [--messages 20000]` (which installs Kannel first).

In order: the load generator's ceiling against the trivial ESME (what neither peer
can exceed here); Kannel (bearerbox + smsbox, support/kannel.py); the gateway
(support/gateway_run.py). Each row waits for every MO to be acknowledged and every
cycle to complete (MO -> reply submit_sm -> receipt acknowledged), within --timeout.

Prints `name value` lines (docs/performance.md, "Peer: Kannel", says how to read them);
exits 1 when anything could not be measured. Every process it started is ended
whatever happens; with --keep-logs DIR the logs of all of them are kept there.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.gateway_run import run_gateway  # noqa: E402
from support.kannel import run_kannel  # noqa: E402
from support.load_runs import measure_ceiling  # noqa: E402
from support.processes import BenchError, ProcessGroup  # noqa: E402

ROW_FIGURES = ("mo_per_s", "cycles_per_s", "ack_p50_ms", "ack_p99_ms", "cycle_p50_ms",
               "cycle_p99_ms", "rss_mb", "cpu_s", "smsc_cpu_s", "nacks", "redeliveries",
               "timeouts")


def _ratio(a, b) -> str:
    return f"{a / b:.3f}" if a and b else "nan"


def _value(value) -> str:
    if value is None:
        return "nan"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def report(args, ceiling: dict, kannel: dict, gateway: dict) -> list[str]:
    lines = [f"messages {args.messages}", f"window {args.window}",
             f"machine {platform.machine()}-{os.cpu_count()}cpu",
             f"ceiling_messages {ceiling['mo_acked']}",
             f"ceiling_mo_per_s {ceiling['mo_per_s']:.0f}",
             f"ceiling_ack_p50_ms {ceiling['ack_p50_ms']:.3f}",
             f"ceiling_ack_p99_ms {ceiling['ack_p99_ms']:.3f}"]
    for name, row in (("kannel", kannel), ("gateway", gateway)):
        lines += [f"{name}_{figure} {_value(row.get(figure))}" for figure in ROW_FIGURES]
    parts = kannel["rss_parts_mb"]
    lines += [f"kannel_rss_bearerbox_mb {parts['bearerbox']:.1f}",
              f"kannel_rss_smsbox_mb {parts['smsbox']:.1f}",
              f"kannel_app_mo_requests {kannel['app']['mo']}",
              f"kannel_app_dlr_requests {kannel['app']['dlr']}"]
    for figure in ("mo_per_s", "cycles_per_s", "ack_p99_ms", "cycle_p99_ms", "rss_mb", "cpu_s"):
        lines.append(f"ratio_{figure} {_ratio(gateway.get(figure), kannel.get(figure))}")
    return lines


def _tails(folder: Path) -> None:
    for log in sorted(folder.rglob("*.log")):
        text = log.read_text(errors="replace").strip().splitlines()[-4:]
        if text:
            print(f"--- {log.relative_to(folder)}", *text, sep="\n", file=sys.stderr)


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--messages", type=int, default=20_000, help="MOs per row")
    options.add_argument("--window", type=int, default=100, help="outstanding deliver_sm")
    options.add_argument("--ceiling-messages", type=int, default=200_000,
                         help="MOs for the generator's ceiling against the trivial ESME")
    options.add_argument("--timeout", type=float, default=900.0,
                         help="seconds each row may take before it counts as failed")
    options.add_argument("--keep-logs", type=Path, help="copy every process's log here")
    args = options.parse_args()
    with tempfile.TemporaryDirectory(prefix="kannel-peer-") as tmp:
        folder = Path(tmp)
        try:
            with ProcessGroup(folder) as group:
                ceiling = measure_ceiling(group, args.ceiling_messages, args.window)
                kannel = run_kannel(group, folder / "kannel", args.messages, args.window, args.timeout)
                gateway = run_gateway(group, folder / "gateway", args.messages, args.window,
                                      args.timeout)
        except BenchError as exc:
            print(f"kannel_peer: {exc}", file=sys.stderr)
            _tails(folder)
            return 1
        finally:
            if args.keep_logs:
                shutil.copytree(folder, args.keep_logs, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("*.store*", "*.db*"))
    print("\n".join(report(args, ceiling, kannel, gateway)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
