"""The figures issue 14 added to /metrics, below the scrape: the age of the oldest pending
complaint as the database reads it (SQLite and PostgreSQL), every complaint state and
routing status as a series even at 0, and the version label's fallback."""
from datetime import timedelta
from importlib import metadata
from types import SimpleNamespace

import pytest_twisted
from twisted.internet import reactor

from gateway import metrics
from gateway.journal import open_journal
from gateway.model import (ComplaintState, Message, Region, RegionLevel, Routing, RoutingStatus,
                           utcnow)

ROUTED = Routing(RoutingStatus.ROUTED, "Jalan rusak", Region("33.02", "Kabupaten Banyumas",
                                                             RegionLevel.KABUPATEN))


def sms(n: int) -> Message:
    return Message(channel="sms", sender=f"+62812000{n:05d}", text="KabBanyumas Jalan rusak",
                   dedup_key=f"key-{n}")


@pytest_twisted.inlineCallbacks
def test_the_oldest_pending_complaint_is_read_with_the_queue_depths(database_url):
    store = yield open_journal(database_url, reactor)
    try:
        assert (yield store.queue_depths())["oldest_pending"] is None
        before = utcnow()
        first = yield store.accept(sms(1))
        after_first = utcnow()
        second = yield store.accept(sms(2))
        yield store.record_routing(second.complaint_id, ROUTED)          # parsed is pending too
        depths = yield store.queue_depths()
        assert before <= depths["oldest_pending"] <= after_first
        assert depths["complaints"] == {"received": 1, "parsed": 1}

        for done in (first, second):
            yield store.record_routing(done.complaint_id, ROUTED)
            yield store.record_forwarded(done.complaint_id, f"10{done.complaint_id[:4]}", "routed", "#")
            depths = yield store.queue_depths()
            if done is first:   # the second, made later, is now the oldest
                assert after_first <= depths["oldest_pending"] <= utcnow()
        assert depths["oldest_pending"] is None
        assert depths["complaints"] == {"forwarded": 2}
    finally:
        store.close()


def collected(counts) -> dict[tuple, float]:
    """The database part of a scrape, for the counts one database read gave."""
    service = SimpleNamespace(pipeline=None, channels={}, mapping_reload_failures=0)
    collector = metrics.GatewayCollector(service)
    collector.store_counts = counts
    return {(s.name, tuple(s.labels.values())): s.value
            for family in collector.collect() for s in family.samples}


def test_every_state_and_routing_is_a_series_and_the_backlog_has_an_age():
    scrape = collected({"complaints": {"parsed": 2}, "routing": {"None": 2}, "replies": {},
                        "oldest_pending": utcnow() - timedelta(minutes=20)})
    assert {state.value: scrape[("lapor_complaints", (state.value,))] for state in ComplaintState} \
        == {"received": 0, "parsed": 2, "forwarded": 0, "dead": 0}
    assert {r.value: scrape[("lapor_complaints_by_routing", (r.value,))] for r in RoutingStatus} \
        == {"routed": 0, "ambiguous": 0, "unrouted": 0}
    assert scrape[("lapor_complaints_by_routing", ("None",))] == 2      # not parsed yet
    assert 1200 <= scrape[("lapor_oldest_pending_complaint_age_seconds", ())] < 1260


def test_nothing_pending_is_an_age_of_zero_and_no_database_no_counts():
    assert collected({"complaints": {}, "routing": {}, "replies": {}, "oldest_pending": None})[
        ("lapor_oldest_pending_complaint_age_seconds", ())] == 0
    unanswered = collected(None)
    assert unanswered[("lapor_database_up", ())] == 0
    assert ("lapor_oldest_pending_complaint_age_seconds", ()) not in unanswered


def test_the_version_label_without_an_installed_package_is_unknown(monkeypatch):
    assert metrics.version() == metadata.version("lapor-gateway")

    def not_installed(name):
        raise metadata.PackageNotFoundError(name)
    monkeypatch.setattr(metadata, "version", not_installed)
    assert metrics.version() == "unknown"
    assert collected(None)[("lapor_build_info", ("unknown",))] == 1
