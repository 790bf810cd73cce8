"""What servers told the gateway to respect, kept across restarts and shared by every
instance: pauses (a Retry-After, an SMSC's throttling), pollers' request budgets, and the
budgets that count per account rather than per process — X's posts per 15 minutes.

The one module that writes the `hints` table (key → JSON value). A shared budget is
spent in one transaction that locks its row: of two instances posting at once, one
waits for the other's spend and sees it, so together they never go over the limit.
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from gateway.model import utcnow
from gateway.journal.tables import hints


def save_hint(conn: Connection, key: str, value: dict) -> None:
    changed = conn.execute(update(hints).where(hints.c.key == key)
                           .values(value=value, updated_at=utcnow())).rowcount
    if not changed:
        conn.execute(hints.insert().values(key=key, value=value, updated_at=utcnow()))


def load_hints(conn: Connection) -> dict[str, dict]:
    return {r.key: r.value for r in conn.execute(select(hints.c.key, hints.c.value))}


def spend_budget(conn: Connection, key: str, limit: int, window_s: float, now: float) -> float:
    """Spend one request of the budget `key` — at most `limit` in any `window_s` seconds,
    none before its `blocked_until` — as every instance counts it: 0.0 when spent now,
    else the seconds to wait (nothing spent). Times are epoch seconds."""
    state = _locked(conn, key)
    sent = sorted(t for t in map(float, state.get("sent", ())) if t > now - window_s)
    blocked = float(state.get("blocked_until", 0.0))
    wait = max(0.0, blocked - now, (sent[-limit] + window_s - now) if len(sent) >= limit else 0.0)
    if wait == 0.0:
        save_hint(conn, key, {"sent": [*sent, now], "blocked_until": blocked})
    return wait


def block_budget(conn: Connection, key: str, until: float) -> None:
    """No request of the budget `key` before `until` (a 429's reset), for every instance."""
    state = _locked(conn, key)
    save_hint(conn, key, state | {"blocked_until": max(until, float(state.get("blocked_until", 0.0)))})


def _locked(conn: Connection, key: str) -> dict:
    """The hint's value, its row locked until the transaction ends (made first when
    missing, so that two instances starting a budget lock the same row)."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(insert(hints).values(key=key, value={}, updated_at=utcnow())
                 .on_conflict_do_nothing(index_elements=[hints.c.key]))
    return dict(conn.execute(select(hints.c.value).where(hints.c.key == key).with_for_update()).scalar_one())
