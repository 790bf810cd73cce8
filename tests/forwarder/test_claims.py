"""Issue 15, first part: several instances on one PostgreSQL forward each complaint once.
A complaint is claimed by the instance that accepts it (a lease: its id and an expiry,
renewed while held); another instance's rescan passes over it, and takes it over only
when the lease runs out — the holder died."""
from collections import Counter

import pytest
import pytest_twisted
from twisted.internet import reactor

from gateway.forwarder.http_json import HttpJsonCaseStore
from gateway.forwarder.settings import ForwarderSettings
from gateway.forwarder.worker import ForwardingWorker
from gateway.journal import Lease, open_journal
from gateway.model import Message, Routing, RoutingStatus
from gateway.reply_text import ReplyTemplates, ReplyWriter
from tests.forwarder.fake_case_store import FakeCaseStore

pytestmark = pytest.mark.postgres
TTL_S = 2.0   # generous: renewals (every third) must land on a busy machine too


class Instance:
    """One gateway's journal (with its lease) and forwarding worker on the shared database."""

    def __init__(self, fake: FakeCaseStore, name: str):
        self.fake, self.name = fake, name
        self.journal = self.worker = None

    @pytest_twisted.inlineCallbacks
    def start(self, url: str, forwarding: bool = True):
        self.journal = yield open_journal(url, reactor, lease=Lease(self.name, TTL_S))
        settings = ForwarderSettings(concurrency=4, timeout_s=30.0, retry_initial_s=0.05, retry_max_s=0.2,
                                     rescan_interval_s=0.1)
        self.worker = ForwardingWorker(
            HttpJsonCaseStore(reactor, self.fake.base_url, self.fake.token, connections=4),
            self.journal, reactor, settings, reply_for=ReplyWriter(ReplyTemplates()).for_complaint,
            on_reply=lambda reply: None)
        if forwarding:
            self.worker.start_rescans()
        return self

    @pytest_twisted.inlineCallbacks
    def accept(self, numbers):
        """Messages committed by this instance, as its pipeline would (parsed at once)."""
        accepted = []
        for n in numbers:
            message = Message("sms", f"+62815{n:08d}", f"Jalan rusak nomor {n}", f"k-{n}")
            result = yield self.journal.accept(message, Routing(RoutingStatus.UNROUTED, f"Jalan rusak {n}"))
            accepted.append(result.complaint_id)
        return accepted

    @pytest_twisted.inlineCallbacks
    def stop(self):
        if self.worker is not None:
            yield self.worker.stop()
        if self.journal is not None:
            yield self.journal.drain()
            self.journal.close()


@pytest_twisted.inlineCallbacks
def test_two_instances_forward_each_complaint_once(postgres_url):
    fake = FakeCaseStore(reactor).start()
    a, b = Instance(fake, "a"), Instance(fake, "b")
    try:
        yield a.start(postgres_url)
        yield b.start(postgres_url)
        from_a = yield a.accept(range(0, 40))
        from_b = yield b.accept(range(40, 80))
        for instance, ids in ((a, from_a), (b, from_b)):
            complaints, _ = yield instance.journal.unfinished_complaints()   # what it may forward
            for complaint in complaints:
                instance.worker.enqueue(complaint)
        yield fake.when_cases(80).addTimeout(30, reactor)
        for _ in range(5):   # several rescans of each instance after everything was forwarded
            yield a.worker._pick_up_due()
            yield b.worker._pick_up_due()
        assert Counter(r["key"] for r in fake.requests) == Counter(from_a + from_b)   # once each
    finally:
        yield a.stop()
        yield b.stop()
        yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_a_dead_instances_complaints_are_taken_over_when_its_leases_run_out(postgres_url):
    fake = FakeCaseStore(reactor).start()
    dead, survivor = Instance(fake, "dead"), Instance(fake, "survivor")
    try:
        yield dead.start(postgres_url, forwarding=False)   # accepts, then dies before forwarding
        accepted_at = reactor.seconds()
        ids = yield dead.accept(range(30))
        yield survivor.start(postgres_url)                 # rescans every 0.1 s from now on
        yield fake.when_cases(30).addTimeout(30, reactor)
        first = min(r["at"] for r in fake.requests)
        assert first >= accepted_at + TTL_S                # not before the dead one's claims ran out
        assert Counter(r["key"] for r in fake.requests) == Counter(ids)
    finally:
        yield dead.stop()
        yield survivor.stop()
        yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_a_claim_held_longer_than_its_lease_is_renewed_not_taken_over(postgres_url):
    fake = FakeCaseStore(reactor).start()
    fake.latency_s = 2.5 * TTL_S          # each answer outlasts a lease: renewals keep it
    a, b = Instance(fake, "a"), Instance(fake, "b")
    try:
        yield a.start(postgres_url)
        yield b.start(postgres_url)
        ids = yield a.accept(range(4))
        complaints, _ = yield a.journal.unfinished_complaints()
        for complaint in complaints:
            a.worker.enqueue(complaint)
        yield a.worker.settled().addTimeout(30, reactor)   # every answer came, 2.5 leases late
        assert Counter(r["key"] for r in fake.requests) == Counter(ids)   # b never took one
    finally:
        yield a.stop()
        yield b.stop()
        yield fake.stop()
