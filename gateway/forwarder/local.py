"""The embedded case store: cases kept in the gateway's own database.

It lets the daemon run end to end with no central server (development, demos,
a site whose central case store is not reachable yet). Tracking numbers are numeric,
7 digits or more, shown to citizens as `#1916449`; the complaint id is the
idempotency key, so forwarding the same complaint again returns the same number.

It keeps each case's status too (`received` until `lapor-gateway complaints set-status`
moves it — drills, and sites that run on the embedded store), and answers look-ups from
there, as the central one answers `GET /complaints/{tracking_id}`.
"""
from __future__ import annotations

from twisted.internet.defer import Deferred, fail
from twisted.internet.task import deferLater

from gateway.case_status import CaseStatus
from gateway.forwarder.base import CaseStore, StatusNotFound, within
from gateway.forwarder.payload import case_payload
from gateway.model import Complaint, Receipt


class LocalCaseStore(CaseStore):
    name = "local"

    def __init__(self, journal, reactor, first_tracking_number: int = 1_000_001, latency_ms: int = 0,
                 anonymous: bool = True, status_timeout_s: float = 5.0):
        self._journal = journal
        self._anonymous = anonymous
        self._reactor = reactor
        self._first = first_tracking_number
        self._latency = latency_ms / 1000.0
        self._status_timeout = status_timeout_s

    def submit(self, complaint: Complaint) -> Deferred[Receipt]:
        payload = case_payload(complaint, self._anonymous)
        item = (complaint.id, payload, self._first)
        if self._latency:
            d = deferLater(self._reactor, self._latency, self._journal.create_local_case, *item)
        else:
            d = self._journal.create_local_case(*item)
        return d.addCallback(lambda number: Receipt(complaint.id, str(number)))

    def status(self, tracking_id: str) -> Deferred[CaseStatus]:
        number = str(tracking_id).strip()
        if not number.isdigit() or len(number) > 18:   # ours are numbers; nothing else is a case
            return fail(StatusNotFound(f"the embedded case store knows no case {tracking_id}"))
        d = self._journal.local_case_status(int(number))
        d.addCallback(self._found, number)
        return within(d, self._status_timeout, self._reactor, number)

    @staticmethod
    def _found(status: CaseStatus | None, number: str) -> CaseStatus:
        if status is None:
            raise StatusNotFound(f"the embedded case store knows no case {number}")
        return status
