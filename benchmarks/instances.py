"""Several gateway instances on one PostgreSQL (issue 15): the same MOs through ONE
instance, then through TWO, on this machine, and what each costs.

    .venv/bin/python benchmarks/instances.py [--messages 20000] [--long-share 0]

Each row gets a fresh database on the PostgreSQL server (`--postgres-url`, default
$LAPOR_TEST_POSTGRES_URL, the test server; with `--private-server`, or when neither
names one, on a server of the benchmark's own, fsync on unless `--no-fsync`), upgraded
once with `lapor-gateway db upgrade`; then the
fake central case store (kept-alive HTTP, the JSON adapter, as benchmarks/kannel_peer
uses), the load-mode SMSC (window 100 per bind, spread over the binds, waiting until
every instance is bound before the first MO), and the instances: each its own
process, `[gateway].instance_id`, state directory and one transceiver bind to the same
system_id, `migrate_on_start = false`, logs at info. A row ends when every MO is
acknowledged and every cycle complete (MO -> case store -> reply submit_sm -> receipt
acknowledged), or fails after --timeout.

Prints `name value` lines per row (one_…, two_…): MOs acknowledged per second, full
cycles (complaints forwarded and replied) per second, ack and cycle latency, the CPU
seconds of every process (each instance, the SMSC, the case store, the whole
PostgreSQL server) and how many cores each kept busy while the MOs flowed, with the
machine's busy cores over the same time (other work on it included); then the
two-to-one ratios. Then it checks that every MO became exactly one complaint and one case —
counted in the database and at the case store — prints the counts, and exits 1 on a
mismatch (or when a row could not be measured). Every process it started is ended and
every database it made dropped, whatever happens.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support.gateway_run import (  # noqa: E402
    FAKE_CASE_STORE_TOKEN, daemon_config, http_forwarder, start_fake_case_store, start_gateway)
from support.kannel_peer import _ratio, _value  # noqa: E402
from support.load_runs import REPO, python_env, start_load_smsc  # noqa: E402
from support.postgres_db import journal_counts, postmaster_pid, server_cpu_seconds  # noqa: E402
from support.processes import BenchError, ProcessGroup, cpu_seconds, peak_rss_mb  # noqa: E402

sys.path.insert(0, str(REPO))
from tests.own_postgres import own_postgres  # noqa: E402
from tests.postgres import database_on  # noqa: E402

ROW_FIGURES = ("complete", "mo_per_s", "cycles_per_s", "ack_p50_ms", "ack_p99_ms", "cycle_p50_ms",
               "cycle_p99_ms", "long_mos", "nacks", "redeliveries", "timeouts")
SETTLE_S = 60.0   # how long the journal may take to show what the SMSC saw (parked receipts)
#: one key for every instance: the same citizen hashes the same in every instance's log
PSEUDONYM_KEY = "6c61706f722d62656e63682d696e7374616e6365732d70736575646f6e796d21"


def instance_config(folder: Path, number: int, smsc_port: int, window: int, database: str,
                    case_store: str) -> Path:
    """One instance's gateway.toml: its own state directory and instance_id, the shared
    database (already upgraded), an ops server on any free port."""
    folder.mkdir(parents=True, exist_ok=True)
    return daemon_config(
        folder, smsc_port, window, level="info", forwarder=http_forwarder(case_store),
        gateway=f'instance_id = "bench-{number}"',
        tables=f'[database]\nurl = "{database}"\nmigrate_on_start = false\n[http]\nport = 0\n')


def upgrade(config: Path, timeout: float) -> None:
    """`lapor-gateway db upgrade` once, before any instance starts."""
    done = subprocess.run([sys.executable, "-m", "gateway", "db", "upgrade", "--config", str(config)],
                          env=python_env(), cwd=REPO, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise BenchError(f"db upgrade failed ({done.returncode}): {done.stderr.strip()[-500:]}")


def case_store_counts(base_url: str) -> dict:
    with urllib.request.urlopen(f"{base_url}/stats", timeout=10) as answer:
        return json.loads(answer.read())


def first_mos_then_summary(smsc, timeout: float):
    """Wait for the SMSC's first status line with MOs acknowledged (the row is under
    way: every instance bound, the first window answered); yields once then, and
    returns its summary line. The run may end before any status line: then the summary
    comes first and nothing was measured in between."""
    deadline = time.monotonic() + timeout
    while True:
        line = smsc.lines.next(deadline - time.monotonic(), "the first MOs")
        record = json.loads(line) if line.startswith("{") else {}
        if record.get("event") == "smsc-sim status" and record.get("mo_acked"):
            return None
        if record.get("event") == "smsc-sim summary":
            return record


def cpu_now(processes: dict, postmaster: int) -> dict:
    """CPU seconds so far of every process of the row, of the PostgreSQL server (since
    it started: the row's share is a difference) and of the whole machine (busy, all
    cores: whatever else runs on it too)."""
    return dict({name: cpu_seconds(proc.pid) for name, proc in processes.items()},
                postgres=server_cpu_seconds(postmaster), machine=machine_busy_seconds())


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent not idle (/proc/stat)."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]                       # idle, iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def settled_journal(database: str, messages: int) -> tuple[dict, float]:
    """The journal's counts once the replies are all delivered there, or after SETTLE_S:
    a receipt that reached the instance that did not submit its reply before that
    reply's message id was committed waits parked and is matched a few seconds later,
    after the SMSC counted its cycle. Returns (counts, seconds waited)."""
    started = time.monotonic()
    while True:
        counts = journal_counts(database)
        waited = time.monotonic() - started
        if counts["replies_delivered"] >= messages or waited > SETTLE_S:
            return counts, waited
        time.sleep(0.5)   # other processes write it: nothing to wait on but the count


def receipts_that_waited(folder: Path) -> int:
    """Receipts the instances matched only after parking them (their info lines)."""
    return sum(log.read_text(errors="replace").count('"delivery receipt matched after waiting"')
               for log in folder.glob("gateway-*.log"))


def run_row(folder: Path, instances: int, server: str, args) -> dict:
    """One row: `instances` gateways over a fresh database on `server`; the
    simulator's summary with the CPU and memory of every process and the counts."""
    folder.mkdir(parents=True)
    with database_on(server, "bench_instances") as database, \
            ProcessGroup(folder) as group:
        store_url = start_fake_case_store(group)
        smsc, port = start_load_smsc(
            group, "smsc", args.messages, window=args.window, wait_cycles=True,
            duration=args.timeout,
            options=("--long-share", str(args.long_share), "--start-after-binds", str(instances),
                     "--status-interval", "0.5"))
        configs = [instance_config(folder / f"gateway-{n}", n, port, args.window, database, store_url)
                   for n in range(1, instances + 1)]
        upgrade(configs[0], 120)
        postmaster = postmaster_pid(database)
        server_at_start = server_cpu_seconds(postmaster)
        processes = {f"gateway_{n}": start_gateway(group, config, name=f"gateway-{n}",
                                                   case_store_token=FAKE_CASE_STORE_TOKEN,
                                                   pseudonym_key=PSEUDONYM_KEY)
                     for n, config in enumerate(configs, 1)}
        processes.update(smsc=smsc, case_store=group.wait_for_process("case-store", 1))
        row = first_mos_then_summary(smsc, args.timeout)
        before, started = cpu_now(processes, postmaster), time.monotonic()
        row = row or smsc.lines.expect("smsc-sim summary", args.timeout + 30)
        after, measured = cpu_now(processes, postmaster), time.monotonic() - started
        row["cpu_s"] = dict(after, postgres=after["postgres"] - server_at_start)   # start-up included
        del row["cpu_s"]["machine"]
        row["busy"] = {name: (after[name] - before[name]) / measured if measured > 0.5 else None
                       for name in after}                      # cores, while MOs flowed
        for n in range(1, instances + 1):
            gateway = processes[f"gateway_{n}"]
            if gateway.poll() is not None:
                raise BenchError(f"gateway-{n} exited ({gateway.returncode}) during the row")
            row[f"gateway_{n}_rss_mb"] = peak_rss_mb(gateway.pid)
        # an incomplete row is still counted (what became of the MOs), without waiting
        row["journal"], row["settle_s"] = settled_journal(
            database, args.messages if row["complete"] else 0)
        row["case_store"] = case_store_counts(store_url)
        for n in range(1, instances + 1):
            group.stop(processes[f"gateway_{n}"])
        row["receipts_that_waited"] = receipts_that_waited(folder)
    return row


def figures(name: str, row: dict, instances: int) -> list[str]:
    lines = [f"{name}_{figure} {_value(row.get(figure))}" for figure in ROW_FIGURES]
    for process, seconds in row["cpu_s"].items():
        busy = row["busy"][process]
        lines.append(f"{name}_{process}_cpu_s {seconds:.1f}")
        lines.append(f"{name}_{process}_busy {'nan' if busy is None else f'{busy:.2f}'}")
    busy = [value for process, value in row["busy"].items()
            if value is not None and process != "machine"]
    lines.append(f"{name}_cores_busy {sum(busy):.2f}" if busy else f"{name}_cores_busy nan")
    machine = row["busy"]["machine"]
    lines.append(f"{name}_machine_cores_busy {'nan' if machine is None else f'{machine:.2f}'}")
    lines += [f"{name}_gateway_{n}_rss_mb {row[f'gateway_{n}_rss_mb']:.1f}"
              for n in range(1, instances + 1)]
    gateways = sum(row["cpu_s"][f"gateway_{n}"] for n in range(1, instances + 1))
    lines.append(f"{name}_gateway_cpu_ms_per_cycle {1000 * gateways / max(row['cycles'], 1):.2f}")
    lines.append(f"{name}_deliver_sm_acked_per_bind "
                 f"{json.dumps(row.get('acked_per_bind', {}), sort_keys=True)}")
    lines.append(f"{name}_receipts_that_waited {row['receipts_that_waited']}")
    lines.append(f"{name}_journal_settled_after_s {row['settle_s']:.1f}")
    return lines


def mismatches(name: str, row: dict, messages: int) -> list[str]:
    """What is not exactly one complaint and one case per MO."""
    counts = dict(row["journal"], case_store_cases=row["case_store"]["cases"],
                  case_store_requests_without_key=row["case_store"]["without_key"])
    wanted = {key: messages for key in ("messages", "complaints", "senders", "forwarded",
                                        "tracking_ids", "replies_delivered", "case_store_cases")}
    wanted["case_store_requests_without_key"] = 0
    print("\n".join(f"{name}_check_{key} {counts[key]}" for key in counts))
    print(f"{name}_check_case_store_requests {row['case_store']['requests']}")
    found = [f"{name}: {key} {counts[key]}, expected {value}"
             for key, value in wanted.items() if counts[key] != value]
    if not row["complete"]:
        found.append(f"{name}: the simulator stopped before every cycle was complete ({row['cycles']}"
                     f" of {messages}, MOs acknowledged {row['mo_acked']})")
    return found


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--messages", type=int, default=20_000, help="MOs per row")
    options.add_argument("--window", type=int, default=100, help="outstanding deliver_sm per bind")
    options.add_argument("--long-share", type=float, default=0.0,
                         help="share of MOs of 2-3 parts (default 0: single-part)")
    options.add_argument("--timeout", type=float, default=600.0,
                         help="seconds each row may take before it counts as failed")
    options.add_argument("--postgres-url", help="a server to make the databases on"
                         " (default $LAPOR_TEST_POSTGRES_URL, else a private one)")
    options.add_argument("--private-server", action="store_true",
                         help="start a PostgreSQL server of the benchmark's own (deleted after)")
    options.add_argument("--fsync", action=argparse.BooleanOptionalAction, default=True,
                         help="the private server's fsync (default on, as in production)")
    options.add_argument("--keep-logs", type=Path, help="copy every process's log here")
    args = options.parse_args()
    given = args.postgres_url or os.environ.get("LAPOR_TEST_POSTGRES_URL")
    private = args.private_server or not given
    rows, problems = {}, []
    with tempfile.TemporaryDirectory(prefix="instances-") as tmp:
        try:
            server = own_postgres(fsync=args.fsync) if private else contextlib.nullcontext()
            with server as own:
                url = own.url if private else given
                for name, instances in (("one", 1), ("two", 2)):
                    rows[name] = run_row(Path(tmp) / name, instances, url, args)
        except BenchError as exc:
            print(f"instances: {exc}", file=sys.stderr)
            return 1
        finally:
            if args.keep_logs:
                import shutil
                shutil.copytree(tmp, args.keep_logs, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("*.db*"))
    print(f"messages {args.messages}", f"window {args.window}", f"long_share {args.long_share}",
          f"postgres {'private, fsync ' + ('on' if args.fsync else 'off') if private else 'given'}",
          f"machine {platform.machine()}-{os.cpu_count()}cpu", sep="\n")
    for name, instances in (("one", 1), ("two", 2)):
        print("\n".join(figures(name, rows[name], instances)))
    for figure in ("mo_per_s", "cycles_per_s", "ack_p99_ms"):
        print(f"ratio_two_to_one_{figure} {_ratio(rows['two'].get(figure), rows['one'].get(figure))}")
    for name in rows:
        problems += mismatches(name, rows[name], args.messages)
    print(f"every_mo_one_complaint_one_case {'yes' if not problems else 'NO'}")
    for problem in problems:
        print(f"instances: mismatch: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
