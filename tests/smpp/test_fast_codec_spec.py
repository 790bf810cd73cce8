"""Where the fast codec follows SMPP 3.4 (v3.4 Issue 1.2) and smpplib does not: each test
says what smpplib writes, what the fast codec writes instead, and that the gateway reads
both the same where it can. These are the exceptions to test_fast_codec.py's
byte-for-byte property.
"""
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from smpplib import command as smpp_command

from gateway.channels.smpp import codec


def tlvs_of(data, body_start):
    """(tag, length field, value octets up to the end) of the TLVs after `body_start`."""
    found, pos = [], body_start
    while pos + 4 <= len(data):
        tag, length = struct.unpack_from(">HH", data, pos)
        found.append((tag, length, data[pos + 4:pos + 4 + length]))
        pos += 4 + length
    return found


def deliver_tlvs(encode, **tlvs):
    data = encode("deliver_sm", 1, **tlvs)
    return tlvs_of(data, len(codec.encode_with_smpplib("deliver_sm", 1)))


def test_an_error_submit_sm_resp_has_no_body():   # §4.4.2
    fast, smpplib = (encode("submit_sm_resp", 5, 0x58) for encode in (codec.encode,
                                                                       codec.encode_with_smpplib))
    assert (len(fast), len(smpplib)) == (16, 17)    # smpplib adds an empty message_id
    assert codec.decode(fast).message_id is None and codec.decode(smpplib).message_id == ""
    with pytest.raises(ValueError):
        codec.encode("submit_sm_resp", 5, 0x58, message_id="1A")
    # deliver_sm_resp: §4.6.2 asks no such thing; its NUL stays (the property covers it)


@settings(max_examples=50, deadline=None)
@given(st.text(st.characters(min_codepoint=1, max_codepoint=0xFF), min_size=1, max_size=64)
       .filter(lambda t: not t.isascii()))
def test_a_string_tlv_is_latin1_and_its_length_counts_octets(text):   # §5.3.2.12
    (fast,) = deliver_tlvs(codec.encode, receipted_message_id=text)
    assert fast == (0x001E, len(text) + 1, text.encode("latin-1") + b"\0")
    read = codec.decode(codec.encode("deliver_sm", 1, receipted_message_id=text))
    assert read.receipted_message_id == text
    # smpplib writes UTF-8 but counts characters: the value overruns its length
    (tag, length, _), *_ = deliver_tlvs(codec.encode_with_smpplib, receipted_message_id=text)
    assert length == len(text) + 1 < len(text.encode("utf-8")) + 1


def test_a_string_tlv_over_its_maximum_is_refused():   # receipted_message_id: 65 with NUL
    assert deliver_tlvs(codec.encode_with_smpplib, receipted_message_id="7" * 65)[0][1] == 66
    assert deliver_tlvs(codec.encode_with_smpplib, receipted_message_id="7" * 70)[0][1] == 65
    for length in (65, 70):
        with pytest.raises(ValueError):
            codec.encode("deliver_sm", 1, receipted_message_id="7" * length)


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(["service_type", "source_addr", "destination_addr", "validity_period"]),
       st.integers(0, 10))
def test_an_over_long_cstring_is_refused_not_cut_short(name, extra):
    limit = smpp_command.SubmitSM.params[name].max
    value = "6281234567890123456789012345"[:limit - 1] + "9" * (1 + extra)
    written = codec.decode(codec.encode_with_smpplib("submit_sm", 1, **{name: value}))
    assert written.fields[name] == value[:limit - 1]   # smpplib: another number
    with pytest.raises(ValueError):
        codec.encode("submit_sm", 1, **{name: value})


def test_a_nul_inside_a_cstring_is_refused():
    # smpplib writes it: every later field shifts, and here the PDU no longer parses
    with pytest.raises(codec.MalformedPdu):
        codec.decode(codec.encode_with_smpplib("submit_sm", 1, source_addr="62\x0081"))
    with pytest.raises(ValueError):
        codec.encode("submit_sm", 1, source_addr="62\x0081")


def test_a_short_message_of_255_octets_is_refused():   # sm_length: 0 to 254
    written = codec.encode_with_smpplib("submit_sm", 1, short_message=b"x" * 255)
    assert codec.decode(written).sm_length == 255
    with pytest.raises(ValueError):
        codec.encode("submit_sm", 1, short_message=b"x" * 255)


@given(st.integers(0, 0xFF))
@settings(max_examples=20, deadline=None)
def test_source_addr_subunit_is_one_octet(value):   # §5.3.2.2
    fast, smpplib = (encode("submit_sm", 1, source_addr_subunit=value)
                     for encode in (codec.encode, codec.encode_with_smpplib))
    assert fast.endswith(struct.pack(">HHB", 0x000D, 1, value))
    assert smpplib.endswith(struct.pack(">HHH", 0x000D, 2, value))
    assert codec.decode(fast).source_addr_subunit == value
    assert codec.decode(smpplib).source_addr_subunit == value


def test_alert_on_message_delivery_is_written():   # §5.3.2.41: a TLV of length 0
    fast = codec.encode("submit_sm", 1, alert_on_message_delivery=True)
    assert fast.endswith(struct.pack(">HH", 0x130C, 0))
    assert codec.encode_with_smpplib("submit_sm", 1, alert_on_message_delivery=True) == \
        codec.encode_with_smpplib("submit_sm", 1)    # smpplib drops it
    assert codec.decode(fast).alert_on_message_delivery is True


@pytest.mark.parametrize("name", ["source_subaddress", "dest_subaddress"])
def test_a_subaddress_is_an_octet_string(name):   # §5.3.2.15-16: no NUL
    # (ASCII here: smpplib's UTF-8 for string TLVs is the Latin-1 test's business)
    fast = codec.encode("submit_sm", 1, **{name: "P123"})
    smpplib = codec.encode_with_smpplib("submit_sm", 1, **{name: "P123"})
    tag = smpp_command.consts.OPTIONAL_PARAMS[name]
    assert fast.endswith(struct.pack(">HH", tag, 4) + b"P123")
    assert smpplib.endswith(struct.pack(">HH", tag, 5) + b"P123\0")
    # read as smpplib reads it (text up to a NUL), so a Pdu does not change
    assert codec.decode(fast).fields[name] == codec.decode(smpplib).fields[name] == "P123"
