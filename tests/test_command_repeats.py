"""A command repeated by SMS (issue 16): SMS keys a message by its words, sender and time
(no id survives an SMSC's redelivery), so the same command from the same number looks
alike whether the SMSC delivers it again or the citizen sends it again. The journal
tells them apart — a redelivery comes within minutes with nothing else from the number
between — on SQLite and PostgreSQL."""
from datetime import datetime, timedelta, timezone

import pytest_twisted
from twisted.internet import reactor

from gateway.journal import open_journal
from gateway.journal.intake_journal import COMMAND_REDELIVERY
from gateway.model import Message

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
CITIZEN = "+6281234567890"


def sms(text: str, at: timedelta, command: str | None = "cek", key: str | None = None) -> Message:
    """An SMS as the channel keys it: the same words share the key (one time bucket here)."""
    return Message("sms", CITIZEN, text, key or f"content-of-{text}#1", received_at=T0 + at,
                   command=command, keyed_by_content=True)


@pytest_twisted.inlineCallbacks
def test_the_same_command_is_a_redelivery_only_soon_and_with_nothing_between(database_url):
    journal = yield open_journal(database_url, reactor)
    try:
        first = yield journal.accept(sms("CEK 1000001", timedelta(0)))
        soon = yield journal.accept(sms("CEK 1000001", timedelta(minutes=5)))
        assert not first.duplicate and soon.duplicate and soon.message_id == first.message_id

        later = yield journal.accept(sms("CEK 1000001", COMMAND_REDELIVERY + timedelta(minutes=1)))
        assert not later.duplicate, "asked again at noon: a new question"
        again = yield journal.accept(sms("CEK 1000001", COMMAND_REDELIVERY + timedelta(minutes=2)))
        assert again.duplicate and again.message_id == later.message_id, "a copy of the new one"

        yield journal.accept(sms("Jalan rusak di Jl. Merdeka", COMMAND_REDELIVERY + timedelta(minutes=3),
                                 command=None))
        between = yield journal.accept(sms("CEK 1000001", COMMAND_REDELIVERY + timedelta(minutes=4)))
        assert not between.duplicate, "something else came between: asked again"
    finally:
        journal.close()


@pytest_twisted.inlineCallbacks
def test_a_complaint_sent_twice_stays_one_complaint_however_far_apart_within_the_window(database_url):
    """Only commands are told apart: a complaint's repeat is the same complaint, as before."""
    journal = yield open_journal(database_url, reactor)
    try:
        first = yield journal.accept(sms("Jalan rusak", timedelta(0), command=None))
        yield journal.accept(sms("STOP", timedelta(minutes=1), command="stop"))
        again = yield journal.accept(sms("Jalan rusak", timedelta(hours=2), command=None))
        assert again.duplicate and again.complaint_id == first.complaint_id
    finally:
        journal.close()
