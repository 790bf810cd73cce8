"""The complaint journal: a complaint's walk received → parsed → forwarded | dead, the
embedded case store's tracking numbers and statuses, and the reads that follow complaints.

The one module that writes the `complaints` and `local_cases` tables. Its hot-path
writes take the bulk form (see `bulk.py`); the rest are plain functions of a
Connection. All run in the database thread (see `database.py`) and return records from
`gateway.model` or plain dicts, never ORM objects, so the reactor thread never touches
the database.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from gateway.case_status import INITIAL_STATUS, CaseStatus
from gateway.model import (Complaint, ComplaintState, Message, Place, Region, RegionLevel, Reply,
                           Routing, RoutingStatus, utcnow)
from gateway.journal.bulk import chunks
from gateway.journal.event_journal import events_of_complaint
from gateway.journal.leases import UNCLAIMED, Lease, claimable, lease_clock, renewable
from gateway.journal.reply_journal import queue_replies, replies_of_complaint
from gateway.journal.tables import complaints, local_cases, messages, replies
from gateway.journal.timestamps import as_utc

#: `complaints list --state pending`: everything not yet forwarded nor dead
PENDING_STATES = (ComplaintState.RECEIVED.value, ComplaintState.PARSED.value)


# -- writes ----------------------------------------------------------------------------------
def open_complaints(conn: Connection, new: list[tuple[str, int, Routing | None]],
                    lease: Lease | None = None) -> None:
    """Insert complaints, (complaint id, message id, routing) each: part of accepting their
    messages (see `intake_journal.accept_messages`), in one executemany. With its routing a
    complaint is parsed at once; without, received (the parser takes it up after). With
    a `lease`, the accepting instance holds them from the start (see leases.py)."""
    if not new:
        return
    now, leased = utcnow(), lease.columns(lease_clock(conn)) if lease else UNCLAIMED
    conn.execute(insert(complaints), [_opened(now, *complaint, leased) for complaint in new])


def _opened(now, complaint_id: str, message_id: int, routing: Routing | None, leased: dict) -> dict:
    row = dict(id=complaint_id, message_id=message_id, state=ComplaintState.RECEIVED.value,
               forward_attempts=0, created_at=now, updated_at=now, routing_status=None,
               region_code=None, region_name=None, region_level=None, candidates=None, place=None, body=None,
               **leased)
    if routing is not None:
        parsed = _routing_row(complaint_id, routing)
        row.update(state=ComplaintState.PARSED.value, routing_status=parsed["status"],
                   region_code=parsed["code"], region_name=parsed["name"],
                   region_level=parsed["level"], candidates=parsed["cands"], place=parsed["place"],
                   body=parsed["b"])
    return row


def record_routings(conn: Connection, items: list[tuple[str, Routing]]) -> list[None]:
    """Bulk: (complaint id, routing) → received complaints become parsed, with their region."""
    conn.execute(update(complaints).where(
        complaints.c.id == bindparam("cid"), complaints.c.state == ComplaintState.RECEIVED.value,
    ).values(state=ComplaintState.PARSED.value, routing_status=bindparam("status"),
             region_code=bindparam("code"), region_name=bindparam("name"),
             region_level=bindparam("level"), candidates=bindparam("cands"), place=bindparam("place"),
             body=bindparam("b"),
             updated_at=utcnow()), [_routing_row(cid, r) for cid, r in items])
    return [None] * len(items)


def _routing_row(complaint_id: str, routing: Routing) -> dict:
    region = routing.region
    return {"cid": complaint_id, "status": routing.status.value,
            "code": region.code if region else None, "name": region.name if region else None,
            "level": region.level.value if region else None,
            "cands": [c.to_json() for c in routing.candidates],
            "place": routing.place.to_json() if routing.place else None, "b": routing.body}


def record_forwardeds(conn: Connection, items: list[tuple[str, str, str, str]],
                      lease: Lease | None = None) -> list[Reply | None]:
    """Bulk: (complaint id, tracking id, reply kind, reply text) → the queued reply, or
    None when the complaint was already forwarded (a retry that raced a success). The
    state change and its reply share the transaction, so neither exists without the other.
    The successful submission counts as an attempt, as the failed ones before it did."""
    todo = _forwardable(conn, items)
    if not todo:
        return [None] * len(items)
    conn.execute(update(complaints).where(complaints.c.id == bindparam("cid")).values(
        state=ComplaintState.FORWARDED.value, tracking_id=bindparam("t"), last_error=None,
        forward_attempts=complaints.c.forward_attempts + 1, next_attempt_at=None, updated_at=utcnow(),
        **UNCLAIMED), [{"cid": c, "t": t} for c, t, *_ in todo])
    queued = queue_replies(conn, [dict(complaint_id=c, kind=k, channel=r.channel, recipient=r.sender,
                                       text=x, reply_context=r.reply_context) for c, _, k, x, r in todo],
                           lease)
    made = {reply.complaint_id: reply for reply in queued}
    return [made.pop(cid, None) for cid, *_ in items]


def _forwardable(conn: Connection, items: list[tuple[str, str, str, str]]) -> list[tuple]:
    """The items whose complaint may still be forwarded (parsed, or dead and revived by a
    retry), each with its message's channel, sender and reply context appended."""
    open_states = (ComplaintState.PARSED.value, ComplaintState.DEAD.value)
    rows = {r.id: r for r in conn.execute(
        select(complaints.c.id, complaints.c.state, messages.c.channel, messages.c.sender,
               messages.c.reply_context)
        .join(messages, messages.c.id == complaints.c.message_id)
        .where(complaints.c.id.in_([cid for cid, *_ in items])))}
    todo = []
    for cid, tracking, kind, text in items:
        row = rows.get(cid)
        if row is not None and row.state in open_states:
            todo.append((cid, tracking, kind, text, row))
            del rows[cid]  # a complaint twice in one batch is forwarded once
    return todo


def record_forward_failure(conn: Connection, complaint_id: str, error: str, dead: bool,
                           next_attempt_at: datetime | None,
                           reply: tuple[str, str] | None = None, attempt: bool = True,
                           lease: Lease | None = None) -> Reply | None:
    """Record a failed forward; `dead` makes it a dead letter (an admin's `retry` revives
    it), and queues `reply` (kind, text) to its citizen in the same transaction — the
    queued reply, or None. `attempt` False: the submission was not the complaint's
    attempt — the case store asked for a pause (Retry-After) or refuses the gateway
    itself — so `forward_attempts` stays as it was."""
    # Only a complaint still waiting: a late failure must not undo another attempt's success.
    changed = conn.execute(update(complaints).where(
        complaints.c.id == complaint_id, complaints.c.state == ComplaintState.PARSED.value,
    ).values(
        last_error=error[:2000], next_attempt_at=next_attempt_at, updated_at=utcnow(),
        **({"forward_attempts": complaints.c.forward_attempts + 1} if attempt else {}),
        **({"state": ComplaintState.DEAD.value, **UNCLAIMED} if dead else {}),
    )).rowcount
    if not (dead and changed and reply):
        return None
    message = conn.execute(select(messages.c.channel, messages.c.sender, messages.c.reply_context)
                           .join(complaints, complaints.c.message_id == messages.c.id)
                           .where(complaints.c.id == complaint_id)).one()
    kind, text = reply
    (queued,) = queue_replies(conn, [dict(complaint_id=complaint_id, kind=kind, channel=message.channel,
                                          recipient=message.sender, text=text,
                                          reply_context=message.reply_context)], lease)
    return queued


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


def create_local_cases(conn: Connection, items: list[tuple[str, dict, int]]) -> list[int]:
    """Bulk, the embedded case store: (idempotency key, payload, first number) → tracking
    number, the same number again for a key seen before."""
    numbers: dict[str, int] = {}
    for chunk in chunks(sorted({k for k, _, _ in items})):
        numbers |= dict(conn.execute(select(local_cases.c.idempotency_key, local_cases.c.tracking_number)
                                     .where(local_cases.c.idempotency_key.in_(chunk))).all())
    # Writes are serialised by the group committer, so max()+1 cannot race here.
    last = conn.execute(select(func.max(local_cases.c.tracking_number))).scalar() or 0
    rows, now = [], utcnow()
    for key, payload, first in items:
        if key not in numbers:
            last = max(first, last + 1)
            numbers[key] = last
            rows.append(dict(tracking_number=last, idempotency_key=key, payload=payload, created_at=now))
    if rows:
        conn.execute(insert(local_cases), rows)
    return [numbers[k] for k, _, _ in items]


def set_local_case_status(conn: Connection, tracking_number: int, status: str, note: str | None,
                          at: datetime) -> CaseStatus | None:
    """The embedded case store moves a case to `status` (with the admin's `note`); the
    status it had before, or None when it has no case by that number."""
    before = local_case_status(conn, tracking_number)
    if before is not None:
        conn.execute(update(local_cases).where(local_cases.c.tracking_number == tracking_number)
                     .values(status=status, status_text=note, status_at=at))
    return before


# -- reads -----------------------------------------------------------------------------------
def local_case_status(conn: Connection, tracking_number: int) -> CaseStatus | None:
    """Where the embedded case store's case stands (`received` until it is moved), or None."""
    row = conn.execute(select(local_cases.c.status, local_cases.c.status_text, local_cases.c.status_at,
                              local_cases.c.created_at)
                       .where(local_cases.c.tracking_number == tracking_number)).first()
    if row is None:
        return None
    return CaseStatus(str(tracking_number), row.status or INITIAL_STATUS, row.status_text,
                      as_utc(row.status_at or row.created_at))


def unfinished_complaints(conn: Connection, limit: int | None = None,
                          lease: Lease | None = None) -> tuple[list[Complaint], int]:
    """Complaints a restart must carry on with, oldest first — every `received` one (an
    older version's, still to be parsed) and at most `limit` `parsed` ones (the rest are
    read back by the forwarder as it has room), claimed with `lease` when given — and
    how many are unfinished in all."""
    found = _claimed(conn, _complaint_query().where(complaints.c.state == ComplaintState.RECEIVED.value)
                     .order_by(messages.c.id), lease)
    found += _claimed(conn, _complaint_query().where(complaints.c.state == ComplaintState.PARSED.value)
                      .order_by(messages.c.id).limit(limit), lease)
    total = conn.execute(select(func.count()).select_from(complaints)
                         .where(complaints.c.state.in_(PENDING_STATES))).scalar_one()
    return found, total


def due_complaints(conn: Connection, now: datetime, limit: int, held: list[str] = (),
                   lease: Lease | None = None) -> list[Complaint]:
    """Parsed complaints whose next attempt is due or unset, oldest first, but those in
    `held`: what a running forwarder takes on when it does not hold them already (an
    admin's retry, or what it left in the journal while its backlog was full). With a
    `lease`, only those no other instance holds, claimed for this one."""
    query = _complaint_query().where(
        complaints.c.state == ComplaintState.PARSED.value,
        or_(complaints.c.next_attempt_at.is_(None), complaints.c.next_attempt_at <= now))
    if held:
        query = query.where(complaints.c.id.not_in(held))
    return _claimed(conn, query.order_by(messages.c.id).limit(limit), lease)


def _claimed(conn: Connection, query, lease: Lease | None) -> list[Complaint]:
    """The complaints `query` finds that this instance may take — nobody's, its own, or
    an expired lease — locked past other instances' claims and stamped with `lease`."""
    if lease is None:
        return [_complaint(r) for r in conn.execute(query)]
    now = lease_clock(conn)
    rows = conn.execute(query.where(claimable(complaints, lease, now))
                        .with_for_update(skip_locked=True, of=complaints)).all()
    if rows:
        conn.execute(update(complaints).where(complaints.c.id.in_([r.id for r in rows]))
                     .values(**lease.columns(now)))
    return [_complaint(r) for r in rows]


def renew_leases(conn: Connection, ids: list[str], lease: Lease) -> tuple[list[str], list[str]]:
    """Extend this instance's leases on `ids`: (the ids it still holds — a lease that ran
    out may have been taken over: that complaint is another instance's now —, the ids
    extended now: rows locked by a write under way are skipped, see `leases.renewable`)."""
    mine, renewed, until = [], [], lease.until(lease_clock(conn))
    for chunk in chunks(ids):
        renewed += conn.execute(update(complaints).where(renewable(complaints, chunk, lease))
                                .values(lease_until=until).returning(complaints.c.id)).scalars().all()
        mine += conn.execute(select(complaints.c.id).where(
            complaints.c.id.in_(chunk), complaints.c.lease_owner == lease.owner)).scalars().all()
    return mine, renewed


def list_complaints(conn: Connection, state: str | None = None, limit: int = 100, *,
                    since: datetime | None = None, channel: str | None = None,
                    region: str | None = None, reply_state: str | None = None) -> list[dict]:
    """The newest complaints, as summaries without personal data, narrowed by: `state`
    (or "pending"), received `since`, `channel`, `region` (a Kemendagri code prefix: "33"
    is the whole province), `reply_state` (the state of its latest reply, or "none")."""
    latest_reply = _latest_reply_state()
    query = _complaint_query().add_columns(latest_reply.label("reply_state"))
    if state == "pending":
        query = query.where(complaints.c.state.in_(PENDING_STATES))
    elif state:
        query = query.where(complaints.c.state == state)
    if since is not None:
        query = query.where(messages.c.received_at >= since.astimezone(timezone.utc))
    if channel:
        query = query.where(messages.c.channel == channel)
    if region:
        query = query.where(complaints.c.region_code.startswith(region, autoescape=True))
    if reply_state == "none":
        query = query.where(latest_reply.is_(None))
    elif reply_state:
        query = query.where(latest_reply == reply_state)
    return [_summary(r) for r in conn.execute(query.order_by(messages.c.id.desc()).limit(limit))]


def show_complaint(conn: Connection, complaint_id: str) -> dict | None:
    """One complaint in full — its message's text and sender, its replies, the case
    store's status events — for an admin."""
    row = conn.execute(_complaint_query().add_columns(_latest_reply_state().label("reply_state"))
                       .where(complaints.c.id == complaint_id)).first()
    if row is None:
        return None
    return _summary(row) | {"text": row.text, "sender": row.sender, "flags": row.flags,
                            "last_error": row.last_error, "forward_attempts": row.forward_attempts,
                            "candidates": row.candidates or [], "place": row.place,
                            "replies": replies_of_complaint(conn, complaint_id),
                            "events": events_of_complaint(conn, complaint_id)}


def _latest_reply_state():
    """The state of a complaint's newest reply (NULL when it has none), per complaint row."""
    return (select(replies.c.state).where(replies.c.complaint_id == complaints.c.id)
            .order_by(replies.c.id.desc()).limit(1).correlate(complaints).scalar_subquery())


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
            "reply_state": row.reply_state, "forward_attempts": row.forward_attempts,
            "last_error": row.last_error}


def _complaint(row) -> Complaint:
    message = Message(channel=row.channel, sender=row.sender, text=row.text, dedup_key=row.dedup_key,
                      received_at=as_utc(row.received_at), recipient=row.recipient,
                      channel_message_ids=tuple(row.channel_message_ids), flags=tuple(row.flags),
                      reply_context=row.reply_context)
    return Complaint(row.id, message, ComplaintState(row.state), _routing(row), row.tracking_id)


def _routing(row) -> Routing | None:
    if row.routing_status is None:
        return None
    region = (Region(row.region_code, row.region_name, RegionLevel(row.region_level))
              if row.region_code else None)
    candidates = tuple(Region(c["code"], c["name"], RegionLevel(c["level"]))
                       for c in (row.candidates or []))
    place = Place(**row.place) if row.place else None
    return Routing(RoutingStatus(row.routing_status), row.body or "", region, candidates, place)
