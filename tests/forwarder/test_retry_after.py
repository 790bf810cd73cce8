"""The case store's Retry-After, honoured exactly: over real HTTP on 127.0.0.1, the fake
store answers a share of requests 503 + Retry-After: 2; not one complaint is retried
before its answer time + 2 s, nothing at all is submitted while a pause runs, and every
complaint is forwarded once. Also: a pause is not a failed attempt, and it survives a
restart.

The worker's timers and the fake's time stamps run on one `Clock`; the test moves it to
the worker's next timer whenever nothing is in flight, so hundreds of 2-second pauses
take no real time and every comparison is exact.
"""
import math
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks, succeed
from twisted.internet.task import Clock
from twisted.python.failure import Failure

from gateway.forwarder.base import CaseStore, TemporaryFailure
from gateway.forwarder.http_json import HttpJsonCaseStore
from gateway.forwarder.pause_memory import HINT_KEY, PauseMemory, load_pause
from gateway.forwarder.settings import ForwarderSettings
from gateway.forwarder.worker import ForwardingWorker
from gateway.model import Complaint, ComplaintState, Message, Receipt
from gateway.journal import open_journal
from tests.forwarder.fake_case_store import FakeCaseStore
from tests.forwarder.test_worker_timing import ScriptedStore

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)


class WatchedCaseStore(CaseStore):
    """The real HTTP adapter, watched at the worker's edge: every submission made while a
    pause the worker already heard of was running, and when nothing is in flight."""

    name = "watched"

    def __init__(self, inner: CaseStore, clock: Clock):
        self.inner, self.clock = inner, clock
        self.quiet_until = float("-inf")
        self.inside_pause: list[tuple[str, float, float]] = []   # (complaint, sent, pause end)
        self.outstanding = 0
        self._idle: list[Deferred] = []

    def submit(self, complaint):
        now = self.clock.seconds()
        if now < self.quiet_until:
            self.inside_pause.append((complaint.id, now, self.quiet_until))
        self.outstanding += 1
        return self.inner.submit(complaint).addBoth(self._answered)

    def _answered(self, result):
        self.outstanding -= 1
        if isinstance(result, Failure) and result.check(TemporaryFailure) and result.value.retry_after:
            self.quiet_until = max(self.quiet_until, self.clock.seconds() + result.value.retry_after)
        reactor.callLater(0, self._check_idle)  # after the worker has acted on the answer
        return result

    def idle(self) -> Deferred:
        """Fires once nothing is in flight (checked after the current reactor turn)."""
        d = Deferred()
        self._idle.append(d)
        reactor.callLater(0, self._check_idle)
        return d

    def _check_idle(self):
        if self.outstanding == 0:
            waiters, self._idle = self._idle, []
            for d in waiters:
                d.callback(None)

    def close(self):
        return self.inner.close()


class Journal:
    """The store's part the worker needs, answering at once."""

    def __init__(self):
        self.forwarded: list[str] = []
        self.failures: list[tuple[str, str, bool]] = []

    def record_forwarded(self, complaint_id, tracking_id, kind, text):
        self.forwarded.append(complaint_id)
        return succeed(None)

    def record_forward_failure(self, complaint_id, error, dead, next_attempt_at, reply=None,
                               attempt=True):
        self.failures.append((complaint_id, error, dead))
        return succeed(None)


def complaint(n: int) -> Complaint:
    message = Message("sms", f"+62815{n:08d}", f"KabBanyumas Jalan rusak nomor {n}", f"k-{n}",
                      received_at=T0 + timedelta(seconds=n))
    return Complaint(f"c{n:04d}", message, ComplaintState.PARSED)


@inlineCallbacks
def run_until_settled(worker: ForwardingWorker, watched: WatchedCaseStore, clock: Clock):
    """Let the network work; when nothing is in flight, move the clock to the next timer."""
    while worker.backlog:
        yield watched.idle()
        if not worker.backlog:
            break
        calls = clock.getDelayedCalls()
        assert calls, "complaints held, nothing in flight, no timer: the worker is stuck"
        clock.rightNow = max(clock.rightNow, min(call.getTime() for call in calls))
        clock.advance(0)


def early_retries(requests: list[dict]) -> tuple[int, int, list[float]]:
    """(retries after a Retry-After answer, how many came early, how early each was) by the
    fake's own stamps: a complaint's next request against its last answer time + Retry-After."""
    by_key = defaultdict(list)
    for request in requests:
        by_key[request["key"]].append(request)
    retries, early = 0, []
    for seen in by_key.values():
        for answer, retry in zip(seen, seen[1:]):
            if answer["retry_after"] is not None:
                retries += 1
                not_before = answer["answered_at"] + float(answer["retry_after"])
                if retry["at"] < not_before:
                    early.append(not_before - retry["at"])
    return retries, len(early), early


@pytest_twisted.inlineCallbacks
def test_503_retry_after_2_on_a_share_of_requests_no_retry_comes_early():
    clock = Clock()
    clock.rightNow = 1_750_000_000.0  # Unix-like seconds: float steps as on a real reactor
    fake = FakeCaseStore(reactor, clock=clock).start()
    fake.retry_after = "2"
    fake.reject = lambda payload: (503, {"error": "busy"}) if fake.rng.random() < 0.2 else None
    adapter = HttpJsonCaseStore(reactor, fake.base_url, fake.token, connections=8)
    watched, journal = WatchedCaseStore(adapter, clock), Journal()
    worker = ForwardingWorker(watched, journal, clock,
                              ForwarderSettings(concurrency=8, timeout_s=30.0, retry_initial_s=0.5,
                                                retry_max_s=10.0, outage_after_failures=5),
                              reply_for=lambda c, t: ("routed", t), on_reply=lambda r: None)
    complaints = [complaint(n) for n in range(300)]
    try:
        for c in complaints:
            worker.enqueue(c)
        yield run_until_settled(worker, watched, clock).addTimeout(60, reactor)

        codes = Counter(r["code"] for r in fake.requests)
        retries, early, how_early = early_retries(fake.requests)
        print(f"\n503 answers {codes[503]}, retries after them {retries}, early {early}")
        assert codes[503] >= 50 and retries == codes[503]  # the store did push back, often
        assert early == 0, f"{early} of {retries} retries early, by up to {max(how_early):.3f} s"
        assert watched.inside_pause == [], "submitted while a pause the worker knew of ran"
        assert sorted(fake.created) == [c.id for c in complaints]
        assert Counter(journal.forwarded) == Counter(c.id for c in complaints)
        assert worker.dead == 0 and all(not dead for _, _, dead in journal.failures)
    finally:
        yield worker.stop()
        yield fake.stop()


def clock_worker(cases, clock, **options):
    settings = {"concurrency": 4, "timeout_s": 30.0, "retry_initial_s": 1.0, "retry_max_s": 60.0,
                "outage_after_failures": 3} | options
    rest = {key: settings.pop(key) for key in ("rng", "paused_until", "remember_pause") if key in settings}
    return ForwardingWorker(cases, Journal(), clock, ForwarderSettings(**settings),
                            reply_for=lambda c, t: ("routed", t), on_reply=lambda r: None,
                            **({"rng": lambda: 1.0} | rest))


def at(clock: Clock, moment: float) -> None:
    """Move `clock` to exactly `moment` and run what is due."""
    clock.rightNow = moment
    clock.advance(0)


def just_before(moment: float) -> float:
    return math.nextafter(moment, -math.inf)


def test_a_retry_after_is_a_pause_not_a_failure_probes_follow_the_hint_however_often():
    clock, cases = Clock(), ScriptedStore()
    w = clock_worker(cases, clock)
    cases.script = [TemporaryFailure("503", retry_after=2.0)] * 8
    w.enqueue(complaint(1))
    for n in range(1, 8):  # the oldest probes exactly when each pause ends: no growing backoff
        at(clock, just_before(2.0 * n))
        assert len(cases.submitted) == n
        at(clock, 2.0 * n)
        assert len(cases.submitted) == n + 1
    assert w.health.failures_in_row == 0


def test_an_answer_to_an_older_request_does_not_end_a_running_pause():
    clock, cases = Clock(), ScriptedStore()
    w = clock_worker(cases, clock)
    cases.script = ["open"] * 4
    for n in (1, 2, 3):
        w.enqueue(complaint(n))
    first, second, third = cases.open
    first.errback(TemporaryFailure("503", retry_after=2.0))
    at(clock, 1.0)
    second.errback(TemporaryFailure("503", retry_after=2.0))  # the pause now ends at 3.0
    third.callback(Receipt("c0003", "T-3"))
    assert len(cases.submitted) == 3, "a success inside the pause reopens nothing"
    at(clock, just_before(3.0))
    assert len(cases.submitted) == 3, "the probe waits for the later pause"
    at(clock, 3.0)
    assert cases.submitted[3:] == ["c0001"]  # one probe, the oldest
    assert w.backlog == 2


class Hints:
    """A double of the store's hint API, whose writes finish when the test says."""

    def __init__(self):
        self.values: dict[str, dict] = {}
        self.writes = 0
        self.open: list[Deferred] = []

    def save_hint(self, key, value):
        self.writes += 1
        self.values[key] = value
        d = Deferred()
        self.open.append(d)
        return d

    def load_hints(self):
        return succeed(dict(self.values))

    def finish_writes(self):
        while self.open:
            self.open.pop(0).callback(None)


@pytest_twisted.inlineCallbacks
def test_the_pause_survives_a_restart():
    clock, cases, hints = Clock(), ScriptedStore(), Hints()
    clock.rightNow = 1000.0
    memory = PauseMemory(hints)
    w = clock_worker(cases, clock, remember_pause=memory.remember)
    cases.script = ["open"] * 3
    for n in (1, 2, 3):
        w.enqueue(complaint(n))
    for d, retry_after in zip(list(cases.open), (5.0, 30.0, 20.0)):
        d.errback(TemporaryFailure("503", retry_after=retry_after))
    hints.finish_writes()
    assert hints.values[HINT_KEY] == {"until": 1030.0} and hints.writes == 2  # coalesced
    yield w.stop()

    at(clock, 1010.0)  # the restart, 20 s before the store's pause ends
    paused_until = yield load_pause(hints)
    cases = ScriptedStore()
    restarted = clock_worker(cases, clock, paused_until=paused_until,
                             remember_pause=PauseMemory(hints).remember)
    for n in (1, 2, 3):
        restarted.enqueue(complaint(n))
    at(clock, just_before(1030.0))
    assert cases.submitted == [] and hints.writes == 2
    at(clock, 1030.0)
    assert cases.submitted == ["c0001", "c0002", "c0003"]  # the oldest probed, then the rest
    assert restarted.backlog == 0


@pytest_twisted.inlineCallbacks
def test_no_pause_kept_loads_as_none():
    assert (yield load_pause(Hints())) is None


@pytest_twisted.inlineCallbacks
def test_the_pause_is_kept_in_the_real_store(tmp_path):
    store = yield open_journal(f"sqlite:///{tmp_path / 'gateway.db'}", reactor)
    try:
        memory = PauseMemory(store)
        memory.remember(1_750_000_002.5)
        memory.remember(1_750_000_001.0)  # an earlier end never replaces a later one
        yield store.drain()
        assert (yield load_pause(store)) == 1_750_000_002.5
    finally:
        yield store.drain()
        store.close()
