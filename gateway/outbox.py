"""The outbox: queued replies to their channels, with retries, and what became of them.

A reply is queued in the same transaction that records the case store's receipt, so a
crash between the two cannot lose it; at start every queued reply is sent again.

A repeated message (the store found it a duplicate) is answered with the same tracking
number — but only when its complaint has had no reply for `duplicate_quiet_s` and at
most `duplicate_max_replies` times: an upstream delivering again after a lost
acknowledgement does so within moments, a citizen asking again comes later, and a
looping upstream must not spam anyone.
"""
from __future__ import annotations

from typing import Callable, Mapping

from twisted.internet.defer import Deferred, inlineCallbacks, succeed

from gateway.backoff import backoff_delay
from gateway.channels.base import Channel, ReplyRejected, ReplyUncertain
from gateway.logging import get_logger
from gateway.model import Reply
from gateway.pending import PendingWork

log = get_logger(__name__)


class Outbox:
    def __init__(self, store, channels: Mapping[str, Channel], reactor, *, retry_initial_s: float,
                 retry_max_s: float, max_attempts: int,
                 duplicate_text: Callable[[str], str] | None = None, duplicate_quiet_s: float = 600.0,
                 duplicate_max_replies: int = 0):
        self._store = store
        self._duplicate_text = duplicate_text   # tracking id -> reply text
        self._duplicate_policy = (duplicate_quiet_s, duplicate_max_replies)
        self._channels = channels
        self._reactor = reactor
        self._retry = (retry_initial_s, retry_max_s)
        self._max_attempts = max_attempts
        self._pending = PendingWork(reactor)
        self.sent = 0

    def answer_duplicate(self, complaint_id: str, tracking_id: str) -> Deferred:
        """Queue and send the "same number again" reply to a repeated message, if due."""
        quiet_s, max_replies = self._duplicate_policy
        if self._duplicate_text is None or max_replies <= 0 or self._pending.stopping:
            return succeed(None)
        d = self._store.queue_duplicate_reply(complaint_id, self._duplicate_text(tracking_id),
                                              quiet_s, max_replies)
        d.addCallback(lambda reply: reply and self.send(reply))
        d.addErrback(lambda f: log.warning("no reply to a repeated message", complaint=complaint_id,
                                           error=f.getErrorMessage()))
        return d

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
