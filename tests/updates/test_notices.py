"""What the journal decides about a case event's notification (gateway/journal/event_journal.py),
on SQLite and PostgreSQL: queued with the event in one transaction, or held back and the
reason stored — STOP (and MULAI again), the day's cap, an older event, the same status
again — and a chat gone (Telegram 403) is opted out with its failed reply."""
from datetime import datetime, timedelta, timezone

import pytest_twisted
from sqlalchemy import select, update
from twisted.internet import reactor

from gateway.case_status import CaseEvent
from gateway.journal import open_journal
from gateway.journal.citizen_journal import opt_in, opt_out, opted_out
from gateway.journal.tables import case_events, replies
from gateway.model import Message, Routing, RoutingStatus, utcnow

PHONE = "+6281500000001"


@pytest_twisted.inlineCallbacks
def forwarded_complaint(journal, tracking: str = "5000001", sender: str = PHONE, channel: str = "sms"):
    accepted = yield journal.accept(Message(channel, sender, "Jateng Jalan rusak", f"k-{tracking}",
                                            received_at=utcnow()),
                                    Routing(RoutingStatus.UNROUTED, "Jalan rusak"))
    yield journal.record_forwarded(accepted.complaint_id, tracking, "unrouted", f"nomor #{tracking}")
    return accepted.complaint_id


def event(n: int, status: str = "in_progress", tracking: str = "5000001", text: str | None = None,
          at: datetime | None = None) -> CaseEvent:
    return CaseEvent(f"ev-{n}", tracking, status, text, at or utcnow())


def notices(journal):
    def read(conn):
        return [(r.event_id, r.notice, r.reply_id is not None)
                for r in conn.execute(select(case_events).order_by(case_events.c.received_at))]
    return journal.database.transact(read)


@pytest_twisted.async_yield_fixture
async def journal(database_url):
    """The journal on SQLite, then on PostgreSQL; drained and closed after the test."""
    opened = await open_journal(database_url, reactor)
    yield opened
    await opened.drain()
    opened.close()


@pytest_twisted.inlineCallbacks
def test_an_event_is_stored_with_its_reply_once_and_an_unknown_number_not_at_all(journal):
    complaint_id = yield forwarded_complaint(journal)
    first = yield journal.record_case_event(event(1), "diproses", 3)
    assert (first.outcome, first.notice, first.complaint_id) == ("accepted", "queued", complaint_id)
    assert (first.reply.channel, first.reply.recipient, first.reply.text) == ("sms", PHONE, "diproses")
    again = yield journal.record_case_event(event(1, "closed"), "selesai", 3)
    assert (again.outcome, again.reply) == ("replay", None)
    unknown = yield journal.record_case_event(event(2, tracking="404"), "x", 3)
    assert unknown.outcome == "unknown_tracking"
    assert (yield notices(journal)) == [("ev-1", "queued", True)]
    detail = yield journal.show_complaint(complaint_id)
    assert [r["kind"] for r in detail["replies"]] == ["unrouted", "update"]


@pytest_twisted.inlineCallbacks
def test_stop_holds_updates_back_and_mulai_lets_them_through_again(journal):
    yield forwarded_complaint(journal)
    yield journal.database.transact(lambda conn: opt_out(conn, "sms", PHONE))
    held = yield journal.record_case_event(event(1, "verified"), "t", 3)
    assert (held.notice, held.reply) == ("stopped", None)
    yield journal.database.transact(lambda conn: opt_in(conn, "sms", PHONE))
    told = yield journal.record_case_event(event(2, "assigned"), "t", 3)
    assert told.notice == "queued" and told.reply is not None
    assert (yield notices(journal)) == [("ev-1", "stopped", False), ("ev-2", "queued", True)]


@pytest_twisted.inlineCallbacks
def test_an_older_event_or_the_same_status_again_is_not_told(journal):
    yield forwarded_complaint(journal)
    now = utcnow()
    yield journal.record_case_event(event(1, "in_progress", at=now), "t", 9)
    older = yield journal.record_case_event(event(2, "verified", at=now - timedelta(hours=1)), "t", 9)
    same = yield journal.record_case_event(event(3, "in_progress", at=now + timedelta(seconds=1)), "t", 9)
    noted = yield journal.record_case_event(event(4, "in_progress", text="Tim sudah ke lokasi",
                                                  at=now + timedelta(seconds=2)), "t", 9)
    assert (older.notice, same.notice, noted.notice) == ("superseded", "unchanged", "queued")


@pytest_twisted.inlineCallbacks
def test_the_daily_cap_counts_the_last_24_hours_per_case(journal):
    yield forwarded_complaint(journal)
    yield forwarded_complaint(journal, tracking="5000002", sender="+6281500000002")
    statuses = ["verified", "assigned", "in_progress", "resolved"]
    got = []
    for n, status in enumerate(statuses):
        got.append((yield journal.record_case_event(event(n, status), "t", 3)).notice)
    assert got == ["queued", "queued", "queued", "capped"]
    other = yield journal.record_case_event(event(9, "verified", tracking="5000002"), "t", 3)
    assert other.notice == "queued"                           # another case: its own cap
    yesterday = datetime.now(timezone.utc) - timedelta(hours=25)
    yield journal.database.transact(lambda conn: conn.execute(
        update(replies).where(replies.c.kind == "update").values(created_at=yesterday)))
    later = yield journal.record_case_event(event(5, "closed"), "t", 3)
    assert later.notice == "queued"                           # a day later: told again
    none = yield journal.record_case_event(event(6, "rejected"), "t", 0)
    assert none.notice == "capped"                            # 0: never


@pytest_twisted.inlineCallbacks
def test_a_chat_gone_fails_its_reply_and_gets_no_more_updates(journal):
    yield forwarded_complaint(journal, sender="41", channel="telegram")
    told = yield journal.record_case_event(event(1, "verified"), "t", 3)
    assert (yield journal.record_address_gone(told.reply.id, "rejected: Forbidden: bot was blocked"))
    state = yield journal.database.transact(lambda conn: (
        conn.execute(select(replies.c.state).where(replies.c.id == told.reply.id)).scalar_one(),
        opted_out(conn, "telegram", "41")))
    assert state == ("failed", True)
    held = yield journal.record_case_event(event(2, "assigned"), "t", 3)
    assert held.notice == "stopped"
