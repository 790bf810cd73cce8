"""short_message decoding per data_coding and reply splitting."""
import pytest
from hypothesis import given, settings, strategies as st

from gateway.channels.smpp import text as t
from gateway.channels.smpp.concat import segment_of, assemble


@pytest.mark.parametrize("payload, coding, override, expected", [
    (b"PekalonganKota Jalan rusak", 0, "gsm", "PekalonganKota Jalan rusak"),
    (b"\x1be\x1b<\x1b>\x1b(\x1b)\x1b=\x1b\x14\x1b@\x1b/", 0, "gsm", "€[]{}~^|\\"),
    (b"\x00\x01\x02 \x7f", 0, "gsm", "@£$ à"),
    (b"caf\xe9", 0, "latin-1", "café"),
    (b"plain", 0, "ascii", "plain"),
    (b"ASCII text", 1, "gsm", "ASCII text"),
    (b"caf\xe9 \xa3", 3, "gsm", "café £"),
    ("Jalan 🚧 rusak 🙏".encode("utf-16-be"), 8, "gsm", "Jalan 🚧 rusak 🙏"),
    ("Å".encode("utf-16-be"), 0x18, "gsm", "Å"),      # DCS group 1x, UCS-2 with class
    (b"abc", 0xF0, "gsm", "abc"),                      # DCS group Fx, GSM
])
def test_decode(payload, coding, override, expected):
    decoded = t.decode_text(payload, coding, override)
    assert decoded.text == expected
    assert not decoded.undecodable


@pytest.mark.parametrize("coding", [0x02, 0x04, 0x05, 0x0E, 0xF4, 0x30])
def test_unknown_coding_keeps_raw_bytes(coding):
    decoded = t.decode_text(b"\x01\xffxyz", coding)
    assert decoded.undecodable and decoded.raw_hex == "01ff78797a"


def test_broken_ucs2_never_raises():
    assert t.decode_text(b"\x00A\x00", 8).text == "A\ufffd"
    assert t.decode_text(b"\xd8\x3d\x00A", 8).text == "\ufffdA"   # lone high surrogate


def test_short_reply_is_one_gsm_segment():
    enc = t.encode_text("Aduan Anda diterima. No. tiket: LAPOR-2024-000123", reference=7)
    assert enc.data_coding == 0 and enc.esm_class == 0 and len(enc.parts) == 1


def test_extension_chars_count_double():
    assert t.split_text("€" * 80)[1] == ["€" * 80]
    coding, chunks = t.split_text("€" * 81)
    assert coding == 0 and [len(c) for c in chunks] == [t.GSM_PART // 2, 81 - t.GSM_PART // 2]


def test_emoji_forces_ucs2_and_udh16():
    enc = t.encode_text("Terima kasih 🙏 " * 10, reference=0x1234)
    assert enc.data_coding == 8 and enc.esm_class == 0x40
    assert enc.parts[0][:7] == bytes([6, 8, 4, 0x12, 0x34, len(enc.parts), 1])


def _rejoin(parts, coding):
    return "".join(t.decode_text(p[7:] if len(parts) > 1 else p, coding).text for p in parts)


alphabet = st.sampled_from(list("abcXYZ 0@£é€[]{}~^|\\\n") + ["🙏", "😡", "ş", "Ж", "中"])


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=alphabet, max_size=600))
def test_split_roundtrip_within_limits(text):
    enc = t.encode_text(text, reference=1)
    assert _rejoin(enc.parts, enc.data_coding) == text
    multi = len(enc.parts) > 1
    for part in enc.parts:
        body = part[7:] if multi else part
        if enc.data_coding == 0:
            assert len(body) <= (t.GSM_PART if multi else t.GSM_SINGLE)
            assert not body.endswith(b"\x1b") or body.endswith(b"\x1b\x1b")
        else:
            assert len(body) // 2 <= (t.UCS2_PART if multi else t.UCS2_SINGLE)
            assert len(body) % 2 == 0
            last = int.from_bytes(body[-2:], "big") if body else 0
            assert not 0xD800 <= last <= 0xDBFF          # no dangling high surrogate
        assert len(part) <= 140 if enc.data_coding == 8 else len(part) <= 160


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=alphabet, min_size=1, max_size=400))
def test_split_reassembles_through_concat(text):
    enc = t.encode_text(text, reference=99)
    segments = [segment_of({"source_addr": "s", "destination_addr": "1708",
                            "esm_class": enc.esm_class, "data_coding": enc.data_coding,
                            "short_message": p}, "b") for p in reversed(enc.parts)]
    assert assemble(segments).text == text


@given(st.binary(max_size=200) | st.text(alphabet=st.characters(max_codepoint=0x7f), max_size=200)
       .map(lambda s: s.encode("ascii")))
def test_gsm_fast_path_reads_what_the_codec_reads(payload):
    """Plain septets are read in C; every payload still decodes as gsm0338 reads it."""
    assert t._decode(payload, "gsm") == t._GSM.decode(payload, "replace")[0]


def test_the_fast_path_leaves_gsm_only_septets_to_the_codec():
    assert t._decode(b"Jalan rusak 12", "gsm") == "Jalan rusak 12"
    assert t._decode(b"\x00\x02\x11", "gsm") == "@$_"       # GSM, not ASCII
