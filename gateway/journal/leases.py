"""Leases: which gateway instance holds a piece of work, until when.

Why: several instances on one PostgreSQL must not forward the same complaint (a second
case is prevented by the idempotency key, but not a second reply or the wasted work),
and an instance that dies must not strand what it held. So work is *claimed*: in one
transaction, rows nobody holds — or whose lease expired — are locked with `FOR UPDATE
SKIP LOCKED` (two instances never wait on, nor both take, one row) and stamped with
this instance's id and an expiry. The holder renews the lease while it keeps the work
in memory; finishing the work clears it; a dead holder's work is taken over once its
lease runs out. Expiries are set and compared by the database's clock (`lease_clock`),
the one clock every instance reads: a host whose clock runs fast cannot take another's
claim early. On SQLite (one process: the state lock) the same code runs, with the
host's clock, and `SKIP LOCKED` is simply not rendered.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from gateway.model import utcnow
from gateway.journal.timestamps import as_utc

#: how long a claim holds without renewal; the holder renews every third of it
DEFAULT_TTL_S = 30.0


def default_instance_id() -> str:
    """host:pid — unique among the instances on one database, readable in an admin's list."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


@dataclass(frozen=True)
class Lease:
    owner: str
    ttl_s: float = DEFAULT_TTL_S

    def until(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.ttl_s)

    def columns(self, now: datetime) -> dict:
        """The lease columns of a row this instance claims at `now`."""
        return {"lease_owner": self.owner, "lease_until": self.until(now)}


def lease_clock(conn: Connection) -> datetime:
    """Now for leases: PostgreSQL's clock (its transaction's start — an expiry set from it
    is, if anything, early), on SQLite the host's."""
    if conn.dialect.name == "postgresql":
        return as_utc(conn.execute(select(func.now())).scalar_one())
    return utcnow()


#: the lease columns of a row nobody holds
UNCLAIMED = {"lease_owner": None, "lease_until": None}


def claimable(table, lease: Lease, now: datetime):
    """Rows of `table` this instance may claim: nobody's, its own, or an expired lease.
    (Each table's journal module writes the claim itself: one writer per table.)"""
    return or_(table.c.lease_owner.is_(None), table.c.lease_owner == lease.owner, table.c.lease_until < now)


def renewable(table, ids, lease: Lease):
    """Rows of `ids` this instance holds that no other transaction has locked right now.
    A renewal skips rows being written (by this instance's own group commit, say) rather
    than wait for them: waiting, with writes locking rows in another order, deadlocks —
    a skipped row stays this instance's and is renewed in the next round."""
    held = and_(table.c.id.in_(ids), table.c.lease_owner == lease.owner)
    return table.c.id.in_(select(table.c.id).where(held).with_for_update(skip_locked=True))
