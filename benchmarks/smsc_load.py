"""The load generator's ceiling: the simulator's load mode (`smsc-sim --load`,
pre-encoded MOs, window 100) against a trivial ESME that binds and acknowledges at
once, each in its own process. Prints `name value` lines:

  mo_per_s                   MOs acknowledged per second, first deliver_sm to last ack
  ack_latency_p50_ms / _p99  deliver_sm written -> its deliver_sm_resp read

    .venv/bin/python benchmarks/smsc_load.py [--messages 200000] [--window 100]

Whatever is measured against the load mode must stay well below this, or the
generator, not the peer, is what the figure shows.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support.load_runs import measure_ceiling  # noqa: E402
from support.processes import BenchError, ProcessGroup  # noqa: E402


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--messages", type=int, default=200_000)
    options.add_argument("--window", type=int, default=100)
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as folder, ProcessGroup(Path(folder)) as group:
        try:
            summary = measure_ceiling(group, args.messages, args.window)
        except BenchError as exc:
            print(f"smsc_load: {exc}", file=sys.stderr)
            return 1
    print(f"messages {summary['mo_acked']}")
    print(f"mo_per_s {summary['mo_per_s']:.0f}")
    print(f"ack_latency_p50_ms {summary['ack_p50_ms']:.3f}")
    print(f"ack_latency_p99_ms {summary['ack_p99_ms']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
