"""SMPP edge cases end to end: the bundled SMSC over TCP → the gateway's ESME → store.

No wrong door: an empty SMS, a 65,535-octet message_payload, UCS-2 that is not valid
UTF-16 and text full of control characters all become complaints, acknowledged once.
An over-long PDU is refused on its own and the bind stays up.
"""
import struct

import pytest_twisted
from sqlalchemy import select

from gateway.channels.smpp.constants import (
    DELIVER_SM,
    ESME_RINVMSGLEN,
    ESME_ROK,
    ESME_RSYSERR,
)
from gateway.channels.smpp.framing import MAX_PDU_LENGTH
from tests.smpp.gateway_harness import gateway, simulator


def stored_messages(service):
    """(sender, text, flags, raw_hex) of every committed message, straight from the store."""
    from gateway.journal.tables import messages

    def read(conn):
        return [(r.sender, r.text, tuple(r.flags), r.raw_hex)
                for r in conn.execute(select(messages).order_by(messages.c.id))]
    return service.journal.database.transact(read)


def mo(sender, payload, data_coding=0, **fields):
    return dict(source_addr=sender, destination_addr="1708", source_addr_ton=1,
                source_addr_npi=1, data_coding=data_coding, short_message=payload, **fields)


@pytest_twisted.inlineCallbacks
def test_an_empty_sms_is_a_complaint_acknowledged_once(tmp_path):
    sim = simulator()
    service = gateway(tmp_path, sim)
    yield service.start()
    try:
        sim.enqueue_mo("6281200000021", "")
        yield sim.wait_until_acknowledged(1)
        assert sim.acknowledged[0].attempts == 1 and sim.deliveries_sent == 1
        assert (yield stored_messages(service)) == [("+6281200000021", "", ("empty",), None)]
        yield sim.wait_until_submitted(1)
        (complaint,) = yield service.journal.list_complaints()
        detail = yield service.journal.show_complaint(complaint["id"])
        assert detail["replies"][0]["kind"] == "empty"
        assert sim.submitted[0].destination_addr == "6281200000021"
    finally:
        yield service.stop()
        yield sim.stop()


@pytest_twisted.inlineCallbacks
def test_a_message_payload_of_65535_octets_is_accepted(tmp_path):
    sim = simulator()
    service = gateway(tmp_path, sim)
    yield service.start()
    try:
        yield sim.wait_until_bound(1)
        text = ("Jateng " + "jalan rusak parah " * 3641)[:65535]
        resp = yield sim.bound[0].send_request(
            "deliver_sm", **mo("6281200000022", b"", message_payload=text.encode("ascii")))
        assert resp.status == ESME_ROK
        ((sender, stored, flags, _),) = yield stored_messages(service)
        assert (sender, len(stored), stored == text, flags) == ("+6281200000022", 65535, True, ())
    finally:
        yield service.stop()
        yield sim.stop()


@pytest_twisted.inlineCallbacks
def test_an_over_long_pdu_is_refused_and_the_bind_stays(tmp_path):
    sim = simulator()
    service = gateway(tmp_path, sim)
    (session,) = service.channels["sms"].sessions
    yield service.start()
    try:
        yield sim.wait_until_bound(1)
        smsc = sim.bound[0]
        answers = []
        take = smsc._response_received
        smsc._response_received = lambda pdu: answers.append(pdu) if pdu.sequence == 7001 else take(pdu)
        length = MAX_PDU_LENGTH + 1
        smsc.transport.write(struct.pack(">LLLL", length, DELIVER_SM, 0, 7001))
        smsc.transport.write(b"\x00" * (length - 16))
        sim.enqueue_mo("6281200000023", "Jateng lampu jalan mati")
        yield sim.wait_until_acknowledged(1)
        assert [(a.command, a.status) for a in answers] == [("deliver_sm_resp", ESME_RINVMSGLEN)]
        assert session.reconnects == 0 and session.bound
        assert [t for _, t, _, _ in (yield stored_messages(service))] == ["Jateng lampu jalan mati"]
    finally:
        yield service.stop()
        yield sim.stop()


@pytest_twisted.inlineCallbacks
def test_a_fault_of_ours_is_a_system_error_not_a_temporary_one(tmp_path):
    sim = simulator()
    service = gateway(tmp_path, sim)
    yield service.start()
    try:
        yield sim.wait_until_bound(1)
        inbound = service.channels["sms"].inbound
        real = inbound._message

        def broken(assembled, fields):
            raise TypeError("a bug in the gateway")
        inbound._message = broken
        resp = yield sim.bound[0].send_request("deliver_sm", **mo("6281200000024", b"Jateng x"))
        assert resp.status == ESME_RSYSERR
        inbound._message = real
        resp = yield sim.bound[0].send_request("deliver_sm", **mo("6281200000024", b"Jateng x"))
        assert resp.status == ESME_ROK
    finally:
        yield service.stop()
        yield sim.stop()


ODD_TEXTS = {
    # UCS-2 with a lone high surrogate (half an emoji): kept as U+FFFD, bytes kept
    "6281200000031": (("Jateng jalan ".encode("utf-16-be") + b"\xd8\x3d" + " rusak".encode("utf-16-be")), 8,
                      "Jateng jalan \ufffd rusak", ("invalid_utf16",), True),
    # Latin-1 with BEL, ESC, VT, FF, DEL and C1 beside TAB/CR/LF: all kept as they came
    "6281200000032": (b"Jateng bel\x07 esc\x1b vt\x0b ff\x0c del\x7f c1\x85 tab\t crlf\r\n", 3,
                      "Jateng bel\x07 esc\x1b vt\x0b ff\x0c del\x7f c1\x85 tab\t crlf\r\n",
                      ("control_chars",), False),
    # NUL: no PostgreSQL text holds it, so U+FFFD in the text and the bytes as hex
    "6281200000033": (b"Jateng a\x00b\x01", 3, "Jateng a\ufffdb\x01", ("control_chars",), True),
    # UCS-2 with both problems and an odd trailing octet
    "6281200000034": ("Jateng \x00\x02".encode("utf-16-be") + b"\xdc\x00\x41", 8,
                      "Jateng \ufffd\x02\ufffd\ufffd", ("invalid_utf16", "control_chars"), True),
}


@pytest_twisted.inlineCallbacks
def test_invalid_utf16_and_control_characters_are_kept_and_flagged(tmp_path, database_url):
    sim = simulator()
    service = gateway(tmp_path, sim, database_url=database_url)
    yield service.start()
    try:
        yield sim.wait_until_bound(1)
        for sender, (payload, coding, *_expected) in ODD_TEXTS.items():
            resp = yield sim.bound[0].send_request("deliver_sm", **mo(sender, payload, coding))
            assert resp.status == ESME_ROK, sender
        stored = {s: (t, f, raw) for s, t, f, raw in (yield stored_messages(service))}
        for sender, (payload, _coding, text, flags, keeps_raw) in ODD_TEXTS.items():
            assert stored["+" + sender] == (text, flags, payload.hex() if keeps_raw else None)
        yield sim.wait_until_submitted(len(ODD_TEXTS))   # and each went through to a reply
    finally:
        yield service.stop()
        yield sim.stop()
