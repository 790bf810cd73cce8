"""Intake first (issue 13): during a burst the citizens' messages are committed and
acknowledged ahead of forwarding and replies, which lag and catch up; at a citizen's
pace nothing is held back; a sustained flood still lets the downstream stages through."""
import pytest_twisted
from twisted.internet import defer, reactor
from twisted.internet.task import Clock

from gateway.intake_first import IntakeFirst
from gateway.journal import open_journal
from gateway.model import Message


def sms(n: int) -> Message:
    return Message(channel="sms", sender=f"+62812000{n:05d}", text="KabBanyumas Jalan rusak",
                   dedup_key=f"key-{n}")


@pytest_twisted.inlineCallbacks
def test_intake_writes_overtake_waiting_downstream_writes_and_are_answered_first(tmp_path):
    journal = yield open_journal(f"sqlite:///{tmp_path / 'gateway.db'}", reactor)
    try:
        ran, heard = [], []

        def downstream(n):
            def write(conn):
                ran.append(f"downstream {n}")
            return write
        busy = journal.committer.submit(lambda conn: None)   # a transaction under way
        later = [journal.committer.submit(downstream(n)) for n in range(3)]
        accepts = [journal.accept(sms(n)) for n in range(3)]
        assert journal.committer.intake_waiting == 3
        for n, d in enumerate(later):
            d.addCallback(lambda _, n=n: heard.append(f"downstream {n}"))
        for n, d in enumerate(accepts):
            d.addCallback(lambda _, n=n: heard.append(f"accept {n}"))
        yield defer.gatherResults([busy, *later, *accepts])

        assert heard == ["accept 0", "accept 1", "accept 2",
                         "downstream 0", "downstream 1", "downstream 2"]
        assert ran == ["downstream 0", "downstream 1", "downstream 2"]   # their own order kept
        assert journal.committer.intake_waiting == 0
    finally:
        journal.close()


class Waiting:
    """How many intake writes wait for their commit, as the test sets it."""

    def __init__(self):
        self.now = 0

    def __call__(self) -> int:
        return self.now


def gate(clock, waiting):
    return IntakeFirst(clock, waiting, saturated_at=8, quiet_s=0.02, max_hold_s=0.25)


def test_at_a_citizens_pace_nothing_is_held_back():
    clock, waiting = Clock(), Waiting()
    first = gate(clock, waiting)
    for _ in range(100):
        waiting.now = 1
        first.intake_arrived()
        assert first.may_start("forwarder", lambda: None)
        clock.advance(0.01)
    assert first.holds == 0


def test_during_a_burst_downstream_waits_until_intake_is_quiet():
    clock, waiting = Clock(), Waiting()
    first, woken = gate(clock, waiting), []
    waiting.now = 50
    first.intake_arrived()
    assert not first.may_start("forwarder", lambda: woken.append("forwarder"))
    assert not first.may_start("outbox", lambda: woken.append("outbox"))
    assert not first.may_start("forwarder", lambda: woken.append("forwarder"))   # once per key
    clock.advance(0.01)
    waiting.now = 60
    first.intake_arrived()                       # the burst goes on
    clock.advance(0.015)
    assert woken == []
    waiting.now = 0
    clock.advance(0.02)                           # quiet for quiet_s
    assert woken == ["forwarder", "outbox"]
    assert first.may_start("forwarder", lambda: None)


def test_a_sustained_flood_lets_downstream_through_every_max_hold():
    clock, waiting = Clock(), Waiting()
    first, woken = gate(clock, waiting), []
    waiting.now = 100

    def work():
        woken.append(clock.seconds())             # a round starts; when a slot frees, it asks again
        clock.callLater(0.001, first.may_start, "forwarder", work)
    for _ in range(100):                          # a second of saturation
        first.intake_arrived()
        if not woken:
            first.may_start("forwarder", work)
        clock.advance(0.01)
    assert len(woken) == 3                        # a round every max_hold_s (0.25 s), near enough
    assert abs(woken[0] - 0.25) < 1e-9
    assert all(0.25 <= b - a <= 0.27 for a, b in zip(woken, woken[1:]))
