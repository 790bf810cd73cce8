"""The interface every case-store adapter implements, and the failures it reports.

An adapter turns a complaint into a case in some case store and returns the case store's
receipt (its tracking number). It must be idempotent on `complaint.id`: the forwarding
worker retries after timeouts, and a retry must never create a second case.
"""
from __future__ import annotations

import abc

from twisted.internet.defer import Deferred

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


class CaseStore(abc.ABC):
    name: str

    @abc.abstractmethod
    def submit(self, complaint: Complaint) -> Deferred[Receipt]:
        """Create (or find, by idempotency key) the case for `complaint`."""

    def close(self) -> Deferred[None] | None:
        return None
