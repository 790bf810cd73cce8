"""A case store's error answer may echo the payload — the citizen's text and number. The
gateway keeps only the status and the store's own short error code: neither the log nor
the journal's last_error (shown by `complaints list`) ever carries the text or the number."""
import io
import json

import pytest
import pytest_twisted
from twisted.internet import reactor

from gateway import logging as gwlog
from gateway.forwarder.http_client import Answer, failure_reason
from gateway.model import Complaint, ComplaintState, Message
from tests.forwarder.harness import Harness


def echoing(payload: dict) -> str:
    return f"cannot take '{payload['raw_text']}' from {payload['reporter']['address']}"


@pytest_twisted.inlineCallbacks
def test_error_bodies_echoing_the_complaint_reach_neither_log_nor_journal(tmp_path):
    log = io.StringIO()
    gwlog.configure("info", "json", log)
    h = yield Harness(tmp_path).start()
    answered_500 = set()

    def refuse_or_fail_echoing(payload):
        if payload["raw_text"].endswith(" 0"):  # refused for good: a dead letter
            return 400, {"error": echoing(payload), "payload": payload}
        if payload["id"] not in answered_500:  # fails once, then is taken
            answered_500.add(payload["id"])
            return 500, {"error": "internal", "detail": echoing(payload), "request": payload}
        return None
    try:
        h.fake.reject = refuse_or_fail_echoing
        complaints = yield h.commit(3)
        h.forward(complaints)
        yield h.worker.settled().addTimeout(10, reactor)
        yield h.journal.drain()
        rows = yield h.journal.list_complaints(None, 10)
    finally:
        yield h.stop()
        gwlog.configure("info", "console")

    journal = json.dumps(rows, default=str)
    logged = log.getvalue()
    assert [r["code"] for r in h.fake.requests].count(500) == 2 and h.worker.dead == 1  # it happened
    for complaint in complaints:
        for secret in (complaint.message.text, complaint.message.sender, "Jalan rusak", "KabBanyumas"):
            assert secret not in logged, secret
            assert secret not in journal, secret
    dead = next(r for r in rows if r["state"] == "dead")
    assert dead["last_error"] == "case store answered 400 (error: cannot take '… … … … …' from <reporter>)"
    assert "case store answered 500 (error: internal)" in logged


SMS = Complaint("c-1", Message("sms", "+6281234567890", "KotaBandung Lampu jalan mati di Jl. Dago 12",
                               "k-1"), ComplaintState.PARSED)


def answer(code: int, body: str) -> Answer:
    return Answer(code, {}, body.encode())


@pytest.mark.parametrize("code, body, reason", [
    (503, '{"error": "maintenance"}', "case store answered 503 (error: maintenance)"),
    (422, '{"error": {"code": "region_unknown", "message": "KotaBandung Lampu"}}',
     "case store answered 422 (error: region_unknown)"),
    (400, '{"error": "no region in KotaBandung Lampu jalan mati from +6281234567890"}',
     "case store answered 400 (error: no region in … … … … from <reporter>)"),
    (400, '{"error": "caller 0812-3456-7890 blocked"}', "case store answered 400 (error: caller <number> blocked)"),
    (500, '{"message": "KotaBandung Lampu jalan mati"}', "case store answered 500"),
    (500, "<html><body>Lampu jalan mati +6281234567890</body></html>", "case store answered 500"),
    (500, "Internal error: KotaBandung Lampu jalan mati", "case store answered 500"),
    (400, "<response><status>gagal</status><pesan>isi: Lampu jalan mati di Jl. Dago 12</pesan></response>",
     "case store answered 400 (pesan: isi: … … … … …. … …)"),
    (400, "<response><status>gagal</status></response>", "case store answered 400 (status: gagal)"),
    (400, '{"error": "' + "x" * 500 + '"}', "case store answered 400 (error: " + "x" * 73 + ")"),
])
def test_a_failure_reason_is_the_status_and_the_stores_own_code_made_safe(code, body, reason):
    assert failure_reason(answer(code, body), SMS) == reason
