"""SMS throughput: N MOs (default 50,000) from the bundled SMSC through the real gateway
daemon, each in its own process, and the figures the SMSC and the daemon saw.

    .venv/bin/python benchmarks/smpp_throughput.py [--messages 50000] [--window 100]

Prints `name value` lines:
  mo_acknowledged_per_s      logical MOs acknowledged (deliver_sm_resp ESME_ROK, i.e.
                             committed) per second, first deliver_sm to last ack
  complaints_per_s_end_to_end  complaints whose reply submit_sm reached the SMSC, per second
                             (committed, parsed, forwarded to the embedded case store,
                             reply queued and submitted)
  ack_latency_p50_ms / ack_latency_p99_ms   deliver_sm → deliver_sm_resp, at the SMSC
  gateway_peak_rss_mb        the daemon's peak resident memory (VmHWM)
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support.gateway_run import daemon_config, start_gateway  # noqa: E402
from support.load_runs import REPO, python_env  # noqa: E402
from support.processes import ProcessGroup, cpu_seconds, peak_rss_mb  # noqa: E402

#: The SMSC side: the ordinary simulator with long and UCS-2 MOs (not the load mode),
#: so that these figures stay comparable with those docs/performance.md lists.
SMSC = REPO / "benchmarks" / "support" / "gateway_smsc.py"
TIMEOUT_S = 1800


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--messages", type=int, default=50_000)
    options.add_argument("--window", type=int, default=100)
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ProcessGroup(Path(tmp), grace=60) as group:
        smsc = group.start("smsc", [sys.executable, str(SMSC), str(args.messages), str(args.window)],
                           env=python_env(), cwd=REPO, read_stdout=True)
        port = smsc.lines.expect("listening", 60)["port"]
        daemon = start_gateway(group, daemon_config(Path(tmp), port, args.window))
        profiler = os.environ.get("BENCH_PROFILE")  # py-spy samples of the daemon, if asked
        if profiler:
            subprocess.Popen(["py-spy", "record", "--pid", str(daemon.pid), "--duration", "6", "--rate",
                              "200", "--format", "raw", "--threads", "-o", profiler])
        try:
            smsc.lines.expect("acknowledged", TIMEOUT_S)   # (figures repeated in "done")
            done = smsc.lines.expect("done", TIMEOUT_S)
            rss = peak_rss_mb(daemon.pid)
            cpu = {"gateway": cpu_seconds(daemon.pid), "smsc": cpu_seconds(smsc.pid)}
        finally:
            group.stop(daemon)
            if os.environ.get("BENCH_SHOW_LOG"):
                Path(os.environ["BENCH_SHOW_LOG"]).write_text((Path(tmp) / "gateway.log").read_text())
    print(f"messages {done['mo']}")
    print(f"mo_acknowledged_per_s {done['mo'] / done['ack_seconds']:.0f}")
    print(f"complaints_per_s_end_to_end {done['mo'] / done['reply_seconds']:.0f}")
    print(f"ack_latency_p50_ms {done['ack_p50_ms']:.1f}")
    print(f"ack_latency_p99_ms {done['ack_p99_ms']:.1f}")
    print(f"gateway_peak_rss_mb {rss:.0f}")
    print(f"redeliveries {done['redeliveries']}")
    print(f"cpu_share_gateway {cpu['gateway'] / done['reply_seconds']:.2f}")
    print(f"cpu_share_smsc {cpu['smsc'] / done['reply_seconds']:.2f}")


if __name__ == "__main__":
    main()
