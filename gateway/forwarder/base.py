"""The interface every case-store adapter implements, and the failures it reports.

An adapter turns a complaint into a case in some case store and returns the case store's
receipt (its tracking number). It must be idempotent on `complaint.id`: the forwarding
worker retries after timeouts, and a retry must never create a second case.

It also answers where a case stands (`status`, for the citizen's CEK): a `CaseStatus`,
or `StatusNotFound` / `StatusUnavailable` — within `[forwarder].status_timeout_s`
whatever the case store does, since a citizen is waiting for the answer.
"""
from __future__ import annotations

import abc

from twisted.internet.defer import CancelledError, Deferred, TimeoutError, fail

from gateway.case_status import CaseStatus
from gateway.model import Complaint, Receipt


class TemporaryFailure(Exception):
    """Try again later (5xx, timeouts, connection errors); `retry_after` in seconds if known."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class CaseStoreRefusesUs(TemporaryFailure):
    """The case store refuses the gateway itself, not the complaint — a token it does not
    take (401), no permission (403), a TLS handshake or a DNS name that fails. Nothing can
    be forwarded until ops fix it: an outage, never a dead letter. `why` names it for the
    metric and the status line: unauthorized, forbidden, tls, dns."""

    def __init__(self, reason: str, why: str):
        super().__init__(reason)
        self.why = why


class PermanentFailure(Exception):
    """The case store refused this complaint for good: it goes to the dead letters."""


class StatusNotFound(Exception):
    """The case store knows no case by that tracking number (404)."""


class StatusUnavailable(Exception):
    """No status now: the case store did not answer in time, failed (5xx, a connection
    error), refused the gateway (401, 403) or answered nonsense. Try again later."""


class StatusNotOffered(StatusUnavailable):
    """This case store cannot tell a case's status at all (the legacy XML API)."""


class CaseStore(abc.ABC):
    name: str

    @abc.abstractmethod
    def submit(self, complaint: Complaint) -> Deferred[Receipt]:
        """Create (or find, by idempotency key) the case for `complaint`."""

    def status(self, tracking_id: str) -> Deferred[CaseStatus]:
        """Where the case numbered `tracking_id` stands: a `CaseStatus`, or a failure
        `StatusNotFound` / `StatusUnavailable`, within the adapter's status timeout."""
        return fail(StatusNotOffered(f"the {self.name} case store offers no status look-up"))

    def close(self) -> Deferred[None] | None:
        return None


def within(d: Deferred, timeout_s: float, clock, tracking_id: str) -> Deferred[CaseStatus]:
    """`d` (a status look-up) bounded by `timeout_s` on `clock`: a look-up still under way
    then is cancelled (its connection aborted) and fails `StatusUnavailable`, as does
    any failure but `StatusNotFound` — so the caller meets only the two exceptions."""
    d.addTimeout(timeout_s, clock)

    def unavailable(failure):
        if failure.check(StatusNotFound, StatusUnavailable):
            return failure
        if failure.check(TimeoutError, CancelledError):
            raise StatusUnavailable(f"no status for {tracking_id} within {timeout_s:g} s")
        raise StatusUnavailable(f"no status for {tracking_id}: {failure.getErrorMessage()}"[:300])
    return d.addErrback(unavailable)
