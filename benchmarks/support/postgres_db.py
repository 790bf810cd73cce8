"""PostgreSQL for a benchmark row: a server of its own (or the test server), what the
gateway made of the MOs counted in the row's database (made fresh on it by
tests/postgres.py's `database_on`), and the CPU the server's processes used.

Why a server of its own is offered: the test server (scripts/test-postgres-setup) runs
with fsync off and is shared with whatever else uses it; a private one (fsync on, as in
production) is the benchmark's alone, so its CPU is the row's.

Why the server's CPU: on one machine the database competes for the same cores as the
gateway instances it serves; a figure of instances per core means little without it.
It is read from /proc: the postmaster's own time and that of the children it has
reaped (backends that ended), plus its live children's — the whole server, so other
databases' work on it during the row is in it too.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from support.processes import BenchError, free_port


@contextlib.contextmanager
def private_server(fsync: bool = True):
    """A PostgreSQL server of its own on a free port of 127.0.0.1, made as
    scripts/test-postgres-setup makes the test server (as the postgres user when run as
    root); yields its URL. Stopped and deleted when the block is left."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if not found:
        raise BenchError("PostgreSQL is not installed: apt-get install postgresql")
    bin_dir = found[-1].parent
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = Path(tempfile.mkdtemp(prefix="lapor-bench-pg-"))
    if as_pg:
        shutil.chown(data, "postgres")
    port = free_port()
    started = False
    try:
        _run(as_pg + [str(bin_dir / "initdb"), "-D", str(data), "-U", "lapor", "--auth=trust",
                      "-E", "UTF8"])
        options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c max_connections=200"
                   f" -c fsync={'on' if fsync else 'off'}")
        _run(as_pg + [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"),
                      "-w", "-o", options, "start"])
        started = True
        yield f"postgresql://lapor@127.0.0.1:{port}/postgres"
    finally:
        if started:
            _run(as_pg + [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(data, ignore_errors=True)


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise BenchError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()[-300:]}")


def journal_counts(url: str) -> dict:
    """What the journal at `url` holds of the SMS channel: messages, complaints, the
    distinct senders behind them, forwarded complaints and distinct tracking numbers,
    replies delivered."""
    import psycopg
    with psycopg.connect(url) as conn:
        messages = conn.execute("SELECT count(*) FROM messages WHERE channel = 'sms'").fetchone()[0]
        complaints, senders, forwarded, tracking = conn.execute(
            "SELECT count(*), count(DISTINCT m.sender),"
            " count(*) FILTER (WHERE c.state = 'forwarded'), count(DISTINCT c.tracking_id)"
            " FROM complaints c JOIN messages m ON m.id = c.message_id"
            " WHERE m.channel = 'sms'").fetchone()
        delivered = conn.execute(
            "SELECT count(*) FROM replies WHERE channel = 'sms' AND state = 'delivered'").fetchone()[0]
    return {"messages": messages, "complaints": complaints, "senders": senders,
            "forwarded": forwarded, "tracking_ids": tracking, "replies_delivered": delivered}


def postmaster_pid(url: str) -> int:
    """The server's main process: the parent of this connection's backend."""
    import psycopg
    with psycopg.connect(url) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        return _stat(backend)[1]      # while the backend lives


def server_cpu_seconds(postmaster: int) -> float:
    """User + system CPU of the whole server so far (see the module's docstring)."""
    stat = _stat(postmaster)
    ticks = sum(stat[11:15])                      # utime, stime, cutime, cstime
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                child = _stat(int(entry.name))
            except (OSError, ValueError):
                continue                          # ended meanwhile
            if child[1] == postmaster:
                ticks += child[11] + child[12]
    return ticks / os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[int]:
    """/proc/PID/stat after the command name, as numbers (the state letter as 0):
    [1] is the parent's pid, [11:15] utime, stime, cutime, cstime in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return [0] + [int(value) for value in fields[1:16]]
