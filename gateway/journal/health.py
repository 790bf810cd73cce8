"""What /healthz and /metrics ask of the database: that it answers, how deep each queue
is, and how long the oldest pending complaint has waited. Reads only; they span the
complaint and reply journals, so they live here."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from gateway.journal.complaint_journal import PENDING_STATES
from gateway.journal.tables import complaints, replies
from gateway.journal.timestamps import as_utc


def queue_depths(conn: Connection) -> dict:
    """Complaints per state and per routing status, replies per state, and the creation
    time of the oldest pending complaint (None when none is pending), in one read: the
    scrape's one trip to the database."""
    def grouped(column):
        return {str(k): n for k, n in conn.execute(select(column, func.count()).group_by(column))}
    # Its own statement rather than min(created_at) in the grouped count: through the
    # state index it reads only the pending rows, however many have been forwarded.
    oldest = conn.execute(select(func.min(complaints.c.created_at))
                          .where(complaints.c.state.in_(PENDING_STATES))).scalar()
    return {"complaints": grouped(complaints.c.state), "routing": grouped(complaints.c.routing_status),
            "replies": grouped(replies.c.state),
            "oldest_pending": as_utc(oldest) if oldest is not None else None}


def ping(conn: Connection) -> None:
    """A trivial query: it returns once the database answers."""
    conn.execute(select(1)).scalar()
