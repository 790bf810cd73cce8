"""The legacy LAPOR! XML adapter against the fake legacy stream API over real HTTP."""
import xml.etree.ElementTree as ET

import pytest
import pytest_twisted
from twisted.internet import reactor

from gateway.forwarder.base import PermanentFailure
from gateway.forwarder.lapor_xml import read_answer, report_xml
from tests.forwarder.harness import Harness


@pytest_twisted.inlineCallbacks
def test_round_trip_sends_the_legacy_format_and_records_the_tracking_number(tmp_path):
    h = yield Harness(tmp_path, adapter="lapor-xml").start()
    try:
        complaints = yield h.commit(3)
        h.forward(complaints)
        yield h.worker.settled().addTimeout(10, reactor)
        rows = yield h.complaint_rows()
        assert rows == {c.id: ("forwarded", h.fake.cases[c.id]) for c in complaints}
        assert [r["code"] for r in h.fake.requests] == [200, 200, 200]

        sent = ET.fromstring(h.fake.payloads[complaints[0].id])
        assert sent.tag == "lapor" and sent.get("token") == h.fake.token
        assert sent.findtext("pelapor/telpon") == complaints[0].message.sender
        report = sent.find("laporan")
        assert (report.get("rahasia"), report.get("anonim")) == ("0", "1")
        assert report.findtext("isi") == complaints[0].message.text  # the keyword too: legacy routing
        assert report.findtext("referensi") == complaints[0].id
        assert {r.complaint_id for r in h.replies} == {c.id for c in complaints}
    finally:
        yield h.stop()


@pytest_twisted.inlineCallbacks
def test_retry_after_a_timeout_is_recognised_by_the_reference(tmp_path):
    h = yield Harness(tmp_path, adapter="lapor-xml", timeout_s=0.3).start()
    try:
        h.fake.hang_first = True
        (complaint,) = yield h.commit(1)
        h.forward([complaint])
        yield h.worker.settled().addTimeout(10, reactor)
        assert len(h.fake.requests) == 2 and list(h.fake.cases) == [complaint.id]
        assert (yield h.complaint_rows()) == {complaint.id: ("forwarded", h.fake.cases[complaint.id])}
    finally:
        yield h.stop()


@pytest_twisted.inlineCallbacks
def test_residual_risk_a_server_that_ignores_the_reference_makes_a_second_case(tmp_path):
    """Documented in docs/forwarding.md: the legacy API has no idempotency of its own."""
    h = yield Harness(tmp_path, adapter="lapor-xml", timeout_s=0.3).start()
    try:
        h.fake.hang_first = True
        h.fake.honour_reference = False
        (complaint,) = yield h.commit(1)
        h.forward([complaint])
        yield h.worker.settled().addTimeout(10, reactor)
        assert len(h.fake.cases) == 2  # the store's side: an orphan case from the lost answer
        (state, tracking), = (yield h.complaint_rows()).values()
        assert state == "forwarded" and tracking == h.fake.cases[h.fake.created[-1]]
        assert len(h.replies) == 1  # the citizen still gets one number
    finally:
        yield h.stop()


@pytest_twisted.inlineCallbacks
def test_a_200_without_trackingid_is_a_dead_letter_with_the_message(tmp_path):
    h = yield Harness(tmp_path, adapter="lapor-xml").start()
    try:
        h.fake.token = "rotated"
        (complaint,) = yield h.commit(1)
        with pytest.raises(PermanentFailure, match="without a trackingid.*token salah"):
            yield h.worker._case_store.submit(complaint)
    finally:
        yield h.stop()


def test_body_options_and_characters_xml_cannot_carry(tmp_path):
    from tests.forwarder.harness import T0
    from gateway.model import Complaint, ComplaintState, Message
    message = Message("telegram", "123456789", "Jalan <rusak> & \x07berlubang", "u1", received_at=T0)
    body = report_xml(Complaint("c-1", message, ComplaintState.PARSED), "t&k", anonymous=False,
                      rahasia=True, reference_element="")
    sent = ET.fromstring(body)
    assert sent.get("token") == "t&k" and sent.findtext("pelapor/telpon") in ("", None)
    assert sent.find("laporan").get("rahasia") == "1" and sent.find("laporan").get("anonim") == "0"
    assert sent.findtext("laporan/isi") == "Jalan <rusak> & berlubang"
    assert sent.find("laporan/referensi") is None


@pytest.mark.parametrize("answer, expected", [
    (b"<response><trackingid>AB12</trackingid><transaksiid>9</transaksiid></response>", ("AB12", "9")),
    (b"<r xmlns='urn:x'><data><TrackingId> 77 </TrackingId></data></r>", ("77", None)),
    (b"<response><status>gagal</status></response>", (None, None)),
    (b"not xml at all", (None, None)),
])
def test_answer_reading(answer, expected):
    assert read_answer(answer) == expected


def test_the_place_travels_beside_the_reference_and_never_in_the_strict_format():
    from gateway.model import Complaint, ComplaintState, Message, Place, Region, RegionLevel, Routing, RoutingStatus
    place = Place("33.26.05", "Talun", "kecamatan")
    routing = Routing(RoutingStatus.ROUTED, "x", Region("33.26", "Kabupaten Pekalongan", RegionLevel.KABUPATEN),
                      (), place)
    complaint = Complaint("c-1", Message("sms", "+62812", "Kec. Talun x", "k"), ComplaintState.PARSED, routing)
    root = ET.fromstring(report_xml(complaint, "t", anonymous=True, rahasia=False, reference_element="referensi"))
    lokasi = root.find("laporan/lokasi")
    assert (lokasi.get("kode"), lokasi.get("tingkat"), lokasi.text) == ("33.26.05", "kecamatan", "Talun")
    strict = ET.fromstring(report_xml(complaint, "t", anonymous=True, rahasia=False, reference_element=""))
    assert strict.find("laporan/lokasi") is None and [e.tag for e in strict.find("laporan")] == ["isi"]
    unplaced = Complaint("c-2", complaint.message, ComplaintState.PARSED, Routing(RoutingStatus.UNROUTED, "x"))
    root = ET.fromstring(report_xml(unplaced, "t", anonymous=True, rahasia=False, reference_element="referensi"))
    assert root.find("laporan/lokasi") is None
