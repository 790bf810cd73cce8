"""The SMS channel end to end: the bundled SMSC simulator over TCP on 127.0.0.1 →
the gateway's ESME → store → parser → embedded case store → submit_sm reply → receipt."""
import pytest_twisted

from tests.smpp.gateway_harness import gateway, simulator


@pytest_twisted.inlineCallbacks
def test_sms_becomes_a_complaint_and_the_reply_is_delivered(tmp_path):
    sim = simulator()
    service = gateway(tmp_path, sim)
    yield service.start()
    try:
        sim.enqueue_mo("6281234567890", "PekalonganKota Jalan rusak di Jl. Merdeka")
        yield sim.wait_until_acknowledged(1)
        yield sim.wait_until_receipts_acknowledged(1)
        (complaint,) = yield service.store.list_complaints()
        detail = yield service.store.show_complaint(complaint["id"])
        assert (detail["region"], detail["state"]) == ("33.75", "forwarded")
        assert detail["sender"] == "+6281234567890"
        (reply,) = detail["replies"]
        assert (reply["state"], reply["delivery_status"]) == ("delivered", "DELIVRD")
        (submitted,) = sim.submitted
        assert (submitted.destination_addr, submitted.source_addr) == ("6281234567890", "1708")
        assert submitted.registered_delivery == 1
        assert f"#{detail['tracking_id']}" in submitted.short_message.decode("ascii")
    finally:
        yield service.stop()
        yield sim.stop()
