"""The outbox: queued replies to their channels, with retries, and what became of them.

A reply is queued in the same transaction that records the case store's receipt, so a
crash between the two cannot lose it; at start every queued reply is sent again.
"""
from __future__ import annotations

from typing import Mapping

from twisted.internet.defer import Deferred, DeferredList, inlineCallbacks

from gateway.backoff import backoff_delay
from gateway.channels.base import Channel, ReplyRejected
from gateway.logging import get_logger
from gateway.model import Reply

log = get_logger(__name__)


class Outbox:
    def __init__(self, store, channels: Mapping[str, Channel], reactor, *, retry_initial_s: float,
                 retry_max_s: float, max_attempts: int):
        self._store = store
        self._channels = channels
        self._reactor = reactor
        self._retry = (retry_initial_s, retry_max_s)
        self._max_attempts = max_attempts
        self._timers: dict[int, object] = {}
        self._in_flight: set[Deferred] = set()
        self._stopping = False
        self.sent = 0

    def send(self, reply: Reply) -> None:
        if self._stopping:
            return  # still queued in the store; sent at the next start
        channel = self._channels.get(reply.channel)
        if channel is None:
            log.warning("no channel for reply; it stays queued", reply=reply.id, channel=reply.channel)
            return
        d = self._send(channel, reply)
        self._in_flight.add(d)
        d.addBoth(lambda _: self._in_flight.discard(d))

    @inlineCallbacks
    def _send(self, channel: Channel, reply: Reply):
        try:
            channel_message_id = yield channel.send(reply)
        except ReplyRejected as refusal:
            log.warning("reply refused by the channel", reply=reply.id, reason=str(refusal))
            yield self._store.record_reply_failure(reply.id, str(refusal), final=True)
            return
        except Exception as error:  # noqa: BLE001 - anything else may pass next time
            yield self._retry_later(reply, f"{type(error).__name__}: {error}")
            return
        self.sent += 1
        log.info("reply sent", reply=reply.id, complaint=reply.complaint_id, channel=reply.channel,
                 recipient=reply.recipient)
        yield self._store.record_reply_sent(reply.id, str(channel_message_id))

    @inlineCallbacks
    def _retry_later(self, reply: Reply, reason: str):
        attempts = yield self._store.record_reply_failure(reply.id, reason, final=False)
        if attempts >= self._max_attempts:
            yield self._store.record_reply_failure(reply.id, reason, final=True)
            log.error("reply given up", reply=reply.id, attempts=attempts, reason=reason)
            return
        delay = backoff_delay(attempts, *self._retry)
        log.warning("reply failed; will retry", reply=reply.id, attempt=attempts,
                    retry_in_s=round(delay, 2), reason=reason)
        if not self._stopping:
            self._timers[reply.id] = self._reactor.callLater(delay, self._wake, reply)

    def _wake(self, reply: Reply) -> None:
        self._timers.pop(reply.id, None)
        self.send(reply)

    def stop(self) -> Deferred:
        self._stopping = True
        for timer in self._timers.values():
            if timer.active():
                timer.cancel()
        self._timers.clear()
        return DeferredList(list(self._in_flight), consumeErrors=True)
