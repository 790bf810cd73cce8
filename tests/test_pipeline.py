"""The pipeline end to end in one process: a citizen's message over the local channel's
real HTTP socket → committed → parsed → forwarded to the embedded case store → reply
with the tracking number → delivery recorded."""
import dataclasses
import json

import pytest_twisted
import treq
from twisted.internet import reactor

from gateway.channels.local.channel import LocalChannel
from gateway.service import GatewayService
from tests.support import settings_for


def start_service(tmp_path, database_url="", **sections):
    channel = LocalChannel(reactor, "127.0.0.1", 0)
    service = GatewayService(settings_for(tmp_path, database_url, **sections), reactor,
                             channels={"local": channel})
    return service, channel


@pytest_twisted.inlineCallbacks
def post(channel, sender, text, upstream_id=None):
    payload = {"from": sender, "text": text} | ({"id": upstream_id} if upstream_id else {})
    response = yield treq.post(f"http://127.0.0.1:{channel.port}/messages", json=payload)
    body = yield response.json()
    return response.code, body


@pytest_twisted.inlineCallbacks
def test_message_becomes_a_routed_case_and_the_citizen_gets_the_number(tmp_path, database_url):
    service, channel = start_service(tmp_path, database_url)
    yield service.start()
    try:
        code, body = yield post(channel, "+6281200000001", "PekalonganKota Jalan rusak di Jl. Merdeka")
        assert code == 202 and body["duplicate"] is False
        yield channel.deliveries.wait_for(1).addTimeout(20, reactor)
        detail = yield service.journal.show_complaint(body["complaint_id"])
        assert detail["state"] == "forwarded"
        assert (detail["routing"], detail["region"]) == ("routed", "33.75")
        tracking = detail["tracking_id"]
        assert len(tracking) >= 7 and tracking.isdigit()
        (reply,) = detail["replies"]
        assert reply["state"] == "delivered" and reply["delivery_status"] == "DELIVRD"
        (sent,) = channel.replies
        assert sent["to"] == "+6281200000001"
        assert f"#{tracking}" in sent["text"] and "Kota Pekalongan" in sent["text"]
        assert len(sent["text"]) <= 160
    finally:
        yield service.stop()


@pytest_twisted.inlineCallbacks
def test_repeated_message_gets_the_same_tracking_number_and_no_second_case(tmp_path):
    service, channel = start_service(tmp_path)
    yield service.start()
    try:
        _, first = yield post(channel, "+6281200000002", "Kab. Banyumas Lampu jalan mati", "mo-77")
        yield channel.deliveries.wait_for(1).addTimeout(20, reactor)
        code, again = yield post(channel, "+6281200000002", "Kab. Banyumas Lampu jalan mati", "mo-77")
        assert code == 202 and again["duplicate"] is True
        assert again["complaint_id"] == first["complaint_id"]
        detail = yield service.journal.show_complaint(first["complaint_id"])
        assert again["tracking_id"] == detail["tracking_id"] is not None
        counts = yield service.journal.count_by_state()
        assert counts == {"forwarded": 1} and len(channel.replies) == 1
    finally:
        yield service.stop()


@pytest_twisted.inlineCallbacks
def test_messages_without_or_with_ambiguous_keyword_still_become_cases(tmp_path):
    service, channel = start_service(tmp_path)
    yield service.start()
    try:
        _, unrouted = yield post(channel, "+6281200000003", "Pelayanan KTP lambat sekali")
        _, ambiguous = yield post(channel, "+6281200000004", "Pekalongan Sampah menumpuk")
        _, empty = yield post(channel, "+6281200000005", "")
        yield channel.deliveries.wait_for(3).addTimeout(20, reactor)
        for body, routing in ((unrouted, "unrouted"), (ambiguous, "ambiguous"), (empty, "unrouted")):
            detail = yield service.journal.show_complaint(body["complaint_id"])
            assert (detail["state"], detail["routing"], detail["region"]) == ("forwarded", routing, None)
            assert detail["tracking_id"] and f"#{detail['tracking_id']}" in detail["replies"][0]["text"]
        amb = yield service.journal.show_complaint(ambiguous["complaint_id"])
        assert {c["code"] for c in amb["candidates"]} == {"33.26", "33.75"}
    finally:
        yield service.stop()


@pytest_twisted.inlineCallbacks
def test_bad_requests_are_refused_clearly_and_store_nothing(tmp_path):
    service, channel = start_service(tmp_path)
    yield service.start()
    try:
        url = f"http://127.0.0.1:{channel.port}/messages"
        for data in (b"{not json", json.dumps({"text": "no sender"}).encode(),
                     json.dumps({"from": "+62812", "text": 5}).encode(), b"[]"):
            response = yield treq.post(url, data=data)
            body = yield response.json()
            assert response.code == 400 and body["error"].startswith("bad message")
        assert (yield service.journal.count_by_state()) == {}
    finally:
        yield service.stop()


@pytest_twisted.inlineCallbacks
def test_unfinished_work_resumes_at_start(tmp_path):
    service, channel = start_service(tmp_path)
    yield service.start()
    # Commit a message with the forwarder stopped: it is never forwarded in this run.
    yield service.forwarder.stop()
    _, body = yield post(channel, "+6281200000006", "Jateng Bus ngetem sembarangan")
    yield service.stop()
    restarted, channel = start_service(tmp_path)
    yield restarted.start()
    try:
        yield channel.deliveries.wait_for(1).addTimeout(20, reactor)
        detail = yield restarted.journal.show_complaint(body["complaint_id"])
        assert detail["state"] == "forwarded" and detail["region"] == "33"
    finally:
        yield restarted.stop()


@pytest_twisted.inlineCallbacks
def test_broken_region_mapping_on_reload_keeps_the_old_one(tmp_path):
    mapping = tmp_path / "regions.yaml"
    from tests.support import MAPPING
    mapping.write_text(MAPPING.read_text(encoding="utf-8"), encoding="utf-8")
    base = settings_for(tmp_path)
    service, channel = start_service(tmp_path, parser=dataclasses.replace(base.parser, mapping=mapping))
    yield service.start()
    try:
        mapping.write_text("regions: [this is: not: a mapping\n", encoding="utf-8")
        assert service.reload() is False
        _, body = yield post(channel, "+6281200000007", "KabBanyumas Jalan rusak")
        yield channel.deliveries.wait_for(1).addTimeout(20, reactor)
        detail = yield service.journal.show_complaint(body["complaint_id"])
        assert detail["region"] == "33.02"
    finally:
        yield service.stop()
