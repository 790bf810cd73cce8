"""The smpplib wrapper: round trips and the traps it fixes."""
import struct

import pytest

from gateway.channels.smpp import codec


def rewrite_length(data):
    return struct.pack(">L", len(data)) + data[4:]


def with_tlvs(pdu_bytes, *tlvs):
    extra = b"".join(struct.pack(">HH", tag, len(v)) + v for tag, v in tlvs)
    return rewrite_length(pdu_bytes + extra)


def test_round_trip_sets_sequence_and_str_fields():
    data = codec.encode("submit_sm", 4242, source_addr=b"1708", destination_addr="+628123",
                        short_message="halo", registered_delivery=1)
    pdu = codec.decode(data)
    assert pdu.command == "submit_sm" and pdu.sequence == 4242 and pdu.status == 0
    assert pdu.source_addr == "1708" and pdu.destination_addr == "+628123"
    assert pdu.short_message == b"halo" and pdu.registered_delivery == 1
    assert pdu.get("sar_msg_ref_num") is None


def test_unknown_field_name_is_refused():
    with pytest.raises(ValueError):
        codec.encode("submit_sm", 1, short_mesage=b"x")


def test_unknown_command_id():
    data = struct.pack(">LLLL", 16, 0x00000777, 0, 9)
    with pytest.raises(codec.UnknownCommand) as info:
        codec.decode(data)
    assert info.value.command_id == 0x777 and info.value.sequence == 9 and info.value.is_request


def test_known_but_unsupported_command_is_unknown():   # smpplib cannot build cancel_sm
    with pytest.raises(codec.UnknownCommand):
        codec.decode(struct.pack(">LLLL", 16, 0x00000008, 0, 1))


def test_receipted_message_id_without_nul_keeps_last_char():
    data = with_tlvs(codec.encode("deliver_sm", 1, short_message=b"x"), (0x001E, b"0A1B"))
    assert codec.decode(data).receipted_message_id == "0A1B"


def test_integer_tlv_read_with_wire_length_and_next_tlv_aligned():
    data = with_tlvs(codec.encode("deliver_sm", 1, short_message=b"x"),
                     (0x0427, b"\x00\x00\x00\x02"), (0x001E, b"ID7\x00"))
    pdu = codec.decode(data)
    assert pdu.message_state == 2 and pdu.receipted_message_id == "ID7"


def test_vendor_and_foreign_tlvs_ignored():
    data = with_tlvs(codec.encode("deliver_sm", 1, short_message=b"x"),
                     (0x1401, b"vendor"), (0x0017, b"\0\0\0\1"), (0x020C, b"\x00\x05"))
    pdu = codec.decode(data)
    assert pdu.sar_msg_ref_num == 5
    assert pdu.unknown_tlvs == ((0x1401, b"vendor"), (0x0017, b"\0\0\0\1"))


@pytest.mark.parametrize("mangle", [
    lambda d: rewrite_length(d[:20]),                       # C-string without NUL
    lambda d: rewrite_length(d[:-2]),                       # short_message past the end
    lambda d: rewrite_length(d + b"\x04\x27\x00\x05\x01"),  # TLV past the end
    lambda d: rewrite_length(d + b"\x04"),                  # half a TLV header
])
def test_malformed_body(mangle):
    data = mangle(codec.encode("deliver_sm", 77, source_addr="+6281234", short_message=b"hello"))
    with pytest.raises(codec.MalformedPdu) as info:
        codec.decode(data)
    assert info.value.command_id == 5 and info.value.sequence == 77 and info.value.is_request


def test_error_response_without_body_is_fine():
    pdu = codec.decode(struct.pack(">LLLL", 16, 0x80000004, 0x58, 3))
    assert pdu.command == "submit_sm_resp" and pdu.status == 0x58 and pdu.message_id is None


def test_truncated_request_is_malformed():
    with pytest.raises(codec.MalformedPdu):
        codec.decode(rewrite_length(codec.encode("bind_transceiver", 1, system_id="a")[:18]))


@pytest.mark.parametrize("status, text", [
    (0x0E, "ESME_RINVPASWD (0x0e)"),
    (0x58, "ESME_RTHROTTLED (0x58)"),
    (0xC4, "ESME_RINVOPTPARAMVAL (0xc4)"),   # named by smpplib's table, not by constants.py
    (0x401, "0x401 (vendor-specific)"),
    (0x3A, "0x3a (no SMPP 3.4 name)"),
])
def test_command_status_is_shown_by_name_and_number(status, text):
    from gateway.channels.smpp.constants import status_text
    assert status_text(status) == text


def test_a_refused_submit_names_its_status():
    from gateway.channels.smpp.outbound import SubmitRefused
    assert str(SubmitRefused(0x0B)) == "submit_sm refused with command_status ESME_RINVDSTADR (0x0b)"
