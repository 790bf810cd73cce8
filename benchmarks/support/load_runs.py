"""The simulator's load mode as a benchmark process, and its ceiling: how many MOs a
second it delivers to the trivial ESME (gateway/smsc_sim/ack_esme.py), each in its
own process so that neither shares a core's GIL with the other.

Every peer measured against the load mode must stay well below that ceiling, or the
generator, not the peer, would be measured.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from support.processes import BenchError, ProcessGroup

REPO = Path(__file__).resolve().parents[2]
SYSTEM_ID, PASSWORD = "lapor", "bench"


def python_env(**extra: str) -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), **extra}


def start_load_smsc(group: ProcessGroup, name: str, count: int, *, window: int = 100,
                    wait_cycles: bool = False, receipt_delay: float = 0.0,
                    duration: float = 600.0, seed: int = 1708, port: int = 0,
                    options: tuple[str, ...] = ()):
    """The load-mode simulator on `port` (0: a free one), with more smsc-sim `options`;
    returns (process, port). Its summary: `summary_of(proc, timeout)`."""
    argv = [sys.executable, "-m", "gateway", "smsc-sim", "--load", "--port", str(port),
            "--count", str(count), "--window", str(window), "--seed", str(seed),
            "--system-id", SYSTEM_ID, "--password", PASSWORD,
            "--receipt-delay", str(receipt_delay), "--duration", str(duration),
            "--status-interval", "0", *options]
    if wait_cycles:
        argv.append("--wait-cycles")
    proc = group.start(name, argv, env=python_env(), cwd=REPO, read_stdout=True)
    hello = proc.lines.expect("smsc-sim listening", 60)
    return proc, hello["port"]


def summary_of(proc, timeout: float) -> dict:
    summary = proc.lines.expect("smsc-sim summary", timeout)
    if not summary["complete"]:
        raise BenchError(f"the simulator stopped incomplete: {summary}")
    return summary


def measure_ceiling(group: ProcessGroup, count: int, window: int = 100,
                    timeout: float = 120.0) -> dict:
    """The load mode against the trivial ESME: the simulator's summary."""
    smsc, port = start_load_smsc(group, "ceiling-smsc", count, window=window, duration=timeout)
    esme = group.start("ceiling-esme", [sys.executable, "-m", "gateway.smsc_sim.ack_esme",
                                        "--port", str(port), "--system-id", SYSTEM_ID,
                                        "--password", PASSWORD, "--max-seconds", str(timeout)],
                       env=python_env(), cwd=REPO)
    summary = summary_of(smsc, timeout + 10)
    group.stop(smsc)
    group.stop(esme)
    return summary
