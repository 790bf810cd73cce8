"""The forwarding worker: every parsed complaint to the case store, exactly once.

A limited number of submissions run at once; temporary failures are retried with
backoff for as long as it takes (honouring the store's Retry-After); a permanent
refusal puts the complaint in the dead letters, from where an admin retries it. The
receipt and the citizen's reply are recorded in one transaction, then the reply is
handed on. Idempotency lives in the adapter (the complaint id is the key), so a retry
after a timeout that had in fact succeeded finds the same case.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Callable

from twisted.internet.defer import Deferred, DeferredSemaphore, inlineCallbacks

from gateway.backoff import backoff_delay
from gateway.forwarder.base import CaseStore, PermanentFailure, TemporaryFailure
from gateway.logging import get_logger
from gateway.model import Complaint, Reply, utcnow
from gateway.pending import PendingWork

log = get_logger(__name__)


class ForwardingWorker:
    def __init__(self, case_store: CaseStore, store, reactor, *, concurrency: int, timeout_s: float,
                 retry_initial_s: float, retry_max_s: float,
                 reply_for: Callable[[Complaint, str], tuple[str, str]],
                 on_reply: Callable[[Reply], None]):
        self._case_store = case_store
        self._store = store
        self._reactor = reactor
        self._slots = DeferredSemaphore(concurrency)
        self._timeout = timeout_s
        self._retry = (retry_initial_s, retry_max_s)
        self._reply_for = reply_for   # (complaint, tracking id) -> (reply kind, reply text)
        self._on_reply = on_reply
        self._attempts: dict[str, int] = {}
        self._pending = PendingWork(reactor)
        self.forwarded = 0
        self.dead = 0

    def enqueue(self, complaint: Complaint) -> None:
        if self._pending.stopping or self._pending.waiting(complaint.id):
            return
        d = self._pending.track(self._slots.run(self._attempt, complaint))
        d.addErrback(lambda f: log.error("forwarding worker failed", complaint=complaint.id,
                                         error=f.getErrorMessage()))

    @inlineCallbacks
    def _attempt(self, complaint: Complaint):
        if self._pending.stopping:
            return  # it stays `parsed` in the store and resumes at the next start
        started = self._reactor.seconds()
        try:
            d = self._case_store.submit(complaint)
            d.addTimeout(self._timeout, self._reactor)
            receipt = yield d
        except PermanentFailure as refusal:
            yield self._give_up(complaint, str(refusal))
            return
        except Exception as error:  # noqa: BLE001 - every other failure is worth a retry
            yield self._retry_later(complaint, error)
            return
        kind, text = self._reply_for(complaint, receipt.tracking_id)
        try:
            reply = yield self._store.record_forwarded(complaint.id, receipt.tracking_id, kind, text)
        except Exception as error:  # noqa: BLE001 - the store is down; the resubmit is idempotent
            yield self._retry_later(complaint, error)
            return
        self._attempts.pop(complaint.id, None)
        self.forwarded += 1
        log.info("complaint forwarded", complaint=complaint.id, tracking_id=receipt.tracking_id,
                 seconds=round(self._reactor.seconds() - started, 3))
        if reply is not None:
            self._on_reply(reply)

    def _give_up(self, complaint: Complaint, reason: str) -> Deferred:
        self.dead += 1
        self._attempts.pop(complaint.id, None)
        log.warning("complaint refused by the case store; now a dead letter",
                    complaint=complaint.id, reason=reason)
        return self._store.record_forward_failure(complaint.id, reason, dead=True, next_attempt_at=None)

    def _retry_later(self, complaint: Complaint, error: Exception) -> Deferred:
        attempt = self._attempts.get(complaint.id, 0) + 1
        self._attempts[complaint.id] = attempt
        delay = backoff_delay(attempt, *self._retry)
        if isinstance(error, TemporaryFailure) and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        reason = f"{type(error).__name__}: {error}"
        log.warning("forwarding failed; will retry", complaint=complaint.id, attempt=attempt,
                    retry_in_s=round(delay, 2), reason=reason)
        self._pending.later(complaint.id, delay, self.enqueue, complaint)
        return self._store.record_forward_failure(complaint.id, reason, dead=False,
                                                  next_attempt_at=utcnow() + timedelta(seconds=delay))

    def stop(self) -> Deferred:
        """Start no new attempts; fire when the ones under way have finished."""
        return self._pending.stop()
