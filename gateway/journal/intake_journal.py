"""The intake journal: the messages the channels committed, the parts of long messages
held until their last one arrives, and each poller's cursor.

The one module that writes the `messages`, `message_parts` and `cursors` tables.
Accepting a batch also opens the complaints of its messages (`complaint_journal`) and
queues the channels' own answers (`reply_journal`), in the same transaction, so a
committed message never lacks its complaint or answer. The hot-path writes take the
bulk form (see `bulk.py`); they run in the database thread (see `database.py`).
"""
from __future__ import annotations

import uuid

from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from gateway.model import AcceptResult, HeldPart, Message, PartOutcome, Reply, Routing, utcnow
from gateway.journal.bulk import by_channel, chunks
from gateway.journal import citizen_journal
from gateway.journal.complaint_journal import open_complaints
from gateway.journal.leases import Lease, lease_clock
from gateway.journal.reply_journal import queue_replies
from gateway.journal.tables import complaints, cursors, message_parts, messages, replies
from gateway.journal.timestamps import as_utc


#: how long after a command an SMS with the same words from the same address, with
#: nothing else between, is taken as the SMSC delivering it again (our acknowledgement
#: lost, a bind dropped) rather than the citizen asking again; complaints keep the
#: channel's whole window (`dedup_window_s`)
COMMAND_REDELIVERY = timedelta(minutes=10)


# -- messages --------------------------------------------------------------------------------
def accept_messages(conn: Connection, items: list[tuple[Message, Routing | None]],
                    lease: Lease | None = None) -> list[AcceptResult]:
    """Bulk: insert messages and their complaints, or find the ones they duplicate (also
    within the batch). A complaint whose routing is given is born parsed (one write
    carries the message and where it goes); without, received. Messages that complete
    held parts delete them. New complaints are this instance's to forward (`lease`)."""
    batch = [message for message, _ in items]
    routings = {id(message): routing for message, routing in items}
    known = _known_messages(conn, batch)
    results, new = [], []
    for message in batch:
        found = next((known[(message.channel, k)] for k in (message.dedup_key, *message.dedup_also)
                      if (message.channel, k) in known), None)
        if found is not None and message.command and message.keyed_by_content and found[2] is not None \
                and _asked_again(conn, message, found[2]):
            found = None
        if found is not None:
            results.append(AcceptResult(found[0], duplicate=True, tracking_id=found[1], message_id=found[2]))
            continue
        complaint_id = "" if message.answer is not None or message.command else str(uuid.uuid4())
        known[(message.channel, message.dedup_key)] = (complaint_id, None, None)
        results.append(AcceptResult(complaint_id, duplicate=False))
        new.append((message, complaint_id))
    _delete_parts(conn, [m for m in batch if m.parts_key is not None])
    if new:
        answers, ids = _insert_messages(conn, new, routings, lease)
        fresh = iter(ids)
        results = [r if r.duplicate else AcceptResult(r.complaint_id, False, answer=answers.get(i),
                                                      message_id=next(fresh))
                   for i, r in enumerate(results)]
    return results


def _asked_again(conn: Connection, message: Message, earlier_id: int) -> bool:
    """Whether a command with the words of an earlier one (`earlier_id`), on a channel that
    keys messages by their content (SMS), is the citizen asking again rather than the
    upstream delivering the same one again: something else from the address came in
    between (STOP, MULAI, STOP), or the earlier one is older than `COMMAND_REDELIVERY`
    (CEK in the morning and again at noon). Then the earlier one gives up its key
    (kept as `<key>~<id>`), so later copies of the new one find the new one."""
    earlier = conn.execute(select(messages.c.received_at, messages.c.dedup_key)
                           .where(messages.c.id == earlier_id)).one()
    between = conn.execute(select(messages.c.id).where(
        messages.c.channel == message.channel, messages.c.sender == message.sender,
        messages.c.id > earlier_id).limit(1)).first()
    if between is None and as_utc(message.received_at) - as_utc(earlier.received_at) <= COMMAND_REDELIVERY:
        return False
    conn.execute(update(messages).where(messages.c.id == earlier_id)
                 .values(dedup_key=f"{earlier.dedup_key}~{earlier_id}"))
    return True


def _known_messages(conn: Connection, batch: list[Message]) -> dict[tuple[str, str], tuple]:
    """{(channel, dedup key): (complaint id, tracking id, message id)} for every key of the
    batch already committed; a message answered itself (a bot's help, a command) has
    complaint id ""."""
    known: dict[tuple[str, str], tuple[str, str | None, int | None]] = {}
    for channel, keys in by_channel((m.channel, k) for m in batch for k in (m.dedup_key, *m.dedup_also)):
        for chunk in chunks(keys):
            # An outer join: a message the channel answered itself has no complaint.
            rows = conn.execute(select(messages.c.dedup_key, messages.c.id.label("message_id"),
                                       complaints.c.id, complaints.c.tracking_id)
                                .outerjoin(complaints, complaints.c.message_id == messages.c.id)
                                .where(messages.c.channel == channel, messages.c.dedup_key.in_(chunk)))
            for r in rows:
                known[(channel, r.dedup_key)] = (r.id or "", r.tracking_id, r.message_id)
    return known


def _insert_messages(conn: Connection, new: list[tuple[Message, str]], routings: dict,
                     lease: Lease | None) -> tuple[dict, list[int]]:
    """Insert new messages, open their complaints (with their routing, by message), apply
    STOP / MULAI and queue the answers given; returns ({position in `new`: the answer's
    Reply}, the messages' row ids in order)."""
    rows = [dict(channel=m.channel, dedup_key=m.dedup_key, sender=m.sender, recipient=m.recipient,
                 text=m.text, received_at=m.received_at, channel_message_ids=list(m.channel_message_ids),
                 flags=list(m.flags), reply_context=m.reply_context, raw_hex=m.raw_hex,
                 parts_key=m.parts_key, command=m.command) for m, _ in new]
    ids = conn.execute(insert(messages).returning(messages.c.id, sort_by_parameter_order=True),
                       rows).scalars().all()
    open_complaints(conn, [(complaint_id, message_id, routings.get(id(m)))
                           for (m, complaint_id), message_id in zip(new, ids) if complaint_id], lease)
    _apply_choices(conn, [m for m, _ in new if m.command in ("stop", "start")])
    return _queue_answers(conn, [(m, mid) for (m, _), mid in zip(new, ids)], lease), ids


def _apply_choices(conn: Connection, choices: list[Message]) -> None:
    """STOP and MULAI take effect with the message that says them (a redelivery repeats nothing)."""
    for message in choices:
        change = citizen_journal.opt_out if message.command == "stop" else citizen_journal.opt_in
        change(conn, message.channel, message.sender)


def queue_command_answer(conn: Connection, message_id: int, text: str,
                         lease: Lease | None = None) -> Reply | None:
    """The answer to a command composed after its commit (CEK asks the case store): queued
    once per message — None when it already has one (a redelivery, a resumed answer)."""
    # The message's row is locked first: two instances composing the same answer (a
    # redelivery to the other, a start's `resume`) take turns, and the second finds it.
    m = conn.execute(select(messages).where(messages.c.id == message_id).with_for_update()).one()
    if conn.execute(select(replies.c.id).where(replies.c.message_id == message_id)).first():
        return None
    (reply,) = queue_replies(conn, [dict(message_id=message_id, kind="answer", channel=m.channel,
                                         recipient=m.sender, text=text, reply_context=m.reply_context)], lease)
    return reply


def unanswered_commands(conn: Connection, command: str, limit: int = 500) -> list[tuple[int, Message]]:
    """Commands committed but not answered (a stop came between): a start answers them."""
    answered = select(replies.c.message_id).where(replies.c.message_id.is_not(None))
    rows = conn.execute(select(messages).where(messages.c.command == command,
                                               messages.c.id.not_in(answered))
                        .order_by(messages.c.id).limit(limit)).all()
    return [(r.id, Message(r.channel, r.sender, r.text, r.dedup_key, recipient=r.recipient,
                           reply_context=r.reply_context, command=r.command)) for r in rows]


def _queue_answers(conn: Connection, stored: list[tuple[Message, int]], lease: Lease | None) -> dict:
    """Queue the channel's own answers in the transaction that records their messages, so a
    redelivered message is never answered twice; returns {position in `stored`: Reply}."""
    todo = [(i, m, mid) for i, (m, mid) in enumerate(stored) if m.answer is not None]
    queued = queue_replies(conn, [dict(message_id=mid, kind="answer", channel=m.channel, recipient=m.sender,
                                       text=m.answer, reply_context=m.reply_context) for _, m, mid in todo],
                           lease)
    return {i: reply for (i, _, _), reply in zip(todo, queued)}


# -- parts of long messages ------------------------------------------------------------------
def hold_parts(conn: Connection, parts: list[HeldPart]) -> list[PartOutcome]:
    """Bulk: store parts of long messages — unless held already, or their message is
    already committed (a late copy the SMSC delivers again). The last part of a batch
    with which every part of its message is held (`HeldPart.of`) completes it."""
    _lock_messages(conn, {(p.channel, p.parts_key) for p in parts})
    held, completed = _held_and_completed(conn, parts)
    out, rows = [], []
    for p in parts:
        slot = (p.channel, p.parts_key, p.part_no)
        if p.completed_since is not None and any(
                (c, k) == (p.channel, p.parts_key) and as_utc(at) >= p.completed_since
                for c, k, at in completed):
            out.append(PartOutcome.COMPLETED)
        elif slot in held:
            out.append(PartOutcome.ALREADY_HELD)
        else:
            out.append(PartOutcome.HELD)
            held.add(slot)
            rows.append(dict(channel=p.channel, parts_key=p.parts_key, part_no=p.part_no,
                             part=p.part, received_at=p.received_at))
    if rows:
        conn.execute(insert(message_parts), rows)
    return _completing(parts, out, held)


def _completing(parts: list[HeldPart], out: list[PartOutcome], held: set) -> list[PartOutcome]:
    """Mark COMPLETES the last part (in the batch) of each message all of whose parts are held."""
    count: dict[tuple[str, str], int] = {}
    for channel, key, _ in held:
        count[(channel, key)] = count.get((channel, key), 0) + 1
    marked: set[tuple[str, str]] = set()
    for i in reversed(range(len(parts))):
        p, message = parts[i], (parts[i].channel, parts[i].parts_key)
        if (out[i] is not PartOutcome.COMPLETED and p.of > 1 and message not in marked
                and count.get(message, 0) >= p.of):
            out[i] = PartOutcome.COMPLETES
            marked.add(message)
    return out


def _lock_messages(conn: Connection, messages_: set[tuple[str, str]]) -> None:
    """On PostgreSQL, wait for the right to hold parts of these messages: two instances
    holding the last two parts of one message at once must not both see the other's
    missing, so holds of one message take turns (a transaction-scoped advisory lock, in
    one order, so two batches cannot deadlock on them). SQLite has one writer anyway."""
    for channel, key in sorted(messages_):
        _message_lock(conn, channel, key, wait=True)


def _try_lock_message(conn: Connection, channel: str, key: str) -> bool:
    """Like `_lock_messages` for one message, without waiting: False if another
    transaction holds it (a hold under way, or another instance claiming it)."""
    return _message_lock(conn, channel, key, wait=False)


def _message_lock(conn: Connection, channel: str, key: str, wait: bool) -> bool:
    if conn.dialect.name != "postgresql":
        return True
    function = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    got = conn.execute(text(f"SELECT {function}(hashtextextended(:k, 0))"), {"k": f"{channel}|{key}"}).scalar()
    return wait or bool(got)


def _held_and_completed(conn: Connection, parts: list[HeldPart]) -> tuple[set, set]:
    """The (channel, parts key, part no) slots already held, and the (channel, parts key,
    received at) of messages already committed from such parts."""
    held, completed = set(), set()
    for channel, keys in by_channel((p.channel, p.parts_key) for p in parts):
        for chunk in chunks(keys):
            held |= {(channel, r.parts_key, r.part_no) for r in conn.execute(
                select(message_parts.c.parts_key, message_parts.c.part_no)
                .where(message_parts.c.channel == channel, message_parts.c.parts_key.in_(chunk)))}
            completed |= {(channel, r.parts_key, r.received_at) for r in conn.execute(
                select(messages.c.parts_key, messages.c.received_at)
                .where(messages.c.channel == channel, messages.c.parts_key.in_(chunk)))}
    return held, completed


def claim_expired_parts(conn: Connection, channel: str, older_than: datetime,
                        completed_since: datetime, lease: Lease | None = None,
                        limit: int = 100) -> list[HeldPart]:
    """The held parts of messages whose first part came before `older_than` and whose
    other parts stopped coming — wherever they arrived — claimed for this instance (rows
    locked `FOR UPDATE SKIP LOCKED`, stamped with its lease) so that one instance commits
    each as a partial message, and a dead instance's parts are committed by another.
    Parts of a message committed since `completed_since` are late copies: deleted."""
    keys = conn.execute(select(message_parts.c.parts_key).where(message_parts.c.channel == channel)
                        .group_by(message_parts.c.parts_key)
                        .having(func.min(message_parts.c.received_at) < older_than)
                        .order_by(func.min(message_parts.c.received_at)).limit(limit)).scalars().all()
    now, claimed = lease_clock(conn), []
    for key in keys:
        rows = _claim_message_parts(conn, channel, key, lease, now) if _try_lock_message(conn, channel, key) else []
        if rows and _completed_since(conn, channel, key, completed_since):
            conn.execute(delete(message_parts).where(message_parts.c.id.in_([r.id for r in rows])))
            continue
        claimed += [HeldPart(r.channel, r.parts_key, r.part_no, r.part, as_utc(r.received_at)) for r in rows]
    return claimed


def _claim_message_parts(conn: Connection, channel: str, key: str, lease: Lease | None, now: datetime) -> list:
    """All held parts of one message, locked and leased to `lease` — none if another
    instance's lease on any of them still runs."""
    rows = conn.execute(select(message_parts).where(
        message_parts.c.channel == channel, message_parts.c.parts_key == key)
        .with_for_update(skip_locked=True)).all()
    if lease is None or not rows:
        return rows
    if any(r.lease_owner not in (None, lease.owner) and as_utc(r.lease_until) >= now for r in rows):
        return []
    conn.execute(update(message_parts).where(message_parts.c.id.in_([r.id for r in rows]))
                 .values(**lease.columns(now)))
    return rows


def _completed_since(conn: Connection, channel: str, key: str, since: datetime) -> bool:
    return conn.execute(select(func.count()).select_from(messages).where(
        messages.c.channel == channel, messages.c.parts_key == key,
        messages.c.received_at >= since)).scalar() > 0


def _delete_parts(conn: Connection, completing: list[Message]) -> None:
    """The parts a message completes leave in the transaction that commits it."""
    if completing:
        conn.execute(delete(message_parts).where(
            message_parts.c.channel == bindparam("c"), message_parts.c.parts_key == bindparam("k")),
            [{"c": m.channel, "k": m.parts_key} for m in completing])


def held_parts(conn: Connection, channel: str, parts_key: str | None = None) -> list[HeldPart]:
    """The parts `channel` holds (of one message: `parts_key`), in arrival order: what it
    reassembles from after a restart, or when the parts came through several instances."""
    query = select(message_parts).where(message_parts.c.channel == channel)
    if parts_key is not None:
        query = query.where(message_parts.c.parts_key == parts_key)
    rows = conn.execute(query.order_by(message_parts.c.id))
    return [HeldPart(r.channel, r.parts_key, r.part_no, r.part, as_utc(r.received_at)) for r in rows]


# -- pollers' cursors ------------------------------------------------------------------------
def save_cursor(conn: Connection, channel: str, value: str) -> None:
    """Where a poller has read up to, so a restart does not read the same page again.

    A numeric cursor (X's since_id, Telegram's offset) only moves forward, decided in
    the one upsert that writes it: a poller that lost its job to another instance
    (stalled, cut off) may still save its late, smaller position, and must not rewind
    what the new holder stored (see gateway/leadership.py)."""
    statement = (postgresql.insert(cursors) if conn.dialect.name == "postgresql"
                 else sqlite.insert(cursors)).values(channel=channel, value=value, updated_at=utcnow())
    new = statement.excluded
    conn.execute(statement.on_conflict_do_update(
        index_elements=[cursors.c.channel], set_={"value": new.value, "updated_at": new.updated_at},
        where=_further(cursors.c.value, new.value) if _is_number(value) else None))


def _is_number(value: str) -> bool:
    return value.isascii() and value.isdigit()


def _further(stored, given):
    """`given` is a larger number than `stored`, both written in decimal without leading
    zeros: longer, or as long and after it — no cast, so no dialect's numeric limits."""
    return or_(func.length(stored) < func.length(given),
               and_(func.length(stored) == func.length(given), stored < given))


def load_cursor(conn: Connection, channel: str) -> str | None:
    return conn.execute(select(cursors.c.value).where(cursors.c.channel == channel)).scalar()
