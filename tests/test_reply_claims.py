"""Issue 15: replies are claimed like complaints — the instance that queues a reply holds
it while it sends; another instance's rescan or start passes over it (nor marks its send
in doubt), and takes it over only when the lease runs out."""
from collections import Counter

import pytest
import pytest_twisted
from twisted.internet import defer, reactor

from gateway.journal import Lease, open_journal
from gateway.model import Message, Routing, RoutingStatus
from gateway.outbox import Outbox
from gateway.reply_settings import RepliesSettings
from tests.test_outbox_bound import SlowHandset

pytestmark = pytest.mark.postgres
TTL_S = 2.0   # generous: renewals (every third) must land on a busy machine too


@pytest_twisted.inlineCallbacks
def replies_queued_by(journal, numbers) -> list:
    """Complaints accepted and forwarded by `journal`'s instance: their replies, queued."""
    queued = []
    for n in numbers:
        accepted = yield journal.accept(Message("sms", f"+62812{n:07d}", "Jalan rusak", f"k-{n}"),
                                        Routing(RoutingStatus.UNROUTED, "Jalan rusak"))
        queued.append((yield journal.record_forwarded(accepted.complaint_id, f"{n}", "unrouted", f"#{n}")))
    return queued


def outbox_of(journal, expected: int, delay_s: float = 0.001):
    handset = SlowHandset(lambda: 0, delay_s=delay_s, slots=1)
    handset.expected, handset.done = expected, defer.Deferred()
    outbox = Outbox(journal, {"sms": handset}, reactor, RepliesSettings(), rescan_interval_s=0.1)
    return outbox, handset


@pytest_twisted.inlineCallbacks
def test_a_reply_is_sent_once_by_the_instance_that_holds_it(postgres_url):
    a = yield open_journal(postgres_url, reactor, lease=Lease("a", TTL_S))
    b = yield open_journal(postgres_url, reactor, lease=Lease("b", TTL_S))
    outboxes = []
    try:
        replies = yield replies_queued_by(a, range(20))
        # a sends one at a time, slowly: its replies wait in its lanes while b rescans
        (box_a, phone_a), (box_b, phone_b) = outbox_of(a, 20, delay_s=0.1), outbox_of(b, 0)
        outboxes += [box_a, box_b]
        box_b.start()                              # rescans every 0.1 s
        box_a.start()
        for reply in replies:
            box_a.send(reply)
        yield phone_a.done.addTimeout(20, reactor)
        yield a.drain()
        for _ in range(5):                         # b's rescans after a sent them all
            box_b._rescan()
            yield b.drain()
        assert Counter(phone_a.sent) == Counter(r.id for r in replies) and phone_b.sent == []
    finally:
        for box in outboxes:
            yield box.stop()
        a.close()
        b.close()


@pytest_twisted.inlineCallbacks
def test_a_dead_instances_replies_are_sent_once_by_another_after_its_leases_ran_out(postgres_url):
    dead = yield open_journal(postgres_url, reactor, lease=Lease("dead", TTL_S))
    survivor = yield open_journal(postgres_url, reactor, lease=Lease("survivor", TTL_S))
    box = None
    try:
        queued_at = reactor.seconds()
        replies = yield replies_queued_by(dead, range(12))
        in_flight = replies[0]
        assert (yield dead.record_reply_sending(in_flight.id))   # its send was under way
        box, phone = outbox_of(survivor, 11)
        resumed = yield survivor.resume_replies(["sms"])
        assert resumed == []                       # the dead one's leases still run
        box.start()
        yield phone.done.addTimeout(20, reactor)
        first = min(phone.sent_at)
        assert first >= queued_at + TTL_S
        assert Counter(phone.sent) == Counter(r.id for r in replies[1:])   # each once
        # the send that was under way is in doubt now, the survivor's to settle — not resent blindly
        taken = yield survivor.replies_in_doubt_of_the_dead(["sms"])
        yield survivor.drain()
        already = [r.id for r in taken]
        states = yield survivor.count_replies_by_state()
        assert states == {"delivered": 11, "uncertain": 1}
        assert already in ([], [in_flight.id])     # (a rescan may have taken it over already)
        assert in_flight.id not in phone.sent
    finally:
        if box is not None:
            yield box.stop()
        dead.close()
        survivor.close()


class UnboundHandset(SlowHandset):
    """A channel whose binds are down on this instance (until `bound`)."""

    bound = False

    def can_send(self) -> bool:
        return self.bound


@pytest_twisted.inlineCallbacks
def test_replies_an_instance_cannot_send_are_left_to_one_that_can_and_go_out_once(postgres_url):
    a = yield open_journal(postgres_url, reactor, lease=Lease("a", TTL_S))
    b = yield open_journal(postgres_url, reactor, lease=Lease("b", TTL_S))
    boxes = []
    try:
        replies = yield replies_queued_by(a, range(10))
        phone_a = UnboundHandset(lambda: 0, slots=1)
        box_a = Outbox(a, {"sms": phone_a}, reactor, RepliesSettings(), rescan_interval_s=0.1)
        box_b, phone_b = outbox_of(b, 10)
        boxes += [box_a, box_b]
        box_a.start()
        for reply in replies:
            box_a.send(reply)          # waiting in a's lane: its binds are down
        box_b.start()                  # b can send: takes them over once a's claims lapse
        yield phone_b.done.addTimeout(20, reactor)
        phone_a.bound = True           # a's binds come back: nothing left for it to send
        box_a._pump("sms")
        yield box_a.stop()             # its sends under way (if any) have ended
        yield b.drain()
        assert Counter(phone_b.sent) == Counter(r.id for r in replies) and phone_a.sent == []
        assert (yield b.count_replies_by_state()) == {"delivered": 10}
    finally:
        for box in boxes:
            yield box.stop()
        a.close()
        b.close()
