"""Where a case stands (issue 16, the citizen's CEK): every adapter's `status()` answers a
`CaseStatus`, or fails `StatusNotFound` / `StatusUnavailable` — within the status
timeout, whatever the case store does. Over real HTTP to the fake case store on
127.0.0.1; the timeout on a task.Clock, so a hanging store is no wait for the test."""
from datetime import timedelta

import pytest
import pytest_twisted
from twisted.internet import defer, reactor
from twisted.internet.task import Clock

from gateway.case_status import CaseStatus
from gateway.forwarder.base import StatusNotFound, StatusNotOffered, StatusUnavailable
from gateway.forwarder.http_json import HttpJsonCaseStore
from gateway.forwarder.lapor_xml import LaporXmlCaseStore
from gateway.forwarder.local import LocalCaseStore
from gateway.journal import open_journal
from gateway.journal.for_admin import JournalForAdmin
from gateway.model import Message, utcnow
from tests.forwarder.fake_case_store import FakeCaseStore


def failure_of(d):
    """The exception `d` failed with (fails the test if it succeeded)."""
    outcome = []
    d.addCallbacks(lambda result: outcome.append(AssertionError(f"succeeded with {result}")), outcome.append)
    return outcome


class JsonStore:
    """The JSON adapter in front of the fake case store, which has one case, `tracking`;
    status look-ups time out on `clock` (status_timeout_s = 5)."""

    def __init__(self, token: str | None = None):
        self.fake = FakeCaseStore(reactor).start()
        self.clock = Clock()
        self.store = HttpJsonCaseStore(reactor, self.fake.base_url, token or self.fake.token, connections=2,
                                       status_timeout_s=5.0, clock=self.clock)
        self.tracking, _ = self.fake.create("c-1", {})

    async def close(self):
        await self.store.close()
        await self.fake.stop()


@pytest_twisted.async_yield_fixture
async def json_store():
    store = JsonStore()
    yield store
    await store.close()


@pytest_twisted.inlineCallbacks
def test_the_json_store_answers_a_case_its_status_and_its_words(json_store):
    fake, store, tracking = json_store.fake, json_store.store, json_store.tracking
    first = yield store.status(tracking)
    assert (first.tracking_id, first.status, first.status_text) == (tracking, "received", None)
    assert first.updated_at is not None and first.known
    fake.set_status(tracking, "In-Progress", "Petugas sudah ke lokasi")
    moved = yield store.status(tracking)
    assert (moved.status, moved.status_text) == ("in_progress", "Petugas sudah ke lokasi")
    fake.set_status(tracking, "escalated", "Diteruskan ke Kementerian PUPR")
    other = yield store.status(f"{tracking}")
    assert (other.status, other.known) == ("escalated", False)   # kept as the store says it
    assert [r["api"] for r in fake.requests] == ["status"] * 3


@pytest_twisted.inlineCallbacks
def test_a_number_the_store_does_not_know_is_not_found(json_store):
    fake, store = json_store.fake, json_store.store
    with pytest.raises(StatusNotFound):
        yield store.status("9999999")
    with pytest.raises(StatusNotFound):
        yield store.status("12/../34")    # sent percent-encoded: one path segment
    assert fake.requests[-1]["key"] == "12/../34"


@pytest.mark.parametrize("fault", [503, 500, 429])
@pytest_twisted.inlineCallbacks
def test_a_failing_store_is_unavailable(json_store, fault):
    fake, store, tracking = json_store.fake, json_store.store, json_store.tracking
    fake.status_fault = fault
    with pytest.raises(StatusUnavailable) as caught:
        yield store.status(tracking)
    assert type(caught.value) is StatusUnavailable and str(fault) in str(caught.value)


@pytest_twisted.inlineCallbacks
def test_a_store_that_refuses_our_token_is_unavailable_not_not_found():
    refusing = JsonStore(token="wrong")
    try:
        with pytest.raises(StatusUnavailable, match="401"):
            yield refusing.store.status(refusing.tracking)
    finally:
        yield defer.ensureDeferred(refusing.close())


@pytest_twisted.inlineCallbacks
def test_a_store_that_is_down_is_unavailable(json_store):
    fake, store, tracking = json_store.fake, json_store.store, json_store.tracking
    yield fake.go_offline()
    with pytest.raises(StatusUnavailable, match="no answer from the case store"):
        yield store.status(tracking)


@pytest_twisted.inlineCallbacks
def test_a_hanging_store_is_unavailable_after_the_status_timeout_and_not_before(json_store):
    fake, store, clock, tracking = json_store.fake, json_store.store, json_store.clock, json_store.tracking
    fake.status_fault = "hang"
    d = store.status(tracking)
    yield fake.when_requests(1)          # the look-up reached the store, which holds it
    outcome = failure_of(d)
    clock.advance(4.9)
    assert outcome == []                 # still waiting for the store
    clock.advance(0.1)                   # status_timeout_s = 5
    (error,) = outcome
    assert isinstance(error.value, StatusUnavailable) and "within 5 s" in str(error.value)
    fake.status_fault = None             # the connection the timeout aborted is not reused
    answer = yield store.status(tracking)
    assert answer.status == "received"


@pytest_twisted.inlineCallbacks
def test_a_200_without_a_status_is_unavailable(json_store):
    fake, store, tracking = json_store.fake, json_store.store, json_store.tracking
    fake.statuses[tracking] = {"tracking_id": tracking}
    with pytest.raises(StatusUnavailable, match="without a status"):
        yield store.status(tracking)


@pytest_twisted.inlineCallbacks
def test_the_legacy_xml_store_offers_no_status():
    store = LaporXmlCaseStore(reactor, "http://127.0.0.1:9", "t", connections=1)
    with pytest.raises(StatusNotOffered):
        yield store.status("1916449")
    assert issubclass(StatusNotOffered, StatusUnavailable)   # answered like one that is down
    yield store.close()


@pytest_twisted.inlineCallbacks
def test_the_embedded_store_keeps_statuses_and_set_status_moves_them(tmp_path, database_url):
    journal = yield open_journal(database_url, reactor)
    store = LocalCaseStore(journal, reactor, first_tracking_number=1_000_001)
    admin = None
    try:
        accepted = yield journal.accept(Message("sms", "+6281500000001", "Jateng Jalan rusak", "k-1",
                                                received_at=utcnow()))
        number = yield journal.create_local_case(accepted.complaint_id, {}, 1_000_001)
        first = yield store.status(str(number))
        assert (first.status, first.status_text) == ("received", None) and first.updated_at is not None
        admin = JournalForAdmin(database_url)
        before, record = admin.set_case_status(number, "rejected", "Bukan kewenangan daerah", "teks", 3)
        assert before.status == "received" and record.outcome == "unknown_tracking"   # not forwarded yet
        moved = yield store.status(f"{number}")
        assert (moved.status, moved.status_text) == ("rejected", "Bukan kewenangan daerah")
        assert moved.updated_at - first.updated_at >= timedelta(0)
        assert admin.set_case_status(7_777_777, "closed", None, "teks", 3) == (None, None)
        for unknown in ("7777777", "#1000001", "abc", ""):
            with pytest.raises(StatusNotFound):
                yield store.status(unknown)
        assert isinstance(moved, CaseStatus)
    finally:
        if admin is not None:
            admin.close()
        yield journal.drain()
        journal.close()
