"""`forward_attempts` (what `complaints show` prints) counts every submission that was the
complaint's attempt — the successful one too — and nothing else: a Retry-After pause the
case store asked for, and the case store refusing the gateway itself, are not attempts.
The worker over real HTTP to the fake case store, on a real journal."""
from collections import Counter

import pytest_twisted
from twisted.internet import reactor

from tests.forwarder.harness import Harness


@pytest_twisted.inlineCallbacks
def test_every_real_attempt_counts_the_successful_one_included_a_pause_does_not(tmp_path, database_url):
    h = yield Harness(tmp_path).start(database_url)
    try:
        first_try, after_two_500s, after_a_429, refused = yield h.commit(4)
        plans = {after_two_500s.id: [(500, {"error": "internal"})] * 2,
                 after_a_429.id: [(429, {"error": "slow down"})],
                 refused.id: [(422, {"error": "no such region"})]}
        asked = Counter()

        def script(payload):
            asked[payload["id"]] += 1
            plan = plans.get(payload["id"], [])
            return plan[asked[payload["id"]] - 1] if asked[payload["id"]] <= len(plan) else None
        h.fake.reject, h.fake.retry_after = script, "1"
        h.forward([first_try, after_two_500s, after_a_429, refused])
        yield h.worker.settled().addTimeout(20, reactor)

        attempts = {}
        for complaint in (first_try, after_two_500s, after_a_429, refused):
            detail = yield h.journal.show_complaint(complaint.id)
            attempts[complaint.id] = (detail["state"], detail["forward_attempts"])
        assert asked == {first_try.id: 1, after_two_500s.id: 3, after_a_429.id: 2, refused.id: 1}
        assert attempts == {first_try.id: ("forwarded", 1), after_two_500s.id: ("forwarded", 3),
                            after_a_429.id: ("forwarded", 1), refused.id: ("dead", 1)}
    finally:
        yield h.stop()


@pytest_twisted.inlineCallbacks
def test_the_case_store_refusing_the_gateway_is_not_an_attempt(tmp_path):
    h = yield Harness(tmp_path, concurrency=2).start()
    try:
        ours, h.fake.token = h.fake.token, "rotated-at-the-case-store"
        complaints = yield h.commit(3)
        h.forward(complaints)
        yield h.fake.when_requests(4).addTimeout(10, reactor)   # refused, then probes
        h.fake.token = ours   # their side fixed (a new adapter would cut a probe in flight)
        yield h.worker.settled().addTimeout(10, reactor)
        yield h.journal.drain()

        assert Counter(r["code"] for r in h.fake.requests)[401] >= 4
        for complaint in complaints:
            detail = yield h.journal.show_complaint(complaint.id)
            assert (detail["state"], detail["forward_attempts"]) == ("forwarded", 1)
    finally:
        yield h.stop()
