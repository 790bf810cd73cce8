"""The reply leg's journal: a reply's walk queued → sending → sent | delivered | failed |
uncertain, and the delivery reports parked until a reply claims them.

The one module that writes the `replies` and `parked_receipts` tables. Its
hot-path writes take the bulk form (see `bulk.py`); the rest are plain functions of a
Connection. All run in the database thread (see `database.py`) and return records from
`gateway.model` or plain dicts, never ORM objects.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from gateway.model import ComplaintState, DeliveryReport, Reply, ReplyState, utcnow
from gateway.journal.bulk import by_channel, chunks
from gateway.journal.leases import UNCLAIMED, Lease, claimable, lease_clock, renewable
from gateway.journal.tables import complaints, messages, parked_receipts, replies
from gateway.journal.timestamps import as_utc

#: what a restart carries on with: waiting to be sent, or in doubt
RESUMABLE = (ReplyState.QUEUED.value, ReplyState.UNCERTAIN.value)


def queue_replies(conn: Connection, new: list[dict], lease: Lease | None = None) -> list[Reply]:
    """Insert queued replies — the one place a reply row is written first. Each of `new`
    names `kind`, `channel`, `recipient`, `text`, `reply_context` and either
    `complaint_id` or (a channel's own answer) `message_id`. Returns them, in order. With
    a `lease`, the queuing instance holds them (see leases.py)."""
    if not new:
        return []
    now, leased = utcnow(), lease.columns(lease_clock(conn)) if lease else UNCLAIMED
    rows = [{"complaint_id": None, "message_id": None, **r, "state": ReplyState.QUEUED.value,
             "attempts": 0, "resends": 0, "created_at": now, "updated_at": now, **leased} for r in new]
    ids = conn.execute(insert(replies).returning(replies.c.id, sort_by_parameter_order=True),
                       rows).scalars().all()
    return [Reply(rid, r["complaint_id"], r["channel"], r["recipient"], r["text"], r["reply_context"])
            for r, rid in zip(rows, ids)]


def queue_duplicate_reply(conn: Connection, complaint_id: str, text: str, quiet_s: float,
                          max_replies: int, lease: Lease | None = None) -> Reply | None:
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
                                         recipient=msg.sender, text=text, reply_context=msg.reply_context)],
                              lease)
    return reply


def reply_record(row) -> Reply:
    return Reply(row.id, row.complaint_id, row.channel, row.recipient, row.text, row.reply_context,
                 attempts=row.attempts, resends=row.resends,
                 sending_at=as_utc(row.sending_at) if row.sending_at else None)


def resume_replies(conn: Connection, lease: Lease | None = None,
                   channels: list[str] | None = None) -> list[Reply]:
    """Every reply a restart must carry on with, oldest first — with a `lease`, those of
    `channels` no other live instance holds, claimed. A reply caught `sending` — its
    intent committed, its outcome not — becomes uncertain: the crash may have come before
    or after the channel took it."""
    query = select(replies).where(replies.c.state.in_([ReplyState.SENDING.value, *RESUMABLE]))
    if lease is not None and channels is not None:   # one instance: it sees all (and warns)
        query = query.where(replies.c.channel.in_(channels))
    rows = _claimed(conn, query.order_by(replies.c.id), lease)
    caught = [r.id for r in rows if r.state == ReplyState.SENDING.value]
    if caught:
        conn.execute(update(replies).where(replies.c.id.in_(caught)).values(
            state=ReplyState.UNCERTAIN.value, last_error="in flight when the gateway stopped",
            updated_at=utcnow()))
    return [reply_record(r) for r in rows]


def replies_in_doubt_of_the_dead(conn: Connection, lease: Lease, channels: list[str]) -> list[Reply]:
    """Replies another instance was sending or settling when its lease ran out (it died):
    claimed, in doubt (uncertain) — for this instance's channels to settle, as at a start."""
    now = lease_clock(conn)
    # (`!=` passes over rows with no owner: a reply queued before claims existed)
    rows = conn.execute(select(replies).where(
        replies.c.state.in_([ReplyState.SENDING.value, ReplyState.UNCERTAIN.value]),
        replies.c.channel.in_(channels), replies.c.lease_owner != lease.owner,
        replies.c.lease_until < now).order_by(replies.c.id).with_for_update(skip_locked=True)).all()
    if rows:
        conn.execute(update(replies).where(replies.c.id.in_([r.id for r in rows])).values(
            **lease.columns(now), state=ReplyState.UNCERTAIN.value,
            last_error="in flight when its gateway instance stopped", updated_at=utcnow()))
    return [reply_record(r) for r in rows]


def queued_replies_except(conn: Connection, held: list[int], limit: int = 500, lease: Lease | None = None,
                          channels: list[str] | None = None) -> list[Reply]:
    """Queued replies the outbox does not hold — an admin's resends, those left in the
    journal for want of room, a dead instance's — of `channels`, claimed with `lease`."""
    query = select(replies).where(replies.c.state == ReplyState.QUEUED.value)
    if held:
        query = query.where(replies.c.id.not_in(held))
    if lease is not None and channels is not None:   # one instance: it sees all (and warns)
        query = query.where(replies.c.channel.in_(channels))
    return [reply_record(r) for r in _claimed(conn, query.order_by(replies.c.id).limit(limit), lease)]


def _claimed(conn: Connection, query, lease: Lease | None) -> list:
    """The rows `query` finds that this instance may take — nobody's, its own, or an
    expired lease — locked past other instances' claims and stamped with `lease`."""
    if lease is None:
        return conn.execute(query).all()
    now = lease_clock(conn)
    rows = conn.execute(query.where(claimable(replies, lease, now)).with_for_update(skip_locked=True)).all()
    if rows:
        conn.execute(update(replies).where(replies.c.id.in_([r.id for r in rows])).values(**lease.columns(now)))
    return rows


def renew_reply_leases(conn: Connection, ids: list[int], lease: Lease) -> tuple[list[int], list[int]]:
    """Extend this instance's leases on replies `ids`: (the ids it still holds, the ids
    extended now — see `renew_leases`)."""
    mine, renewed, until = [], [], lease.until(lease_clock(conn))
    for chunk in chunks(ids):
        renewed += conn.execute(update(replies).where(renewable(replies, chunk, lease))
                                .values(lease_until=until).returning(replies.c.id)).scalars().all()
        mine += conn.execute(select(replies.c.id).where(
            replies.c.id.in_(chunk), replies.c.lease_owner == lease.owner)).scalars().all()
    return mine, renewed


# -- a send's bookkeeping --------------------------------------------------------------------
def mark_replies_sending(conn: Connection, ids: list[int]) -> list[bool]:
    """Bulk: commit the intent to send, queued → sending. False for a reply no longer
    queued (settled or cancelled meanwhile): it must not be sent."""
    queued = set(conn.execute(select(replies.c.id).where(
        replies.c.id.in_(ids), replies.c.state == ReplyState.QUEUED.value)).scalars())
    if queued:
        conn.execute(update(replies).where(replies.c.id.in_(queued)).values(
            state=ReplyState.SENDING.value, sending_at=utcnow(), updated_at=utcnow()))
    return [rid in queued for rid in ids]


def record_replies_sent(conn: Connection, items: list[tuple[int, str, str | None]]) -> list[tuple | None]:
    """Bulk: (reply id, channel's id, delivery status when the channel's acceptance is the
    delivery itself — a post, a chat message — else None: a receipt will tell). Returns,
    per item, (status, delivered) of a final receipt parked before this record (it
    settles the reply now), else None."""
    # Only a reply still being sent (or in doubt): a settled one keeps its outcome.
    # or_ of equalities, not in_: an "expanding" IN cannot be part of an executemany.
    conn.execute(update(replies).where(
        replies.c.id == bindparam("rid"),
        or_(*(replies.c.state == s.value for s in (ReplyState.SENDING, ReplyState.UNCERTAIN,
                                                   ReplyState.QUEUED))),
    ).values(state=bindparam("st"), channel_message_id=bindparam("mid"), delivery_status=bindparam("ds"),
             attempts=replies.c.attempts + 1, last_error=None, updated_at=utcnow()),
        [{"rid": rid, "mid": mid, "ds": status,
          "st": (ReplyState.DELIVERED if status else ReplyState.SENT).value} for rid, mid, status in items])
    settled = _settle_from_parked(conn, {mid: rid for rid, mid, status in items if status is None and mid})
    return [settled.get(rid) for rid, _, _ in items]


def _settle_from_parked(conn: Connection, reply_of: dict[str, int]) -> dict[int, tuple[str, bool]]:
    """Receipts parked before their reply was recorded as sent — an SMSC that sends the
    receipt before submit_sm_resp, or a receipt whose retry timer died with its process
    (or lives in another instance) — settle their replies in the transaction that records
    the send. {reply id: (status, delivered)} of those a final receipt settled."""
    if not reply_of:
        return {}
    parked = conn.execute(select(parked_receipts).where(
        parked_receipts.c.channel_message_id.in_(list(reply_of)))).all()
    if not parked:
        return {}
    channel_of = dict(conn.execute(select(replies.c.id, replies.c.channel)
                                   .where(replies.c.id.in_(set(reply_of.values())))).all())
    best: dict[int, object] = {}   # a final report over a non-final one
    for row in parked:
        rid = reply_of[row.channel_message_id]
        if channel_of.get(rid) == row.channel and (rid not in best or (row.final and not best[rid].final)):
            best[rid] = row
    for rid, row in best.items():
        state = (ReplyState.DELIVERED if row.delivered else ReplyState.FAILED) if row.final else ReplyState.SENT
        conn.execute(update(replies).where(replies.c.id == rid).values(
            state=state.value, delivery_status=row.status, updated_at=utcnow()))
    conn.execute(delete(parked_receipts).where(parked_receipts.c.id.in_(
        [row.id for row in parked if reply_of[row.channel_message_id] in best])))
    return {rid: (row.status, row.delivered) for rid, row in best.items() if row.final}


def record_reply_failure(conn: Connection, reply_id: int, error: str, final: bool) -> int:
    """Count a failed send (back to queued, or failed when `final`); returns the attempts so far."""
    conn.execute(update(replies).where(replies.c.id == reply_id).values(
        attempts=replies.c.attempts + 1, last_error=error[:2000], updated_at=utcnow(), sending_at=None,
        state=(ReplyState.FAILED if final else ReplyState.QUEUED).value))
    return conn.execute(select(replies.c.attempts).where(replies.c.id == reply_id)).scalar_one()


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


# -- delivery reports -------------------------------------------------------------------------
def record_deliveries(conn: Connection, reports: list[DeliveryReport]) -> list[DeliveryMatch | None]:
    """Bulk: store delivery reports on their replies: the reply each report is about, or
    None for a report no reply has the id of (parked, when it names an address, for a
    reply in doubt to claim).

    The exact id is preferred to its alternate forms, so two forms of two different ids
    cannot be confused; a late, non-final report never undoes a final one."""
    found = _replies_by_channel_id(conn, reports)
    updates, matched = [], []
    for report in reports:
        hit = next((found[(report.channel, i)] for i in (report.channel_message_id, *report.alternate_ids)
                    if (report.channel, i) in found), None)
        final_already = hit is not None and hit[1] in (ReplyState.DELIVERED.value, ReplyState.FAILED.value)
        if hit is None or (final_already and not report.final):
            matched.append(None)
            continue
        matched.append(DeliveryMatch(hit[0], hit[2], report.final and not final_already))
        state = ((ReplyState.DELIVERED if report.delivered else ReplyState.FAILED).value
                 if report.final else hit[1])
        updates.append({"rid": hit[0], "st": state, "ds": report.status})
    if updates:
        conn.execute(update(replies).where(replies.c.id == bindparam("rid")).values(
            state=bindparam("st"), delivery_status=bindparam("ds"), updated_at=utcnow()), updates)
    _unpark(conn, [r for r, hit in zip(reports, matched) if hit])
    _park(conn, [r for r, hit in zip(reports, matched) if not hit and r.address is not None])
    return matched


@dataclass(frozen=True)
class DeliveryMatch:
    """The reply a delivery report is about, and whether the report settled it just now."""

    reply_id: int
    complaint_id: str | None
    settled_now: bool


def _replies_by_channel_id(conn: Connection, reports: list[DeliveryReport]) -> dict:
    """{(channel, channel's id): (reply id, state, complaint id)} for every id the reports name."""
    found: dict[tuple[str, str], tuple[int, str, str | None]] = {}
    for channel, ids in by_channel((r.channel, i) for r in reports
                                   for i in (r.channel_message_id, *r.alternate_ids)):
        for chunk in chunks(ids):
            for row in conn.execute(select(replies.c.id, replies.c.channel_message_id, replies.c.state,
                                           replies.c.complaint_id)
                                    .where(replies.c.channel == channel,
                                           replies.c.channel_message_id.in_(chunk))):
                found[(channel, row.channel_message_id)] = (row.id, row.state, row.complaint_id)
    return found


def _park(conn: Connection, reports: list[DeliveryReport]) -> None:
    """Keep reports no reply has the id of yet, once each (an SMSC delivers again)."""
    if not reports:
        return
    seen = {(r.channel, r.channel_message_id, r.status) for r in conn.execute(
        select(parked_receipts.c.channel, parked_receipts.c.channel_message_id, parked_receipts.c.status)
        .where(parked_receipts.c.channel_message_id.in_({r.channel_message_id for r in reports})))}
    now, rows = utcnow(), []
    for r in reports:
        if (r.channel, r.channel_message_id, r.status) not in seen:
            seen.add((r.channel, r.channel_message_id, r.status))
            rows.append(dict(channel=r.channel, channel_message_id=r.channel_message_id,
                             alternate_ids=list(r.alternate_ids), status=r.status,
                             delivered=r.delivered, final=r.final, address=r.address,
                             snippet=r.snippet, received_at=now))
    if rows:
        conn.execute(insert(parked_receipts), rows)


def _unpark(conn: Connection, reports: list[DeliveryReport]) -> None:
    """Drop the parked copies of reports a reply has now claimed."""
    if reports:
        conn.execute(delete(parked_receipts).where(
            parked_receipts.c.channel == bindparam("c"),
            parked_receipts.c.channel_message_id == bindparam("m")),
            [{"c": r.channel, "m": r.channel_message_id} for r in reports])


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


def match_parked_reports(conn: Connection, limit: int = 500) -> int:
    """Parked reports whose reply has their id by now, settled; how many. With several
    instances a receipt can be parked on one while another records the send of its reply
    (two transactions, neither sees the other); the parking instance's retry timer
    settles it — unless that instance died: then this sweep does."""
    rows = conn.execute(select(parked_receipts).order_by(parked_receipts.c.id).limit(limit)).all()
    reports = [DeliveryReport(r.channel, r.channel_message_id, r.status, r.delivered, r.final,
                              tuple(r.alternate_ids), r.address, r.snippet) for r in rows]
    return sum(match is not None for match in record_deliveries(conn, reports)) if reports else 0


def forget_parked_reports(conn: Connection, older_than: datetime) -> int:
    return conn.execute(delete(parked_receipts).where(parked_receipts.c.received_at < older_than)).rowcount


# -- server hints ----------------------------------------------------------------------------
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


def replies_of_complaint(conn: Connection, complaint_id: str) -> list[dict]:
    """A complaint's replies, oldest first, as `complaints show` prints them."""
    return [
        {"id": r.id, "kind": r.kind, "state": r.state, "delivery_status": r.delivery_status,
         "channel_message_id": r.channel_message_id, "text": r.text, "attempts": r.attempts,
         "resends": r.resends, "last_error": r.last_error}
        for r in conn.execute(select(replies).where(replies.c.complaint_id == complaint_id)
                              .order_by(replies.c.id))]


def count_replies_by_state(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(replies.c.state, func.count()).group_by(replies.c.state))
    return {state: n for state, n in rows}
