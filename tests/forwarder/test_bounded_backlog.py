"""The forwarder's memory stays flat however long its backlog grows: beyond `hold_limit`
complaints wait only in the journal and are read back, oldest first, as room appears —
each still forwarded exactly once (issue 13's memory target)."""
from collections import Counter

import pytest_twisted
from twisted.internet import reactor

from tests.forwarder.harness import Harness


@pytest_twisted.inlineCallbacks
def test_a_backlog_beyond_the_hold_limit_waits_in_the_journal_and_is_forwarded_exactly_once(tmp_path):
    h = yield Harness(tmp_path, concurrency=4, hold_limit=10).start()
    held = []
    try:
        complaints = yield h.commit(120)
        h.fake.when(lambda: held.append(h.worker.backlog))   # sampled at every request
        h.forward(complaints)
        assert h.worker.backlog == 10 and h.worker.backlog_beyond_memory
        yield h.worker.settled().addTimeout(20, reactor)

        assert max(held) <= 10
        keys = [r["key"] for r in h.fake.requests]
        assert Counter(keys) == Counter(c.id for c in complaints)       # each once, none lost
        assert keys[0] in {c.id for c in complaints[:4]}                 # the oldest held go first
        rows = yield h.complaint_rows()
        assert {state for state, _ in rows.values()} == {"forwarded"}
        assert len(h.replies) == 120 and not h.worker.backlog_beyond_memory
    finally:
        yield h.stop()


@pytest_twisted.inlineCallbacks
def test_complaints_read_back_come_oldest_first(tmp_path):
    h = yield Harness(tmp_path, concurrency=1, hold_limit=4).start()
    try:
        complaints = yield h.commit(30)
        h.forward(complaints[20:] + complaints[:20])   # the newest offered first: they are held
        yield h.worker.settled().addTimeout(20, reactor)

        keys = [r["key"] for r in h.fake.requests]
        assert keys[0] == complaints[20].id
        # those left in the journal, read back: the oldest first
        older = {c.id for c in complaints[:20]}
        assert [k for k in keys if k in older] == [c.id for c in complaints[:20]]
        assert Counter(keys) == Counter(c.id for c in complaints)
    finally:
        yield h.stop()


@pytest_twisted.inlineCallbacks
def test_a_restart_with_a_backlog_beyond_the_limit_reads_it_back_rather_than_all_at_once(tmp_path):
    """`resume` loads no more than the forwarder holds; the rest follows from the journal."""
    from gateway.pipeline import Pipeline
    h = yield Harness(tmp_path, concurrency=4, hold_limit=10).start()
    try:
        complaints = yield h.commit(45)
        pipeline = Pipeline(h.journal, h.worker, outbox=None, parse=None)
        resumed = yield pipeline.resume()
        assert resumed == {"complaints": 45}
        assert h.worker.backlog == 10 and h.worker.backlog_beyond_memory
        yield h.worker.settled().addTimeout(20, reactor)
        keys = [r["key"] for r in h.fake.requests]
        assert Counter(keys) == Counter(c.id for c in complaints)
        # oldest first: the first to arrive is one of the four oldest (no other can start
        # before one of them has been answered); arrival order beyond that is the network's
        assert keys[0] in {c.id for c in complaints[:4]}
    finally:
        yield h.stop()
