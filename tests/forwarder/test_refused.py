"""The case store refusing the gateway itself (issue 14) — a token it no longer takes —
is an outage, not dead letters: forwarding pauses with one probe at a time, one log
line says why, every complaint stays pending, and a new token drains them all, each
forwarded once."""
from collections import Counter

import pytest_twisted
from twisted.internet import reactor

from gateway.forwarder.http_json import HttpJsonCaseStore
from tests.forwarder.harness import Harness
from tests.logwatch import LogWatch


@pytest_twisted.inlineCallbacks
def test_a_token_the_case_store_refuses_pauses_forwarding_until_a_new_one_drains_the_backlog(tmp_path):
    h = yield Harness(tmp_path, concurrency=4).start()
    try:
        with LogWatch() as logs:
            h.fake.token = "rotated-at-the-case-store"     # ours is the old one now
            complaints = yield h.commit(20)
            h.forward(complaints)
            yield h.fake.when_requests(10).addTimeout(10, reactor)   # the 4 at once, then probes

            assert {r["code"] for r in h.fake.requests} == {401}
            assert h.worker.health.refusal == "unauthorized"
            assert h.worker.health.reason(reactor.seconds()) == "unauthorized"
            assert h.worker.dead == 0 and h.replies == []
            rows = yield h.complaint_rows()
            assert {state for state, _ in rows.values()} == {"parsed"}    # pending, not dead
            assert logs.count("case store refuses the gateway; forwarding paused until that is fixed") == 1

            fixed = HttpJsonCaseStore(reactor, h.fake.base_url, h.fake.token, connections=4)
            yield h.worker.replace_case_store(fixed)
            yield h.worker.settled().addTimeout(10, reactor)

        created = [r["key"] for r in h.fake.requests if r["code"] in (200, 201)]
        assert Counter(created) == Counter(c.id for c in complaints)      # each once
        rows = yield h.complaint_rows()
        assert {state for state, _ in rows.values()} == {"forwarded"}
        assert len(h.replies) == 20 and h.worker.health.refusal is None
    finally:
        yield h.stop()
