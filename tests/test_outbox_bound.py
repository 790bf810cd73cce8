"""The outbox's memory stays flat however many replies wait: beyond `hold_limit` they
stay queued in the journal and are read back, oldest first, as room appears — each
still sent exactly once (issue 13's memory target)."""
from collections import Counter

import pytest_twisted
from twisted.internet import defer, reactor

from gateway.channels.base import Channel
from gateway.journal import open_journal
from gateway.model import Message, Routing, RoutingStatus
from gateway.outbox import Outbox
from gateway.reply_settings import RepliesSettings


class SlowHandset(Channel):
    """A channel whose sends finish a moment later, two at a time."""

    name = "sms"
    send_slots = 2
    delivered_on_acceptance = "DELIVRD"

    def __init__(self, outbox_held, delay_s: float = 0.001, slots: int = 2):
        self.send_slots, self._delay_s = slots, delay_s
        self.sent: list[int] = []
        self.sent_at: list[float] = []
        self.held_seen: list[int] = []
        self._outbox_held = outbox_held
        self.done: defer.Deferred | None = None
        self.expected = 0

    def start(self, intake):
        return None

    def stop(self):
        return None

    def is_up(self) -> bool:
        return True

    def conversation(self, reply) -> str:
        return str(reply.id)   # every reply its own conversation: the slots are the limit

    def send(self, reply):
        self.held_seen.append(self._outbox_held())
        d = defer.Deferred()
        reactor.callLater(self._delay_s, self._sent, reply, d)
        return d

    def _sent(self, reply, d):
        self.sent.append(reply.id)
        self.sent_at.append(reactor.seconds())
        d.callback(f"m{reply.id}")
        if len(self.sent) == self.expected and self.done is not None:
            self.done.callback(None)


@pytest_twisted.inlineCallbacks
def test_replies_beyond_the_hold_limit_wait_in_the_journal_and_go_out_exactly_once(tmp_path):
    journal = yield open_journal(f"sqlite:///{tmp_path / 'gateway.db'}", reactor)
    outbox = None
    try:
        replies = []
        for n in range(60):
            accepted = yield journal.accept(Message("sms", f"+62812000{n:05d}", "KabBanyumas Jalan rusak",
                                                    f"key-{n}"),
                                                    Routing(RoutingStatus.UNROUTED, "Jalan rusak"))
            replies.append((yield journal.record_forwarded(accepted.complaint_id, f"{n}", "routed",
                                                           f"nomor #{n}")))
        handset = SlowHandset(lambda: outbox.held)
        handset.expected, handset.done = 60, defer.Deferred()
        outbox = Outbox(journal, {"sms": handset}, reactor, RepliesSettings(), hold_limit=8)
        for reply in replies:
            outbox.send(reply)
        assert outbox.held == 8
        yield handset.done.addTimeout(20, reactor)
        yield journal.drain()

        assert Counter(handset.sent) == Counter(r.id for r in replies)     # each once, none lost
        assert max(handset.held_seen) <= 8
        assert handset.sent[:8] == [r.id for r in replies[:8]]             # the held ones first ...
        assert handset.sent[8:] == sorted(handset.sent[8:])                # ... then oldest first
        assert (yield journal.count_replies_by_state()) == {"delivered": 60}
    finally:
        if outbox is not None:
            yield outbox.stop()
        journal.close()
