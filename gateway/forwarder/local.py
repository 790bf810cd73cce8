"""The embedded case store: cases kept in the gateway's own database.

It lets the daemon run end to end with no central server (development, demos,
a site whose central store is not reachable yet). Tracking numbers are numeric,
7 digits or more, shown to citizens as `#1916449`; the complaint id is the
idempotency key, so forwarding the same complaint again returns the same number.
"""
from __future__ import annotations

from functools import partial

from sqlalchemy import func, select
from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater

from gateway.forwarder.base import CaseStore
from gateway.forwarder.payload import case_payload
from gateway.model import Complaint, Receipt, utcnow
from gateway.store.tables import local_cases


class LocalCaseStore(CaseStore):
    name = "local"

    def __init__(self, store, reactor, first_tracking_number: int = 1_000_001, latency_ms: int = 0,
                 anonymous: bool = True):
        self._store = store
        self._anonymous = anonymous
        self._reactor = reactor
        self._first = first_tracking_number
        self._latency = latency_ms / 1000.0

    def submit(self, complaint: Complaint) -> Deferred[Receipt]:
        payload = case_payload(complaint, self._anonymous)
        write = partial(_create_case, key=complaint.id, payload=payload, first=self._first)
        if self._latency:
            d = deferLater(self._reactor, self._latency, self._store.submit, write)
        else:
            d = self._store.submit(write)
        return d.addCallback(lambda number: Receipt(complaint.id, str(number)))


def _create_case(conn, key: str, payload: dict, first: int) -> int:
    existing = conn.execute(select(local_cases.c.tracking_number)
                            .where(local_cases.c.idempotency_key == key)).scalar()
    if existing is not None:
        return existing
    # Writes are serialised by the group committer, so max()+1 cannot race here.
    last = conn.execute(select(func.max(local_cases.c.tracking_number))).scalar()
    number = max(first, (last or 0) + 1)
    conn.execute(local_cases.insert().values(tracking_number=number, idempotency_key=key,
                                             payload=payload, created_at=utcnow()))
    return number
