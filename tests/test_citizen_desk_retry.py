"""A CEK whose answer could not be queued (the database failed at that moment) is not left
for the next start: the desk takes the unanswered CEKs up again after a backoff — a unit
test of the desk on a fake clock, with a journal of our own that fails once."""
from twisted.internet import defer
from twisted.internet.task import Clock

from gateway.case_status import CaseStatus
from gateway.citizen_desk import RETRY_MAX_S, CitizenDesk
from gateway.command_texts import CommandTexts
from gateway.model import AcceptResult, Message, Reply
from gateway.parsers.citizen_commands import recognise

CEK = Message("sms", "+6281234567890", "CEK 1000001", "k1")


class OnceFailingJournal:
    """Stores one CEK; queueing its answer fails the first time, as a database would."""

    def __init__(self):
        self.answers: list[str] = []
        self.failures_left = 1

    def accept(self, message):
        return defer.succeed(AcceptResult("", duplicate=False, message_id=1))

    def case_filed_by(self, tracking, channel, sender):
        return defer.succeed(tracking)

    def queue_command_answer(self, message_id, text):
        if self.failures_left:
            self.failures_left -= 1
            return defer.fail(ConnectionError("database went away"))
        self.answers.append(text)
        return defer.succeed(Reply(len(self.answers), None, "sms", CEK.sender, text))

    def unanswered_commands(self, command):
        return defer.succeed([] if self.answers else [(1, CEK)])


class Outbox:
    def __init__(self):
        self.sent = []

    def send(self, reply):
        self.sent.append(reply.text)


def test_an_answer_that_could_not_be_queued_is_queued_after_a_backoff():
    clock, journal, outbox = Clock(), OnceFailingJournal(), Outbox()
    desk = CitizenDesk(journal, outbox, CommandTexts, lambda t: defer.succeed(CaseStatus(t, "verified")), clock)
    desk.accept(CEK, recognise(CEK.text))
    assert outbox.sent == [], "the database failed: nothing queued yet"
    clock.advance(RETRY_MAX_S)
    assert len(outbox.sent) == 1 and outbox.sent[0].startswith("LAPOR! Aduan #1000001: sudah diverifikasi")
    clock.advance(RETRY_MAX_S * 2)
    assert len(outbox.sent) == 1 and clock.getDelayedCalls() == [], "answered once, nothing left to do"


def test_a_stopped_desk_leaves_no_timer():
    clock, journal = Clock(), OnceFailingJournal()
    desk = CitizenDesk(journal, Outbox(), CommandTexts, None, clock)
    desk.accept(CEK, recognise(CEK.text))
    desk.stop()
    assert clock.getDelayedCalls() == []
