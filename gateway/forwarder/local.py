"""The embedded case store: cases kept in the gateway's own database.

It lets the daemon run end to end with no central server (development, demos,
a site whose central case store is not reachable yet). Tracking numbers are numeric,
7 digits or more, shown to citizens as `#1916449`; the complaint id is the
idempotency key, so forwarding the same complaint again returns the same number.
"""
from __future__ import annotations

from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater

from gateway.forwarder.base import CaseStore
from gateway.forwarder.payload import case_payload
from gateway.model import Complaint, Receipt


class LocalCaseStore(CaseStore):
    name = "local"

    def __init__(self, journal, reactor, first_tracking_number: int = 1_000_001, latency_ms: int = 0,
                 anonymous: bool = True):
        self._journal = journal
        self._anonymous = anonymous
        self._reactor = reactor
        self._first = first_tracking_number
        self._latency = latency_ms / 1000.0

    def submit(self, complaint: Complaint) -> Deferred[Receipt]:
        payload = case_payload(complaint, self._anonymous)
        item = (complaint.id, payload, self._first)
        if self._latency:
            d = deferLater(self._reactor, self._latency, self._journal.create_local_case, *item)
        else:
            d = self._journal.create_local_case(*item)
        return d.addCallback(lambda number: Receipt(complaint.id, str(number)))
