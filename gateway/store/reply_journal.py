"""The reply leg's journal: a reply's walk queued → sending → sent | failed | uncertain,
the delivery reports parked until a reply claims them, and the server hints the
channels must remember across restarts.

Plain functions of a Connection, run in the database thread (see `database.py`); they
return records from `gateway.model`, never ORM objects.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from gateway.model import Reply, ReplyState, utcnow
from gateway.store.tables import hints, parked_receipts, replies
from gateway.store.timestamps import as_utc

#: what a restart carries on with: waiting to be sent, or in doubt
RESUMABLE = (ReplyState.QUEUED.value, ReplyState.UNCERTAIN.value)


def queue_replies(conn: Connection, new: list[dict]) -> list[Reply]:
    """Insert queued replies — the one place a reply row is written first. Each of `new`
    names `kind`, `channel`, `recipient`, `text`, `reply_context` and either
    `complaint_id` or (a channel's own answer) `message_id`. Returns them, in order."""
    if not new:
        return []
    now = utcnow()
    rows = [{"complaint_id": None, "message_id": None, **r, "state": ReplyState.QUEUED.value,
             "attempts": 0, "resends": 0, "created_at": now, "updated_at": now} for r in new]
    ids = conn.execute(insert(replies).returning(replies.c.id, sort_by_parameter_order=True),
                       rows).scalars().all()
    return [Reply(rid, r["complaint_id"], r["channel"], r["recipient"], r["text"], r["reply_context"])
            for r, rid in zip(rows, ids)]


def reply_record(row) -> Reply:
    return Reply(row.id, row.complaint_id, row.channel, row.recipient, row.text, row.reply_context,
                 attempts=row.attempts, resends=row.resends,
                 sending_at=as_utc(row.sending_at) if row.sending_at else None)


def resume_replies(conn: Connection) -> list[Reply]:
    """Every reply a restart must carry on with, oldest first. A reply caught `sending` —
    its intent committed, its outcome not — becomes uncertain: the crash may have come
    before or after the channel took it."""
    conn.execute(update(replies).where(replies.c.state == ReplyState.SENDING.value).values(
        state=ReplyState.UNCERTAIN.value, last_error="in flight when the gateway stopped",
        updated_at=utcnow()))
    rows = conn.execute(select(replies).where(replies.c.state.in_(RESUMABLE)).order_by(replies.c.id))
    return [reply_record(r) for r in rows]


def queued_replies_except(conn: Connection, held: list[int], limit: int = 500) -> list[Reply]:
    """Queued replies the outbox does not hold: an admin's resends."""
    query = select(replies).where(replies.c.state == ReplyState.QUEUED.value)
    if held:
        query = query.where(replies.c.id.not_in(held))
    return [reply_record(r) for r in conn.execute(query.order_by(replies.c.id).limit(limit))]


def mark_uncertain(conn: Connection, reply_id: int, reason: str) -> None:
    conn.execute(update(replies).where(
        replies.c.id == reply_id, replies.c.state == ReplyState.SENDING.value,
    ).values(state=ReplyState.UNCERTAIN.value, last_error=reason[:2000], updated_at=utcnow()))


def requeue(conn: Connection, reply_id: int, resend: bool, reason: str | None) -> None:
    """Back to queued without spending an attempt: the channel was not ready or a server
    asked us to wait (`resend` False), or a reply in doubt is to be sent again (True)."""
    conn.execute(update(replies).where(
        replies.c.id == reply_id,
        replies.c.state.in_([ReplyState.SENDING.value, ReplyState.UNCERTAIN.value]),
    ).values(state=ReplyState.QUEUED.value, sending_at=None, updated_at=utcnow(),
             **({"resends": replies.c.resends + 1} if resend else {}),
             **({"last_error": reason[:2000]} if reason else {})))


def settle_with_report(conn: Connection, reply_id: int, parked_id: int) -> bool:
    """An uncertain reply went out after all: a parked delivery report proves it. The
    reply takes the report's id and outcome; the report leaves the parking."""
    row = conn.execute(select(parked_receipts).where(parked_receipts.c.id == parked_id)).first()
    if row is None:
        return False
    if row.final:
        state = ReplyState.DELIVERED if row.delivered else ReplyState.FAILED
    else:
        state = ReplyState.SENT
    changed = conn.execute(update(replies).where(
        replies.c.id == reply_id, replies.c.state == ReplyState.UNCERTAIN.value,
    ).values(state=state.value, channel_message_id=row.channel_message_id,
             delivery_status=row.status, last_error=None, updated_at=utcnow())).rowcount
    if changed:
        conn.execute(delete(parked_receipts).where(parked_receipts.c.id == parked_id))
    return bool(changed)


def find_parked_report(conn: Connection, channel: str, address: str, since: datetime,
                       snippet: str | None) -> int | None:
    """The oldest parked report about `address` received since `since` whose quoted text
    fits `snippet` (a report that quotes nothing fits any); its id, or None."""
    rows = conn.execute(select(parked_receipts.c.id, parked_receipts.c.snippet).where(
        parked_receipts.c.channel == channel, parked_receipts.c.address == address,
        parked_receipts.c.received_at >= since).order_by(parked_receipts.c.id))
    for row in rows:
        if not row.snippet or not snippet or snippet.startswith(row.snippet) \
                or row.snippet.startswith(snippet):
            return row.id
    return None


def forget_parked_reports(conn: Connection, older_than: datetime) -> int:
    return conn.execute(delete(parked_receipts).where(parked_receipts.c.received_at < older_than)).rowcount


# -- server hints ----------------------------------------------------------------------------
def save_hint(conn: Connection, key: str, value: dict) -> None:
    changed = conn.execute(update(hints).where(hints.c.key == key)
                           .values(value=value, updated_at=utcnow())).rowcount
    if not changed:
        conn.execute(hints.insert().values(key=key, value=value, updated_at=utcnow()))


def load_hints(conn: Connection) -> dict[str, dict]:
    return {r.key: r.value for r in conn.execute(select(hints.c.key, hints.c.value))}


# -- for admins ------------------------------------------------------------------------------
def list_replies(conn: Connection, state: str | None, limit: int) -> list[dict]:
    query = select(replies).order_by(replies.c.id.desc()).limit(limit)
    if state:
        query = query.where(replies.c.state == state)
    return [{"id": r.id, "complaint_id": r.complaint_id, "kind": r.kind, "channel": r.channel,
             "state": r.state, "attempts": r.attempts, "resends": r.resends,
             "delivery_status": r.delivery_status, "last_error": r.last_error,
             "updated_at": as_utc(r.updated_at).isoformat()} for r in conn.execute(query)]


def resend_replies(conn: Connection, reply_id: int | None, states: tuple[str, ...]) -> list[int]:
    """Queue failed or uncertain replies again (one, or all in `states`), for an admin."""
    where = replies.c.state.in_(states)
    if reply_id is not None:
        where = and_(where, replies.c.id == reply_id)
    ids = list(conn.execute(select(replies.c.id).where(where)).scalars())
    if ids:
        conn.execute(update(replies).where(replies.c.id.in_(ids)).values(
            state=ReplyState.QUEUED.value, attempts=0, sending_at=None,
            resends=replies.c.resends + 1, updated_at=utcnow()))
    return ids


def count_replies_by_state(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(replies.c.state, func.count()).group_by(replies.c.state))
    return {state: n for state, n in rows}

