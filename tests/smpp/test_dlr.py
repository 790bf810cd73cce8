"""Delivery receipts: TLV and text forms, id normalisation, final vs intermediate."""
import pytest

from gateway.channels.smpp.dlr import (
    ids_match, is_receipt, message_id_keys, normalise_message_id, parse_receipt,
    parse_receipt_text)

TEXT = (b"id:001A2B3C01 sub:001 dlvrd:001 submit date:2406011200 done date:2406011201 "
        b"stat:DELIVRD err:000 text:Aduan Anda diterima")


@pytest.mark.parametrize("esm, expected", [
    (0x04, True), (0x20, True), (0x08, True), (0x00, False), (0x40, False), (0x44, True),
    (None, False)])
def test_is_receipt(esm, expected):
    assert is_receipt(esm) is expected


def test_tlv_form_wins_over_text():
    r = parse_receipt({"receipted_message_id": "ABC", "message_state": 5,
                       "network_error_code": b"\x01\x00\x22", "short_message": TEXT})
    assert (r.message_id, r.status, r.error, r.final, r.delivered) == ("ABC", "UNDELIV", "34", True, False)


def test_text_form():
    r = parse_receipt({"short_message": TEXT})
    assert (r.message_id, r.status, r.error, r.final, r.delivered) == (
        "001A2B3C01", "DELIVRD", "000", True, True)
    assert r.submit_date == "2406011200" and r.done_date == "2406011201"


@pytest.mark.parametrize("text, status, final", [
    ("ID:77 STAT:ENROUTE", "ENROUTE", False),
    ("id: 77  sub:1 stat: acceptd", "ACCEPTD", False),
    ("id:77 Submit Date:2406 Done  date:2406 stat:EXPIRED", "EXPIRED", True),
    ("id:77 stat:REJECTD err:0x0B", "REJECTD", True),
    ("id:77 stat:DELETED", "DELETED", True),
    ("id:77", "UNKNOWN", True),
    ("id:77 stat:DELIVERED text:id:99 stat:UNDELIV", "DELIVRD", True),
])
def test_text_variants(text, status, final):
    r = parse_receipt({}, text)
    assert r.message_id == "77" and r.status == status and r.final is final


def test_text_parser_keys():
    assert parse_receipt_text("id:1 submit  date:2 text: hello id:3") == {
        "id": "1", "submit date": "2", "text": "hello id:3"}


def test_no_id_is_not_a_receipt():
    assert parse_receipt({"short_message": b"stat:DELIVRD"}) is None


def test_message_state_tlv_numbers():
    states = {n: parse_receipt({"receipted_message_id": "1", "message_state": n}).status
              for n in range(1, 9)}
    assert states == {1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 4: "DELETED",
                      5: "UNDELIV", 6: "ACCEPTD", 7: "UNKNOWN", 8: "REJECTD"}


@pytest.mark.parametrize("raw, canonical", [
    ("0A1B", "a1b"), ("0a1b", "a1b"), ("  A1B\0", "a1b"), ("2587", "2587"),
    ("0002587", "2587"), ("000", "0"), (b"0A1B", "a1b"), ("", "")])
def test_normalise(raw, canonical):
    assert normalise_message_id(raw) == canonical


def test_hex_and_decimal_forms_match():
    assert message_id_keys("0A1B") == {"a1b", "2587"}
    for reported in ("0A1B", "0a1b", "a1b", "2587", "0002587"):
        assert ids_match("0A1B", reported)
    for reported in ("2587", "a1b", "0A1B"):       # SMSC gave decimal, reports hex
        assert ids_match("2587", reported)
    assert not ids_match("0A1B", "2588") and not ids_match("0A1B", "b1a")
    assert ids_match("msg-XYZ-1", "MSG-xyz-1")
