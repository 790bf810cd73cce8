"""The case events journal: the status changes the case store pushes (and the embedded
store makes with `complaints set-status`), each recorded once by its event id, with the
notification to the citizen queued in the same transaction — or the reason none was.

The one module that writes `case_events`. One transaction holds the event and its
reply, so a crash right after the case store heard "accepted" loses neither, and a
replay (the same event id again) finds the event and queues nothing. What holds a
notification back — the citizen sent STOP (or their chat is gone), a later event came
first, the same status again, the day's updates for the case spent — is decided here,
from what the database holds, and stored with the event (`notice`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from gateway.case_status import CaseEvent
from gateway.model import Reply, utcnow
from gateway.journal.citizen_journal import opted_out
from gateway.journal.leases import Lease
from gateway.journal.reply_journal import queue_replies
from gateway.journal.tables import case_events, complaints, messages, replies
from gateway.journal.timestamps import as_utc

#: the kind of the replies that tell a citizen their case moved
NOTICE_KIND = "update"
#: the window `updates_per_day` counts in (rolling: no burst at midnight)
DAY = timedelta(days=1)
#: what an event's `notice` says: a reply went with it, or why not
NOTICES = ("queued", "stopped", "superseded", "unchanged", "capped")


@dataclass(frozen=True)
class EventRecord:
    """What recording an event came to. `outcome`: accepted (stored now), replay (stored
    before: nothing done), unknown_tracking (no complaint has that number: nothing
    stored). `notice` (accepted only): one of NOTICES; `reply` the one queued."""

    outcome: str
    notice: str | None = None
    reply: Reply | None = None
    complaint_id: str | None = None


def record_case_event(conn: Connection, event: CaseEvent, notice_text: str, updates_per_day: int,
                      lease: Lease | None = None) -> EventRecord:
    """Store `event` and queue `notice_text` to the citizen whose complaint carries its
    tracking number, unless held back (see the module docstring); all or nothing."""
    if conn.execute(select(case_events.c.event_id)
                    .where(case_events.c.event_id == event.event_id)).first() is not None:
        return EventRecord("replay")
    target = conn.execute(
        select(complaints.c.id, messages.c.channel, messages.c.sender, messages.c.reply_context)
        .join(messages, messages.c.id == complaints.c.message_id)
        .where(complaints.c.tracking_id == event.tracking_id)
        .order_by(messages.c.id).limit(1)).first()   # one complaint per number, the oldest if not
    if target is None:
        return EventRecord("unknown_tracking")
    notice, reply = _held_back(conn, target, event, updates_per_day), None
    if notice is None:
        (reply,) = queue_replies(conn, [dict(complaint_id=target.id, kind=NOTICE_KIND, channel=target.channel,
                                             recipient=target.sender, text=notice_text,
                                             reply_context=target.reply_context)], lease)
        notice = "queued"
    conn.execute(insert(case_events).values(
        event_id=event.event_id, tracking_id=event.tracking_id, status=event.status,
        status_text=event.status_text, occurred_at=event.occurred_at, received_at=utcnow(),
        complaint_id=target.id, notice=notice, reply_id=reply.id if reply else None))
    return EventRecord("accepted", notice, reply, target.id)


def _held_back(conn: Connection, target, event: CaseEvent, updates_per_day: int) -> str | None:
    """Why the citizen is not told of `event`, or None: they are."""
    if opted_out(conn, target.channel, target.sender):
        return "stopped"
    latest = conn.execute(select(case_events.c.status, case_events.c.status_text, case_events.c.occurred_at)
                          .where(case_events.c.complaint_id == target.id)
                          .order_by(case_events.c.occurred_at.desc()).limit(1)).first()
    if latest is not None:
        if as_utc(latest.occurred_at) > event.occurred_at:
            return "superseded"   # telling it now would take the citizen back in time
        if (latest.status, latest.status_text) == (event.status, event.status_text):
            return "unchanged"
    told = conn.execute(select(func.count()).select_from(replies).where(
        replies.c.complaint_id == target.id, replies.c.kind == NOTICE_KIND,
        replies.c.created_at >= utcnow() - DAY)).scalar_one()
    return "capped" if told >= updates_per_day else None


# -- reads -----------------------------------------------------------------------------------
def events_of_complaint(conn: Connection, complaint_id: str) -> list[dict]:
    """A complaint's case events, oldest first, as `complaints show` prints them."""
    return [{"event_id": r.event_id, "status": r.status, "status_text": r.status_text,
             "occurred_at": as_utc(r.occurred_at).isoformat(), "notice": r.notice, "reply_id": r.reply_id}
            for r in conn.execute(select(case_events).where(case_events.c.complaint_id == complaint_id)
                                  .order_by(case_events.c.occurred_at, case_events.c.received_at))]
