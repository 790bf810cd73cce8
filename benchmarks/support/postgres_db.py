"""PostgreSQL for a benchmark row: what the gateway made of the MOs, counted in the
row's database (made fresh by tests/postgres.py's `database_on`, on the test server or
on a server of the benchmark's own, tests/own_postgres.py), and the CPU the server's
processes used.

Why the server's CPU: on one machine the database competes for the same cores as the
gateway instances it serves; a figure of instances per core means little without it.
It is read from /proc: the postmaster's own time and that of the children it has
reaped (backends that ended), plus its live children's — the whole server, so other
databases' work on it during the row is in it too.
"""
from __future__ import annotations

import os
from pathlib import Path


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
