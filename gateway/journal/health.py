"""What /healthz and /metrics ask of the database: that it answers, and how deep each
queue is. Reads only; they span the complaint and reply journals, so they live here."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from gateway.journal.tables import complaints, replies


def queue_depths(conn: Connection) -> dict[str, dict[str, int]]:
    """Complaints per state and per routing status, replies per state, in one read."""
    def grouped(column):
        return {str(k): n for k, n in conn.execute(select(column, func.count()).group_by(column))}
    return {"complaints": grouped(complaints.c.state), "routing": grouped(complaints.c.routing_status),
            "replies": grouped(replies.c.state)}


def ping(conn: Connection) -> None:
    """A trivial query: it returns once the database answers."""
    conn.execute(select(1)).scalar()
