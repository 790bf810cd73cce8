"""The real gateway daemon as a benchmark process: its config file (SQLite in a temp
folder, one SMPP transceiver bind to the simulator) and its start.

benchmarks/smpp_throughput.py uses it with the embedded case store and warning logs;
benchmarks/kannel_peer with the HTTP case-store adapter and info logs, as shipped;
benchmarks/instances.py several of them over one PostgreSQL database.
"""
from __future__ import annotations

import sys
from pathlib import Path

from support.load_runs import PASSWORD, REPO, SYSTEM_ID, python_env, start_load_smsc, summary_of
from support.processes import BenchError, ProcessGroup, cpu_seconds, peak_rss_mb

FAKE_CASE_STORE = REPO / "tests" / "forwarder" / "fake_case_store.py"
FAKE_CASE_STORE_TOKEN = "test-case-store-token"   # the fake's; given as LAPOR_CASE_STORE_TOKEN


def daemon_config(state: Path, smsc_port: int, window: int, *, level: str = "warning",
                  forwarder: str = "concurrency = 200\n", gateway: str = "",
                  tables: str = "") -> Path:
    """gateway.toml in `state`: `forwarder` is the body of the [forwarder] table,
    `gateway` more keys of [gateway], `tables` more tables at the end."""
    config = state / "gateway.toml"
    config.write_text(f"""
[gateway]
state_directory = "{state}"
{gateway}
[logging]
level = "{level}"
format = "json"
[parser]
mapping = "{REPO / 'config' / 'regions.yaml'}"
[forwarder]
{forwarder}
[channels.smpp]
enabled = true
[[channels.smpp.binds]]
port = {smsc_port}
system_id = "{SYSTEM_ID}"
mode = "transceiver"
window = {window}
submit_per_second = 100000.0
response_timeout_s = 60.0
{tables}
""")
    return config


def start_gateway(group: ProcessGroup, config: Path, *, name: str = "gateway", **secrets: str):
    """`python -m gateway run --config` with the SMPP password (and `secrets`, as
    LAPOR_<NAME> variables) in its environment; its log goes to NAME.log."""
    env = python_env(LAPOR_SMPP_PASSWORD=PASSWORD,
                     **{f"LAPOR_{key.upper()}": value for key, value in secrets.items()})
    return group.start(name, [sys.executable, "-m", "gateway", "run", "--config", str(config)],
                       env=env, cwd=REPO)


def start_fake_case_store(group: ProcessGroup) -> str:
    """The fake central case store (docs/case-store-api.yaml; kept-alive HTTP/1.1
    connections, no added latency) in its own process; returns its base URL."""
    proc = group.start("case-store", [sys.executable, str(FAKE_CASE_STORE)], env=python_env(),
                       cwd=REPO, read_stdout=True)
    line = proc.lines.next(30, "its port")
    if not line.startswith("port "):
        raise BenchError(f"the fake case store did not start: {line!r}")
    return f"http://127.0.0.1:{int(line.split()[1])}"


def http_forwarder(base_url: str) -> str:
    """The [forwarder] body of the benchmarks' gateway rows: the HTTP JSON adapter,
    concurrency 50, to the fake case store at `base_url`."""
    return f'adapter = "http"\nconcurrency = 50\n[forwarder.http]\nbase_url = "{base_url}"\n'


def run_gateway(group: ProcessGroup, folder: Path, count: int, window: int, timeout: float) -> dict:
    """One gateway run of `count` MOs (every cycle waited for), forwarding to the fake
    case store over HTTP (adapter "http", concurrency 50), logging at info as shipped:
    the simulator's summary plus the daemon's `rss_mb` (VmHWM) and `cpu_s`, and the
    simulator's `smsc_cpu_s` (start-up included)."""
    folder.mkdir(parents=True, exist_ok=True)
    base_url = start_fake_case_store(group)
    smsc, port = start_load_smsc(group, "gateway-smsc", count, window=window,
                                 wait_cycles=True, duration=timeout)
    config = daemon_config(folder, port, window, level="info", forwarder=http_forwarder(base_url))
    gateway = start_gateway(group, config, case_store_token=FAKE_CASE_STORE_TOKEN)
    summary = summary_of(smsc, timeout + 30)
    summary["rss_mb"] = peak_rss_mb(gateway.pid)
    summary["cpu_s"] = cpu_seconds(gateway.pid)
    summary["smsc_cpu_s"] = cpu_seconds(smsc.pid)
    for proc in (gateway, smsc):
        group.stop(proc)
    return summary
