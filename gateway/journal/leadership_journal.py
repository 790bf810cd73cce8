"""The leadership journal: which instance runs each single-instance job (polling X
mentions, Telegram getUpdates), until when — the one module that writes `leaderships`.

Why one statement: two instances trying at the same moment must never both come out
holding a job. `claim` is a single upsert — insert the row, or take it over where it is
this instance's own or its holder let it run out — so PostgreSQL's row lock on the
conflict decides, with no read-then-write gap. Times are the database's (`now()`), not
each host's: clocks that disagree cannot make two holders either.

Only PostgreSQL runs these (several instances on one database); on SQLite there is one
instance (the state lock) and it holds every job without asking (see gateway/leadership.py).
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, case, func, or_, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from gateway.journal.leases import Lease
from gateway.journal.tables import leaderships


def claim(conn: Connection, name: str, lease: Lease) -> bool:
    """Take or renew the job `name` for `lease.owner` until now + its ttl; whether this
    instance holds it now. `since` is kept while the holding goes on unbroken."""
    row = leaderships.c
    now = func.now()
    until = now + timedelta(seconds=lease.ttl_s)
    mine_still = and_(row.owner == lease.owner, row.until >= now)
    statement = (postgresql.insert(leaderships)
                 .values(name=name, owner=lease.owner, until=until, since=now)
                 .on_conflict_do_update(index_elements=[row.name],
                                        set_={"owner": lease.owner, "until": until,
                                              "since": case((mine_still, row.since), else_=now)},
                                        where=or_(row.owner == lease.owner, row.until < now))
                 .returning(row.owner))
    return conn.execute(statement).first() is not None


def release(conn: Connection, name: str, lease: Lease) -> None:
    """Let the job go at once (a graceful stop): the next instance to try takes it."""
    conn.execute(update(leaderships).where(leaderships.c.name == name,
                                           leaderships.c.owner == lease.owner)
                 .values(until=func.now()))
