"""`POST /case-store/events` (issue 16): a signed event is stored once and told to the
citizen once however often it comes; a wrong signature, an old timestamp, a body over
64 KiB, a malformed body, an unknown tracking number are refused with a clear 4xx and
nothing is stored. Real HTTP on 127.0.0.1, the events signed as the contract says
(tests/forwarder/case_store_events.py), the local channel as the citizen's."""
import json
import socket
import time

import pytest
import pytest_twisted
import treq
from sqlalchemy import func, select
from twisted.internet import reactor, threads

from gateway.instruments import CASE_EVENTS, UPDATE_NOTICES
from gateway.journal.tables import case_events, replies
from tests.forwarder.case_store_events import signed_headers
from tests.updates.helpers import SECRET, EventsGateway, case_event


def count(metric, outcome: str) -> float:
    return metric.labels(outcome)._value.get()


def stored(gateway):
    """(case events, update replies) in the gateway's database."""
    def read(conn):
        return (conn.execute(select(func.count()).select_from(case_events)).scalar_one(),
                conn.execute(select(func.count()).select_from(replies).where(replies.c.kind == "update"))
                .scalar_one())
    return gateway.service.journal.database.transact(read)


@pytest_twisted.inlineCallbacks
def test_a_signed_event_is_stored_once_and_told_once_however_often_it_comes(tmp_path, database_url):
    gw = yield EventsGateway(tmp_path, database_url).start()
    try:
        complaint_id, tracking = yield gw.complaint()
        event = case_event(tracking, "in_progress", "Petugas sudah meninjau lokasi", event_id="ev-1")
        accepted, replays = count(CASE_EVENTS, "accepted"), count(CASE_EVENTS, "replay")
        answers = []
        for _ in range(3):
            answers.append((yield gw.post(event)))
        assert answers == [(200, {"outcome": "accepted"}), (200, {"outcome": "replay"}),
                           (200, {"outcome": "replay"})]
        assert (count(CASE_EVENTS, "accepted") - accepted, count(CASE_EVENTS, "replay") - replays) == (1, 2)
        yield gw.local.deliveries.wait_for(2).addTimeout(20, reactor)
        first, update = gw.local.replies
        assert update["complaint_id"] == complaint_id and update["to"] == "+6281200000001"
        assert update["text"] == (f"LAPOR! Aduan #{tracking} sedang ditindaklanjuti instansi terkait."
                                  " Petugas sudah meninjau lokasi")
        detail = yield gw.service.journal.show_complaint(complaint_id)
        (stored_event,) = detail["events"]
        assert (stored_event["event_id"], stored_event["status"], stored_event["notice"]) == (
            "ev-1", "in_progress", "queued")
        assert [(r["kind"], r["state"]) for r in detail["replies"]] == [("routed", "delivered"),
                                                                         ("update", "delivered")]
        assert (yield stored(gw)) == (1, 1)
    finally:
        yield gw.stop()


def oversized(tracking: str) -> bytes:
    event = case_event(tracking, "resolved", "x" * 100)
    body = json.dumps(event).encode()
    return body[:-1] + b" " * (64 * 1024 + 1 - len(body)) + b"}"   # valid JSON, one byte too many


#: each refusal: (what is posted: tracking → (body, headers or None: signed), status, outcome)
REFUSALS = {
    "a wrong secret": (lambda t: (case_event(t, "closed"), lambda b: signed_headers("other", b)),
                       401, "bad_signature"),
    "no signature": (lambda t: (case_event(t, "closed"), lambda b: {}), 401, "bad_signature"),
    "a signature of another body": (
        lambda t: (case_event(t, "closed"), lambda b: signed_headers(SECRET, b.replace(b"closed", b"rejected"))),
        401, "bad_signature"),
    "a timestamp 301 s old": (
        lambda t: (case_event(t, "closed"), lambda b: signed_headers(SECRET, b, int(time.time()) - 301)),
        401, "stale"),
    "a timestamp 301 s ahead": (
        lambda t: (case_event(t, "closed"), lambda b: signed_headers(SECRET, b, int(time.time()) + 301)),
        401, "stale"),
    "a timestamp in other digits": (
        lambda t: (case_event(t, "closed"), lambda b: signed_headers(SECRET, b) | {"X-Lapor-Timestamp": "١٧٠٠"}),
        401, "bad_signature"),
    "a signature that is not text": (
        lambda t: (case_event(t, "closed"), lambda b: signed_headers(SECRET, b) | {"X-Lapor-Signature": b"\xb2\xb3"}),
        401, "bad_signature"),
    "a body over 64 KiB": (lambda t: (oversized(t), None), 413, "too_large"),
    "a body that is not JSON": (lambda t: (b"{event_id: 1", None), 400, "malformed"),
    "a JSON array": (lambda t: (b"[]", None), 400, "malformed"),
    "no status": (lambda t: ({k: v for k, v in case_event(t, "closed").items() if k != "status"}, None),
                  400, "malformed"),
    "a time without its offset": (lambda t: (case_event(t, "closed", occurred_at="2026-03-01T08:00:00"), None),
                                  400, "malformed"),
    "an unknown field": (lambda t: (case_event(t, "closed") | {"phone": "+62812"}, None), 400, "malformed"),
    "an unknown tracking number": (lambda t: (case_event("9" + t, "closed"), None), 422, "unknown_tracking"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
@pytest_twisted.inlineCallbacks
def test_a_refused_event_gets_a_clear_4xx_and_nothing_is_stored(tmp_path, case):
    make, status, outcome = REFUSALS[case]
    gw = yield EventsGateway(tmp_path).start()
    try:
        _, tracking = yield gw.complaint()
        event, sign = make(tracking)
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        before = count(CASE_EVENTS, outcome)
        code, answer = yield gw.post(body, headers=sign(body) if sign else None)
        assert code == status and isinstance(answer["error"], str) and answer["error"]
        assert count(CASE_EVENTS, outcome) - before == 1
        assert (yield stored(gw)) == (0, 0)
    finally:
        yield gw.stop()


@pytest_twisted.inlineCallbacks
def test_a_chunked_body_over_64_kib_is_refused_too(tmp_path):
    gw = yield EventsGateway(tmp_path).start()
    try:
        _, tracking = yield gw.complaint()
        body = oversized(tracking)
        headers = "".join(f"{k}: {v}\r\n" for k, v in signed_headers(SECRET, body).items())
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 8192]), body[i:i + 8192])
                          for i in range(0, len(body), 8192))
        request = (f"POST /case-store/events HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}"
                   "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                   ).encode() + chunks + b"0\r\n\r\n"
        answer = yield threads.deferToThread(raw_request, gw.ops.port, request)
        assert answer.startswith(b"HTTP/1.1 413 ")
        assert (yield stored(gw)) == (0, 0)
    finally:
        yield gw.stop()


def raw_request(port: int, request: bytes) -> bytes:
    """Send `request` as bytes on a new connection; what comes back until the close."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest_twisted.inlineCallbacks
def test_an_event_while_the_gateway_cannot_take_it_is_503_and_not_stored(tmp_path):
    gw = yield EventsGateway(tmp_path).start()
    try:
        _, tracking = yield gw.complaint()
        desk, gw.service.case_events = gw.service.case_events, None   # starting, or draining
        code, _ = yield gw.post(case_event(tracking, "verified", event_id="ev-2"))
        assert code == 503 and (yield stored(gw)) == (0, 0)
        gw.service.case_events = desk                                  # the case store sends it again
        assert (yield gw.post(case_event(tracking, "verified", event_id="ev-2"))) == (200, {"outcome": "accepted"})
    finally:
        yield gw.stop()


@pytest_twisted.inlineCallbacks
def test_without_the_secret_the_endpoint_is_not_served(tmp_path):
    gw = yield EventsGateway(tmp_path, secret=None).start()
    try:
        response = yield treq.post(gw.url, data=b"{}").addTimeout(20, reactor)
        body = yield response.json()
        assert response.code == 404 and "/case-store/events" not in body["paths"]
    finally:
        yield gw.stop()


@pytest_twisted.inlineCallbacks
def test_a_listener_of_its_own_serves_the_events_and_nothing_else(tmp_path):
    gw = yield EventsGateway(tmp_path, events_listen="127.0.0.1:0").start()
    try:
        assert gw.events.port != gw.ops.port
        _, tracking = yield gw.complaint()
        assert (yield gw.post(case_event(tracking, "assigned"))) == (200, {"outcome": "accepted"})
        events_root = f"http://127.0.0.1:{gw.events.port}"
        for path in ("/metrics", "/case-store", "/case-store/other", "/"):
            response = yield treq.get(events_root + path).addTimeout(20, reactor)
            assert (response.code, (yield response.json())) == (404, {"error": "not found",
                                                                       "paths": ["/case-store/events"]})
        response = yield treq.get(gw.url).addTimeout(20, reactor)
        assert response.code == 405 and "POST" in (yield response.json())["allowed"]
        on_ops = yield treq.post(f"http://127.0.0.1:{gw.ops.port}/case-store/events", data=b"{}")
        assert on_ops.code == 404    # not on the ops server as well
        yield on_ops.content()
    finally:
        yield gw.stop()


@pytest_twisted.inlineCallbacks
def test_the_scrape_counts_events_and_notices_by_outcome(tmp_path):
    gw = yield EventsGateway(tmp_path).start()
    try:
        _, tracking = yield gw.complaint()
        yield gw.post(case_event(tracking, "verified"))
        response = yield treq.get(f"http://127.0.0.1:{gw.ops.port}/metrics").addTimeout(20, reactor)
        text = (yield response.content()).decode()
        for outcome in ("accepted", "replay", "bad_signature", "stale", "unknown_tracking", "too_large",
                        "malformed", "not_stored"):
            assert f'lapor_case_events_total{{outcome="{outcome}"}}' in text
        for outcome in ("queued", "stopped", "capped", "superseded", "unchanged"):
            assert f'lapor_update_notices_total{{outcome="{outcome}"}}' in text
        assert count(UPDATE_NOTICES, "queued") >= 1
    finally:
        yield gw.stop()
