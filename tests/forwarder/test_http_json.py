"""The HTTP JSON adapter and the worker against the fake case store over real HTTP on
127.0.0.1: idempotency across a timeout, flaky and down stores, refusals, Retry-After."""
from collections import Counter

import pytest
import pytest_twisted
from twisted.internet import reactor

from gateway.forwarder.base import CaseStoreRefusesUs, PermanentFailure, TemporaryFailure
from tests.forwarder.harness import Harness


@pytest_twisted.inlineCallbacks
def test_a_retry_after_a_timeout_finds_the_same_case(tmp_path):
    h = yield Harness(tmp_path, timeout_s=0.3).start()
    try:
        h.fake.hang_first = True  # the case is created, the answer never comes
        (complaint,) = yield h.commit(1)
        h.forward([complaint])
        yield h.worker.settled().addTimeout(10, reactor)

        # The store saw the complaint twice: the unanswered first, then "seen before".
        assert [(r["key"], r["code"]) for r in h.fake.requests] == [(complaint.id, None),
                                                                     (complaint.id, 200)]
        assert list(h.fake.cases) == [complaint.id]
        tracking = h.fake.cases[complaint.id]
        assert (yield h.complaint_rows()) == {complaint.id: ("forwarded", tracking)}
        (reply,) = h.replies
        assert f"#{tracking}" in reply.text and reply.recipient == complaint.message.sender
    finally:
        yield h.stop()


@pytest_twisted.inlineCallbacks
def test_with_30_percent_500s_every_complaint_is_forwarded_exactly_once(tmp_path):
    h = yield Harness(tmp_path, concurrency=10).start()
    try:
        h.fake.fail_ratio = 0.3   # half of them after the case was created
        complaints = yield h.commit(200)
        h.forward(complaints)
        yield h.worker.settled().addTimeout(30, reactor)

        codes = Counter(r["code"] for r in h.fake.requests)
        assert codes[500] >= 40 and codes[200] >= 10, codes  # the faults did happen
        assert sorted(h.fake.created) == sorted(c.id for c in complaints)
        rows = yield h.complaint_rows()
        assert rows == {c.id: ("forwarded", h.fake.cases[c.id]) for c in complaints}
        assert Counter(r.complaint_id for r in h.replies) == Counter(c.id for c in complaints)
        assert h.worker.dead == 0
    finally:
        yield h.stop()


def _within_window(created: list[str], complaints, window: int) -> bool:
    """Each complaint's case was created within `window` places of its age rank."""
    position = {key: i for i, key in enumerate(created)}
    return all(abs(position[c.id] - rank) < window for rank, c in enumerate(complaints))


@pytest_twisted.inlineCallbacks
def test_store_down_pauses_with_one_probe_then_the_backlog_drains_oldest_first(tmp_path):
    # Down at the first failure: with a longer run, a slot freed by an early failure could
    # start a fifth complaint before the run is complete (the timing of our database write).
    h = yield Harness(tmp_path, concurrency=4, outage_after_failures=1, retry_initial_s=0.05,
                      retry_max_s=0.2).start()
    try:
        h.fake.outage_status = 503
        complaints = yield h.commit(40)
        h.forward(reversed(complaints))  # handed over newest first: the worker still goes by age
        yield h.fake.when_requests(4 + 3)  # the first window fails, then three probes
        h.fake.outage_status = None
        yield h.worker.settled().addTimeout(20, reactor)

        during = Counter(r["key"] for r in h.fake.requests if r["code"] == 503)
        # Not 40 complaints retrying on their own: the first window (the four handed over
        # first, once each), then one probe at a time, the oldest. Counted by complaint, not
        # by position: on a busy machine a window's answer can be recorded after a probe's.
        first_window = {c.id for c in complaints[-4:]}
        oldest = complaints[0].id
        assert set(during) == first_window | {oldest}
        assert all(during[key] == 1 for key in first_window)
        assert 3 <= during[oldest] <= 4
        assert _within_window(h.fake.created, complaints, window=4)
        rows = yield h.complaint_rows()
        assert rows == {c.id: ("forwarded", h.fake.cases[c.id]) for c in complaints}
        assert len(h.replies) == 40
    finally:
        yield h.stop()


@pytest_twisted.inlineCallbacks
def test_store_not_listening_then_back_drains_the_backlog_in_order(tmp_path):
    h = yield Harness(tmp_path, concurrency=4, outage_after_failures=2, retry_initial_s=0.05,
                      retry_max_s=0.1).start()
    try:
        yield h.fake.go_offline()  # connections refused, kept-alive ones dropped
        complaints = yield h.commit(30)
        h.forward(complaints)
        yield h.journal.drain()
        while h.worker.submissions < 4 + 2:  # the first window and two probes fail
            yield _next_failure(h)
        assert h.worker.health.state.value in ("down", "probing")
        h.fake.come_back()
        yield h.worker.settled().addTimeout(20, reactor)
        assert _within_window(h.fake.created, complaints, window=4)
        assert sorted(h.fake.created) == sorted(c.id for c in complaints)
    finally:
        yield h.stop()


def _next_failure(h):
    """A Deferred that fires at the worker's next recorded forwarding failure."""
    from twisted.internet.defer import Deferred
    d = Deferred()
    record = h.journal.record_forward_failure

    def recorded(*args, **kwargs):
        h.journal.record_forward_failure = record
        result = record(*args, **kwargs)
        reactor.callLater(0, d.callback, None)
        return result
    h.journal.record_forward_failure = recorded
    return d


@pytest.mark.parametrize("code, headers, body, outcome", [
    (503, {"retry_after": "7"}, {"error": "maintenance"}, (TemporaryFailure, 7.0)),
    (429, {"retry_after": "Wed, 01 Jan 2020 00:00:00 GMT"}, {"error": "slow down"}, (TemporaryFailure, 0.0)),
    (500, {}, {"error": "internal"}, (TemporaryFailure, None)),
    (408, {}, {"error": "request timeout"}, (TemporaryFailure, None)),
    (400, {}, {"error": "body: too long"}, (PermanentFailure, "400")),
    (404, {}, {"error": "no such endpoint"}, (PermanentFailure, "404")),
    (409, {}, {"error": "key reused with another payload"}, (PermanentFailure, "409")),
    (201, {}, {"case": "no tracking id here"}, (PermanentFailure, "without a tracking_id")),
])
@pytest_twisted.inlineCallbacks
def test_answers_are_classified_by_the_contract(tmp_path, code, headers, body, outcome):
    h = yield Harness(tmp_path).start()
    try:
        h.fake.retry_after = headers.get("retry_after")
        h.fake.reject = lambda payload: (code, body)
        (complaint,) = yield h.commit(1)
        kind, detail = outcome
        with pytest.raises(kind) as raised:
            yield h.worker._case_store.submit(complaint)
        if kind is TemporaryFailure:
            assert raised.value.retry_after == detail
        else:
            assert detail in str(raised.value)
    finally:
        yield h.stop()


@pytest_twisted.inlineCallbacks
def test_the_request_carries_token_key_and_the_contract_payload(tmp_path):
    h = yield Harness(tmp_path).start()
    try:
        (complaint,) = yield h.commit(1)
        receipt = yield h.worker._case_store.submit(complaint)
        payload = h.fake.payloads[complaint.id]
        assert receipt.tracking_id == h.fake.cases[complaint.id]
        assert payload["id"] == complaint.id and payload["channel"] == "sms"
        assert payload["routing"] == "routed"
        assert payload["region"] == {"code": "33.02", "name": "Kabupaten Banyumas", "level": "kabupaten"}
        assert payload["reporter"] == {"channel": "sms", "address": complaint.message.sender,
                                       "anonymous": True}
        assert payload["received_at"] == "2026-03-01T08:00:00Z"
        assert payload["raw_text"].startswith("KabBanyumas") and payload["body"].startswith("Jalan")
        # A wrong token refuses the gateway, not the complaint: an outage (tests/forwarder/test_refused.py)
        h.fake.token = "another"
        with pytest.raises(CaseStoreRefusesUs, match="401") as refused:
            yield h.worker._case_store.submit(complaint)
        assert refused.value.why == "unauthorized"
    finally:
        yield h.stop()
