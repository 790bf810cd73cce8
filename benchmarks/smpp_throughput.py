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
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def daemon_config(state: Path, port: int, window: int) -> Path:
    config = state / "gateway.toml"
    config.write_text(f"""
[gateway]
state_directory = "{state}"
[logging]
level = "warning"
format = "json"
[parser]
mapping = "{REPO / 'config' / 'regions.yaml'}"
[forwarder]
concurrency = 200
[channels.smpp]
enabled = true
[[channels.smpp.binds]]
port = {port}
window = {window}
submit_per_second = 100000.0
response_timeout_s = 60.0
""")
    return config


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--messages", type=int, default=50_000)
    options.add_argument("--window", type=int, default=100)
    args = options.parse_args()
    env = {**os.environ, "PYTHONPATH": str(REPO), "LAPOR_SMPP_PASSWORD": "bench"}
    with tempfile.TemporaryDirectory() as tmp:
        smsc = subprocess.Popen([sys.executable, str(REPO / "benchmarks" / "smsc_load.py"),
                                 str(args.messages), str(args.window)], stdout=subprocess.PIPE,
                                text=True, env=env)
        port = json.loads(smsc.stdout.readline())["port"]
        daemon = subprocess.Popen([sys.executable, "-m", "gateway", "run", "--config",
                                   str(daemon_config(Path(tmp), port, args.window))],
                                  cwd=REPO, env=env, stdout=open(Path(tmp) / "daemon.log", "w"))
        profiler = os.environ.get("BENCH_PROFILE")  # py-spy samples of the daemon, if asked
        if profiler:
            subprocess.Popen(["py-spy", "record", "--pid", str(daemon.pid), "--duration", "6", "--rate",
                              "200", "--format", "raw", "--threads", "-o", profiler])
        try:
            json.loads(smsc.stdout.readline())   # all acknowledged (figures repeated below)
            done = json.loads(smsc.stdout.readline())
            rss = peak_rss_mb(daemon.pid)
            cpu = {"gateway": cpu_seconds(daemon.pid), "smsc": cpu_seconds(smsc.pid)}
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(60)
            smsc.kill()
            if os.environ.get("BENCH_SHOW_LOG"):
                Path(os.environ["BENCH_SHOW_LOG"]).write_text((Path(tmp) / "daemon.log").read_text())
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
