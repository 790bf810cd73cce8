"""The worker's timing on a controllable clock (no network, no database): Retry-After,
backoff while the store is up, one probe while it is down, oldest first after."""
from datetime import datetime, timedelta, timezone

from twisted.internet.defer import Deferred, succeed
from twisted.internet.task import Clock

from gateway.forwarder.base import CaseStore, PermanentFailure, TemporaryFailure
from gateway.forwarder.settings import ForwarderSettings
from gateway.forwarder.worker import ForwardingWorker
from gateway.model import Complaint, ComplaintState, Message, Receipt

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


class ScriptedStore(CaseStore):
    """Answers each submission with the next scripted outcome (default: a case)."""

    name = "scripted"

    def __init__(self):
        self.script: list = []
        self.submitted: list[str] = []
        self.open: list[Deferred] = []

    def submit(self, complaint):
        self.submitted.append(complaint.id)
        outcome = self.script.pop(0) if self.script else "case"
        if outcome == "case":
            return succeed(Receipt(complaint.id, f"T-{complaint.id}"))
        if outcome == "open":  # answered later by the test
            d = Deferred()
            self.open.append(d)
            return d
        d = Deferred()
        d.errback(outcome)
        return d


class JournalStub:
    def __init__(self):
        self.failures, self.forwarded = [], []

    def record_forwarded(self, complaint_id, tracking_id, kind, text):
        self.forwarded.append(complaint_id)
        return succeed(None)

    def record_forward_failure(self, complaint_id, error, dead, next_attempt_at, reply=None,
                               attempt=True):
        self.failures.append((complaint_id, dead))
        return succeed(None)


def complaint(n: int) -> Complaint:
    message = Message("sms", "+6281500000000", f"text {n}", f"k{n}", received_at=T0 + timedelta(seconds=n))
    return Complaint(f"c{n}", message, ComplaintState.PARSED)


def worker(case_store, journal, clock, **options):
    settings = {"concurrency": 2, "timeout_s": 30.0, "retry_initial_s": 1.0, "retry_max_s": 60.0,
                "outage_after_failures": 3} | options
    rest = {key: settings.pop(key) for key in ("rng", "paused_until", "remember_pause") if key in settings}
    return ForwardingWorker(case_store, journal, clock, ForwarderSettings(**settings),
                            reply_for=lambda c, t: ("routed", t), on_reply=lambda r: None,
                            **({"rng": lambda: 1.0} | rest))


def test_retry_after_pauses_forwarding_until_the_store_said():
    clock, cases, journal = Clock(), ScriptedStore(), JournalStub()
    w = worker(cases, journal, clock)
    cases.script = [TemporaryFailure("429", retry_after=30.0)]
    w.enqueue(complaint(2))
    w.enqueue(complaint(3))
    assert cases.submitted == ["c2"] and journal.forwarded == []
    w.enqueue(complaint(1))
    assert cases.submitted == ["c2"], "nothing goes out while the store asked us to wait"
    clock.advance(29.9)
    assert cases.submitted == ["c2"]
    clock.advance(0.2)
    assert cases.submitted == ["c2", "c1", "c2", "c3"]  # the oldest probes, then the rest follow
    assert journal.forwarded == ["c1", "c2", "c3"]


def test_while_the_store_is_up_a_lone_failure_retries_on_its_own_backoff():
    clock, cases, journal = Clock(), ScriptedStore(), JournalStub()
    w = worker(cases, journal, clock)
    cases.script = [TemporaryFailure("500")]
    w.enqueue(complaint(1))
    w.enqueue(complaint(2))
    assert journal.forwarded == ["c2"] and w.health.state.value == "up"
    clock.advance(0.99)  # rng 1.0: the first wait is the full initial second
    assert cases.submitted == ["c1", "c2"]
    clock.advance(0.02)
    assert journal.forwarded == ["c2", "c1"] and w.backlog == 0


def test_down_means_one_probe_at_a_time_with_growing_waits_then_oldest_first():
    clock, cases, journal = Clock(), ScriptedStore(), JournalStub()
    w = worker(cases, journal, clock, concurrency=3)
    down = TemporaryFailure("connection refused")
    cases.script = [down] * 6
    for n in (5, 4, 3, 2, 1):
        w.enqueue(complaint(n))
    assert cases.submitted == ["c5", "c4", "c3"] and w.health.state.value == "down"
    waits = []
    for _ in range(3):  # three failed probes, each with the oldest complaint
        before = clock.seconds()
        while len(cases.submitted) == len(waits) + 3:
            clock.advance(0.5)
        waits.append(clock.seconds() - before)
    assert cases.submitted[3:] == ["c1", "c1", "c1"]
    assert waits == sorted(waits) and waits[-1] > waits[0]
    while not journal.forwarded:
        clock.advance(0.5)
    assert journal.forwarded == ["c1", "c2", "c3", "c4", "c5"]


def test_a_refusal_is_a_dead_letter_and_counts_as_the_store_answering():
    clock, cases, journal = Clock(), ScriptedStore(), JournalStub()
    w = worker(cases, journal, clock, concurrency=1, outage_after_failures=2)
    cases.script = [TemporaryFailure("503"), PermanentFailure("400 bad payload")]
    w.enqueue(complaint(1))
    w.enqueue(complaint(2))
    clock.advance(1.0)
    assert journal.failures == [("c1", False), ("c2", True)]
    assert w.health.failures_in_row == 0 and w.dead == 1


def test_timeout_is_a_temporary_failure_and_frees_the_slot():
    clock, cases, journal = Clock(), ScriptedStore(), JournalStub()
    w = worker(cases, journal, clock, concurrency=1, timeout_s=5.0)
    cases.script = ["open"]
    w.enqueue(complaint(1))
    w.enqueue(complaint(2))
    assert cases.submitted == ["c1"]
    clock.advance(5.0)
    assert journal.failures == [("c1", False)] and cases.submitted == ["c1", "c2"]
    clock.advance(1.0)
    assert journal.forwarded == ["c2", "c1"]
