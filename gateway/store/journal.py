"""The complaint journal's reads and its less frequent writes, as plain functions of a
Connection (the hot-path writes are in `bulk.py`).

They run in the database thread (see `database.py`) and return plain records from
`gateway.model`, never lazy ORM objects, so the reactor thread never touches the
database.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Connection

from gateway.model import (Complaint, ComplaintState, HeldPart, Message, Region, RegionLevel, Reply, ReplyState, Routing, RoutingStatus, utcnow)
from gateway.store.reply_journal import queue_replies
from gateway.store.timestamps import as_utc
from gateway.store.tables import complaints, cursors, message_parts, messages, replies


def record_forward_failure(conn: Connection, complaint_id: str, error: str, dead: bool,
                           next_attempt_at: datetime | None) -> None:
    # Only a complaint still waiting: a late failure must not undo another attempt's success.
    conn.execute(update(complaints).where(
        complaints.c.id == complaint_id, complaints.c.state == ComplaintState.PARSED.value,
    ).values(
        forward_attempts=complaints.c.forward_attempts + 1, last_error=error[:2000],
        next_attempt_at=next_attempt_at, updated_at=utcnow(),
        **({"state": ComplaintState.DEAD.value} if dead else {}),
    ))


def revive_dead(conn: Connection, complaint_id: str | None) -> list[str]:
    """Put dead complaints (one, or all when None) back to parsed, for an admin's retry."""
    where = complaints.c.state == ComplaintState.DEAD.value
    if complaint_id is not None:
        where = and_(where, complaints.c.id == complaint_id)
    ids = [r.id for r in conn.execute(select(complaints.c.id).where(where))]
    if ids:
        conn.execute(update(complaints).where(complaints.c.id.in_(ids)).values(
            state=ComplaintState.PARSED.value, next_attempt_at=None, updated_at=utcnow()))
    return ids


def record_reply_failure(conn: Connection, reply_id: int, error: str, final: bool) -> int:
    """Count a failed send (back to queued, or failed when `final`); returns the attempts so far."""
    conn.execute(update(replies).where(replies.c.id == reply_id).values(
        attempts=replies.c.attempts + 1, last_error=error[:2000], updated_at=utcnow(), sending_at=None,
        state=(ReplyState.FAILED if final else ReplyState.QUEUED).value))
    return conn.execute(select(replies.c.attempts).where(replies.c.id == reply_id)).scalar_one()


def held_parts(conn: Connection, channel: str) -> list[HeldPart]:
    rows = conn.execute(select(message_parts).where(message_parts.c.channel == channel)
                        .order_by(message_parts.c.id))
    return [HeldPart(r.channel, r.parts_key, r.part_no, r.part, as_utc(r.received_at)) for r in rows]


def load_cursor(conn: Connection, channel: str) -> str | None:
    return conn.execute(select(cursors.c.value).where(cursors.c.channel == channel)).scalar()


def save_cursor(conn: Connection, channel: str, value: str) -> None:
    changed = conn.execute(update(cursors).where(cursors.c.channel == channel)
                           .values(value=value, updated_at=utcnow())).rowcount
    if not changed:
        conn.execute(cursors.insert().values(channel=channel, value=value, updated_at=utcnow()))


def unfinished_complaints(conn: Connection) -> list[Complaint]:
    """Complaints a restart must carry on with: received or parsed, oldest first."""
    rows = conn.execute(_complaint_query().where(complaints.c.state.in_(
        [ComplaintState.RECEIVED.value, ComplaintState.PARSED.value])).order_by(messages.c.id))
    return [_complaint(r) for r in rows]


def due_complaints(conn: Connection, now: datetime, limit: int) -> list[Complaint]:
    """Parsed complaints whose next attempt is due or unset, oldest first: what a running
    forwarder takes on when it does not hold them already (e.g. an admin's retry)."""
    rows = conn.execute(_complaint_query().where(
        complaints.c.state == ComplaintState.PARSED.value,
        or_(complaints.c.next_attempt_at.is_(None), complaints.c.next_attempt_at <= now),
    ).order_by(messages.c.id).limit(limit))
    return [_complaint(r) for r in rows]


def queue_duplicate_reply(conn: Connection, complaint_id: str, text: str, quiet_s: float,
                          max_replies: int) -> Reply | None:
    """Queue the reply to a repeated message, unless its complaint was answered within
    `quiet_s` (an upstream redelivering, not a citizen asking again) or already got
    `max_replies` such replies. None when nothing is to be sent."""
    state = conn.execute(select(complaints.c.state).where(complaints.c.id == complaint_id)).scalar()
    if state != ComplaintState.FORWARDED.value or max_replies <= 0:
        return None  # not forwarded yet: its first reply, with the number, is still to come
    last, duplicates = conn.execute(
        select(func.max(replies.c.created_at),
               func.count().filter(replies.c.kind == "duplicate"))
        .where(replies.c.complaint_id == complaint_id)).one()
    now = utcnow()
    if duplicates >= max_replies or (last is not None and (now - as_utc(last)).total_seconds() < quiet_s):
        return None
    msg = conn.execute(select(messages).join(complaints, complaints.c.message_id == messages.c.id)
                       .where(complaints.c.id == complaint_id)).one()
    (reply,) = queue_replies(conn, [dict(complaint_id=complaint_id, kind="duplicate", channel=msg.channel,
                                         recipient=msg.sender, text=text, reply_context=msg.reply_context)])
    return reply




#: `complaints list --state pending`: everything not yet forwarded nor dead
PENDING_STATES = (ComplaintState.RECEIVED.value, ComplaintState.PARSED.value)


def list_complaints(conn: Connection, state: str | None, limit: int) -> list[dict]:
    query = _complaint_query().order_by(messages.c.id.desc()).limit(limit)
    if state == "pending":
        query = query.where(complaints.c.state.in_(PENDING_STATES))
    elif state:
        query = query.where(complaints.c.state == state)
    return [_summary(r) for r in conn.execute(query)]


def show_complaint(conn: Connection, complaint_id: str) -> dict | None:
    row = conn.execute(_complaint_query().where(complaints.c.id == complaint_id)).first()
    if row is None:
        return None
    detail = _summary(row) | {"text": row.text, "sender": row.sender, "flags": row.flags,
                              "last_error": row.last_error, "forward_attempts": row.forward_attempts,
                              "candidates": row.candidates or []}
    detail["replies"] = [
        {"id": r.id, "kind": r.kind, "state": r.state, "delivery_status": r.delivery_status,
         "channel_message_id": r.channel_message_id, "text": r.text, "attempts": r.attempts,
         "resends": r.resends, "last_error": r.last_error}
        for r in conn.execute(select(replies).where(replies.c.complaint_id == complaint_id)
                              .order_by(replies.c.id))]
    return detail


def count_by_state(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(complaints.c.state, func.count()).group_by(complaints.c.state))
    return {state: n for state, n in rows}


def _complaint_query():
    return select(complaints, messages.c.channel, messages.c.dedup_key, messages.c.sender,
                  messages.c.recipient, messages.c.text, messages.c.received_at,
                  messages.c.channel_message_ids, messages.c.flags, messages.c.reply_context
                  ).join(messages, messages.c.id == complaints.c.message_id)


def _summary(row) -> dict:
    return {"id": row.id, "channel": row.channel, "state": row.state,
            "routing": row.routing_status, "region": row.region_code, "region_name": row.region_name,
            "tracking_id": row.tracking_id, "received_at": as_utc(row.received_at).isoformat(),
            "forward_attempts": row.forward_attempts, "last_error": row.last_error}



def _complaint(row) -> Complaint:
    message = Message(channel=row.channel, sender=row.sender, text=row.text, dedup_key=row.dedup_key,
                      received_at=as_utc(row.received_at), recipient=row.recipient,
                      channel_message_ids=tuple(row.channel_message_ids), flags=tuple(row.flags),
                      reply_context=row.reply_context)
    routing = None
    if row.routing_status is not None:
        region = (Region(row.region_code, row.region_name, RegionLevel(row.region_level))
                  if row.region_code else None)
        candidates = tuple(Region(c["code"], c["name"], RegionLevel(c["level"]))
                           for c in (row.candidates or []))
        routing = Routing(RoutingStatus(row.routing_status), row.body or "", region, candidates)
    return Complaint(row.id, message, ComplaintState(row.state), routing, row.tracking_id)


def queue_depths(conn: Connection) -> dict[str, dict[str, int]]:
    def grouped(column):
        return {str(k): n for k, n in conn.execute(select(column, func.count()).group_by(column))}
    return {"complaints": grouped(complaints.c.state), "routing": grouped(complaints.c.routing_status),
            "replies": grouped(replies.c.state)}


def ping(conn: Connection) -> None:
    conn.execute(select(1)).scalar()
