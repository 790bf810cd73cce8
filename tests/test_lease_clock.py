"""Claims expire by the database's clock, not the host's (issue 15's leftover): of two
instances on one PostgreSQL, one whose host clock runs an hour fast must not take the
other's complaints early, and one whose clock runs slow still takes over a dead
instance's once the lease has run out by the database. (The host's clock is set off by
patching our own `utcnow` where the journal modules read it: the one way to skew a
clock inside a test.)"""
from datetime import timedelta

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.task import deferLater

from gateway.journal import complaint_journal, intake_journal, leases, open_journal, reply_journal
from gateway.journal.leases import Lease
from gateway.model import Message, Routing, RoutingStatus, utcnow

READERS = (complaint_journal, intake_journal, leases, reply_journal)


def skew_host_clock(monkeypatch, by: timedelta) -> None:
    for module in READERS:
        monkeypatch.setattr(module, "utcnow", lambda: utcnow() + by, raising=False)


@pytest_twisted.inlineCallbacks
def held_by_a(postgres_url, ttl_s: float):
    """Instance a, holding three parsed complaints it has not finished."""
    a = yield open_journal(postgres_url, reactor, lease=Lease("a", ttl_s))
    ids = []
    try:
        for n in range(3):
            accepted = yield a.accept(Message("sms", f"+6281200000{n:02d}", "Jalan rusak", f"k{n}"),
                                      Routing(RoutingStatus.UNROUTED, "Jalan rusak"))
            ids.append(accepted.complaint_id)
    except BaseException:
        a.close()
        raise
    return a, ids


@pytest.mark.postgres
@pytest_twisted.inlineCallbacks
def test_a_host_clock_an_hour_fast_takes_no_claim_early(postgres_url, monkeypatch):
    a, ids = yield held_by_a(postgres_url, 30.0)
    b = None
    try:
        b = yield open_journal(postgres_url, reactor, lease=Lease("b", 30.0))
        skew_host_clock(monkeypatch, timedelta(hours=1))
        claimed, unfinished = yield b.unfinished_complaints()
        assert (claimed, unfinished) == ([], 3), "a's claims still run by the database's clock"
    finally:
        a.close()
        if b is not None:
            b.close()


@pytest.mark.postgres
@pytest_twisted.inlineCallbacks
def test_a_host_clock_an_hour_slow_still_takes_over_a_lapsed_claim(postgres_url, monkeypatch):
    a, ids = yield held_by_a(postgres_url, 0.5)
    a.close()                                               # a dies holding them
    b = yield open_journal(postgres_url, reactor, lease=Lease("b", 30.0))
    try:
        skew_host_clock(monkeypatch, -timedelta(hours=1))
        yield deferLater(reactor, 0.7, lambda: None)        # a's lease runs out (by any clock)
        claimed, _ = yield b.unfinished_complaints()
        assert sorted(c.id for c in claimed) == sorted(ids)
    finally:
        b.close()
