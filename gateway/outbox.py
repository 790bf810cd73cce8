"""The outbox: queued replies to their channels, with retries, and what became of them.

A reply is queued in the same transaction that records the case store's receipt, so a
crash between the two cannot lose it; at start every queued reply is sent again.
"""
from __future__ import annotations

from typing import Mapping

from twisted.internet.defer import Deferred, inlineCallbacks

from gateway.backoff import backoff_delay
from gateway.channels.base import Channel, ReplyRejected, ReplyUncertain
from gateway.logging import get_logger
from gateway.model import Reply
from gateway.pending import PendingWork

log = get_logger(__name__)


class Outbox:
    def __init__(self, store, channels: Mapping[str, Channel], reactor, *, retry_initial_s: float,
                 retry_max_s: float, max_attempts: int):
        self._store = store
        self._channels = channels
        self._reactor = reactor
        self._retry = (retry_initial_s, retry_max_s)
        self._max_attempts = max_attempts
        self._pending = PendingWork(reactor)
        self.sent = 0

    def send(self, reply: Reply) -> None:
        if self._pending.stopping:
            return  # still queued in the store; sent at the next start
        channel = self._channels.get(reply.channel)
        if channel is None:
            log.warning("no channel for reply; it stays queued", reply=reply.id, channel=reply.channel)
            return
        d = self._pending.track(self._send(channel, reply))
        d.addErrback(lambda f: log.error("reply not recorded; it is sent again at the next start",
                                         reply=reply.id, error=f.getErrorMessage()))

    @inlineCallbacks
    def _send(self, channel: Channel, reply: Reply):
        try:
            channel_message_id = yield channel.send(reply)
        except (ReplyRejected, ReplyUncertain) as refusal:
            log.warning("reply not sent and not retried", reply=reply.id, reason=str(refusal),
                        kind=type(refusal).__name__)
            yield self._store.record_reply_failure(reply.id, f"{type(refusal).__name__}: {refusal}",
                                                   final=True)
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
        self._pending.later(reply.id, delay, self.send, reply)

    def stop(self) -> Deferred:
        """Send nothing more; fire when the sends under way have finished."""
        return self._pending.stop()
