"""The fast codec (fast_pdus.py) against smpplib's (codec.*_with_smpplib), both ways.

For every hot kind, generated PDUs — optional TLVs, UCS-2, UDH, message_payload instead
of short_message, empty and maximal fields — are written to the same bytes and read to
the same `Pdu`, and arbitrary damage to them (truncated bodies, command_length
mismatches, lost NULs, over-long C-strings, stray octets) is refused with the same
error, so the gateway answers a malformed PDU the same whichever codec read it.

Where smpplib breaks SMPP 3.4 the fast codec follows the spec; each such place is left
out of the byte-for-byte property (`SPEC_OVER_SMPPLIB`) and pinned by its own test in
test_fast_codec_spec.py, which says what smpplib does.
"""
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from smpplib import command as smpp_command

from gateway.channels.smpp import codec
from gateway.channels.smpp.constants import COMMAND_IDS

HOT = ("deliver_sm", "deliver_sm_resp", "submit_sm", "submit_sm_resp", "enquire_link",
       "enquire_link_resp")
CLASSES = {"deliver_sm": smpp_command.DeliverSM, "deliver_sm_resp": smpp_command.DeliverSMResp,
           "submit_sm": smpp_command.SubmitSM, "submit_sm_resp": smpp_command.SubmitSMResp,
           "enquire_link": smpp_command.EnquireLink,
           "enquire_link_resp": smpp_command.EnquireLinkResp}
#: TLVs smpplib writes against SMPP 3.4: each has its own test (test_fast_codec_spec.py)
SPEC_OVER_SMPPLIB = {"source_addr_subunit", "alert_on_message_delivery", "source_subaddress",
                     "dest_subaddress"}
#: the text fields: generated here, not from the table
TEXT_FIELDS = {"short_message", "sm_length", "message_payload", "esm_class", "data_coding"}

PROPERTY = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

uint8 = st.integers(0, 0xFF)


def cstrings(limit, alphabet_max=0xFF):
    """C-string values that fit `limit` octets (NUL included), as str or bytes, often
    exactly at the limit."""
    chars = st.characters(min_codepoint=1, max_codepoint=alphabet_max)
    text = st.one_of(st.text(chars, max_size=limit - 1),
                     st.text(chars, min_size=limit - 1, max_size=limit - 1))
    return st.one_of(text, text.map(lambda t: t.encode("latin-1")))


def tlv_values(param):
    if param.type is int:
        return st.integers(0, 2 ** (8 * param.size) - 1)
    if param.type is str:   # ASCII: smpplib writes string TLVs as UTF-8 (see below)
        return cstrings(param.max, alphabet_max=0x7F)
    return st.binary(max_size=300)


@st.composite
def text_fields(draw):
    """short_message (plain, UCS-2, with a UDH, empty, maximal) or message_payload."""
    shape = draw(st.sampled_from(["plain", "maximal", "ucs2", "udh", "payload", "none"]))
    esm_class, coding = draw(uint8), draw(uint8)
    if shape == "plain":
        return {"short_message": draw(st.binary(max_size=254)), "data_coding": coding}
    if shape == "maximal":
        return {"short_message": draw(st.binary(min_size=254, max_size=254))}
    if shape == "ucs2":   # at most 63 characters of at most 4 octets
        text = draw(st.text(max_size=63))
        return {"short_message": text.encode("utf-16-be"), "data_coding": 8}
    if shape == "udh":
        ref, total = draw(uint8), draw(st.integers(1, 255))
        udh = bytes([5, 0, 3, ref, total, draw(st.integers(1, total))])
        body = draw(st.binary(max_size=248))
        return {"short_message": udh + body, "esm_class": 0x40 | esm_class}
    if shape == "payload":
        return {"short_message": draw(st.sampled_from([b"", None])), "data_coding": coding,
                "message_payload": draw(st.binary(min_size=1, max_size=3000))}
    return {}


@st.composite
def pdus(draw, kinds=HOT):
    """(kind, sequence, status, fields) of a PDU both codecs can write: mandatory fields
    and TLVs each given or left out, often all of them or none."""
    kind = draw(st.sampled_from(kinds))
    cls = CLASSES[kind]
    share = draw(st.sampled_from([0, 1, 5]))   # in tenths: none, a few, half
    fields = {}
    for name in cls.params_order:
        param = cls.params[name]
        if name in SPEC_OVER_SMPPLIB | TEXT_FIELDS or draw(st.integers(0, 9)) >= share:
            continue
        if name in smpp_command.consts.OPTIONAL_PARAMS:
            fields[name] = draw(tlv_values(param))
        else:
            fields[name] = draw(uint8 if param.type is int else cstrings(param.max))
    if "short_message" in cls.params:
        fields.update(draw(text_fields()))
    status = 0 if kind == "submit_sm_resp" else draw(st.sampled_from([0, 0x58, 0xFFFFFFFF]))
    return kind, draw(st.integers(0, 0xFFFFFFFF)), status, fields


def seen(pdu):
    """Everything a `Pdu` tells the gateway, types included."""
    fields = {name: (type(value), value) for name, value in pdu.fields.items()}
    return (pdu.command, pdu.command_id, pdu.status, pdu.sequence, fields, pdu.unknown_tlvs)


def outcome(decode, data):
    try:
        return seen(decode(data))
    except codec.CodecError as error:
        return type(error), error.command_id, error.sequence, error.status, error.reason


def expected(cls, name, value):
    """What a decoder gives back for `value` written as `name`."""
    param = cls.params[name]
    if param.type is str:
        return value.decode("latin-1") if isinstance(value, bytes) else value
    return value


@PROPERTY
@given(pdus())
def test_the_fast_encoder_writes_smpplibs_bytes(pdu):
    kind, sequence, status, fields = pdu
    assert codec.encode(kind, sequence, status, **fields) == \
        codec.encode_with_smpplib(kind, sequence, status, **fields)


@PROPERTY
@given(pdus())
def test_each_codec_reads_what_the_other_wrote(pdu):
    kind, sequence, status, fields = pdu
    by_smpplib = codec.decode(codec.encode_with_smpplib(kind, sequence, status, **fields))
    by_fast = codec.decode_with_smpplib(codec.encode(kind, sequence, status, **fields))
    assert seen(by_smpplib) == seen(by_fast)
    assert (by_fast.command, by_fast.sequence, by_fast.status) == (kind, sequence, status)
    cls = CLASSES[kind]
    for name, value in fields.items():
        if value not in (None, b"", "") and name != "sm_length":
            assert by_fast.fields[name] == expected(cls, name, value), name


@st.composite
def damaged(draw):
    """A PDU of a hot kind, damaged one to three ways."""
    kind, sequence, status, fields = draw(pdus())
    data = bytearray(codec.encode_with_smpplib(kind, sequence, status, **fields))
    for _ in range(draw(st.integers(1, 3))):
        data = DAMAGE[draw(st.sampled_from(sorted(DAMAGE)))](draw, data)
    return bytes(data)


def relength(data):
    return bytearray(struct.pack(">L", len(data))) + data[4:]


def _cut(draw, data):   # a truncated body, command_length saying so
    return relength(data[:draw(st.integers(min(16, len(data)), len(data)))])


def _cut_only(draw, data):   # command_length disagreeing with what came
    return data[:draw(st.integers(0, max(0, len(data) - 1)))]


def _lie_about_length(draw, data):
    data[:4] = struct.pack(">L", draw(st.integers(0, 0xFFFFFFFF)))
    return data


def _nuls(data):
    return [i for i in range(16, len(data)) if data[i] == 0]


def _lose_a_nul(draw, data):   # a C-string that never ends, or a shifted body
    if _nuls(data):
        data[draw(st.sampled_from(_nuls(data)))] = draw(st.integers(1, 255))
    return data


def _stretch_a_cstring(draw, data):   # over-long C-strings, still terminated
    if _nuls(data):
        at = draw(st.sampled_from(_nuls(data)))
        extra = draw(st.binary(min_size=1, max_size=80)).replace(b"\0", b"9")
        data = data[:at] + extra + data[at:]
    return relength(data)


def _append(draw, data):   # stray octets: a TLV stream cut short, vendor TLVs
    return relength(data + draw(st.binary(max_size=40)))


def _overwrite(draw, data):   # sm_length, a TLV's tag or length, a flag
    if len(data) > 16:
        data[draw(st.integers(16, len(data) - 1))] = draw(uint8)
    return data


def _relabel(draw, data):   # one kind's body under another hot kind's header
    data[4:8] = struct.pack(">L", COMMAND_IDS[draw(st.sampled_from(HOT))])
    return data


def _bare_header(draw, data):
    return relength(data[:16])


DAMAGE = {f.__name__: f for f in (_cut, _cut_only, _lie_about_length, _lose_a_nul,
                                   _stretch_a_cstring, _append, _overwrite, _relabel,
                                   _bare_header)}


@PROPERTY
@given(damaged())
def test_damaged_pdus_are_read_or_refused_alike(data):
    assert outcome(codec.decode, data) == outcome(codec.decode_with_smpplib, data)


@PROPERTY
@given(st.sampled_from(HOT), st.binary(max_size=120))
def test_any_body_is_read_or_refused_alike(kind, body):
    data = struct.pack(">LLLL", 16 + len(body), COMMAND_IDS[kind], 0, 7) + body
    assert outcome(codec.decode, data) == outcome(codec.decode_with_smpplib, data)


OUT_OF_RANGE = {"esm_class": 0x100, "sar_total_segments": 0x100, "user_message_reference": 0x10000}


@settings(max_examples=100, deadline=None)
@given(pdus(kinds=("deliver_sm", "submit_sm")), st.sampled_from(sorted(OUT_OF_RANGE)),
       st.sampled_from(["too big", -1, "1"]))
def test_an_integer_that_does_not_fit_is_refused_by_both(pdu, name, bad):
    kind, sequence, status, fields = pdu
    fields[name] = OUT_OF_RANGE[name] if bad == "too big" else bad
    with pytest.raises(struct.error):
        codec.encode_with_smpplib(kind, sequence, status, **fields)
    with pytest.raises(struct.error):
        codec.encode(kind, sequence, status, **fields)


@settings(max_examples=50, deadline=None)
@given(pdus(kinds=("deliver_sm", "submit_sm")), st.integers(0, 0xFF))
def test_a_given_sm_length_is_ignored_by_both(pdu, sm_length):
    kind, sequence, status, fields = pdu
    fields["sm_length"] = sm_length
    assert codec.encode(kind, sequence, status, **fields) == \
        codec.encode_with_smpplib(kind, sequence, status, **fields)


def test_the_largest_message_payload_is_written_alike():
    fields = dict(source_addr="6281200000001", message_payload=bytes(range(256)) * 255 + b"x" * 255)
    data = codec.encode("deliver_sm", 9, **fields)
    assert data == codec.encode_with_smpplib("deliver_sm", 9, **fields)
    assert codec.decode(data).message_payload == fields["message_payload"]
    with pytest.raises(ValueError):
        codec.encode("deliver_sm", 9, message_payload=fields["message_payload"] + b"y")


def test_short_message_and_message_payload_together_are_refused_by_both():
    for encode in (codec.encode, codec.encode_with_smpplib):
        with pytest.raises(ValueError):
            encode("submit_sm", 1, short_message=b"a", message_payload=b"b")


def test_unknown_field_names_are_refused_by_both():
    for kind in HOT:
        for encode in (codec.encode, codec.encode_with_smpplib):
            with pytest.raises(ValueError):
                encode(kind, 1, short_mesage=b"x")


# -- wiring -----------------------------------------------------------------------------

def test_the_framing_takes_the_fast_path_for_hot_kinds_and_smpplib_for_the_rest(monkeypatch):
    from tests.smpp.test_framing import connected, written

    hot = codec.encode("deliver_sm", 1, short_message=b"hot") + codec.encode("enquire_link", 2)
    cold = codec.encode("unbind", 3)
    used = []
    for name in ("_decode_body_with_smpplib", "encode_with_smpplib"):
        real = getattr(codec, name)
        monkeypatch.setattr(codec, name, lambda *a, _real=real, _name=name, **k:
                            used.append(_name) or _real(*a, **k))
    proto, transport = connected()
    proto.dataReceived(hot)
    assert [p.command for p in written(transport)] == ["deliver_sm_resp", "enquire_link_resp"]
    assert used == [] and proto.delivered[0].short_message == b"hot"
    proto.dataReceived(cold)
    assert [p.command for p in written(transport)] == ["generic_nack"]
    # unbind in, generic_nack out (and read back here)
    assert used == ["_decode_body_with_smpplib", "encode_with_smpplib", "_decode_body_with_smpplib"]
