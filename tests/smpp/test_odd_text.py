"""Odd text is kept and flagged, never dropped or silently cleaned (text.py, concat.py)."""
import pytest

from gateway.channels.smpp import text as t
from gateway.channels.smpp.concat import Segment, assemble

KEY = ("bind", "6281200000001", "1708", 7, 2)


@pytest.mark.parametrize("payload, coding, text, flags, keeps_raw", [
    ("Jalan rusak".encode("utf-16-be"), 8, "Jalan rusak", (), False),
    ("🚧".encode("utf-16-be"), 8, "🚧", (), False),                       # a valid pair
    (b"\xd8\x3d\x00A", 8, "\ufffdA", ("invalid_utf16",), True),          # lone high surrogate
    (b"\x00A\xde\x00", 8, "A\ufffd", ("invalid_utf16",), True),          # lone low surrogate
    (b"\x00A\x00", 8, "A\ufffd", ("invalid_utf16",), True),              # odd trailing octet
    (b"a\tb\r\nc", 3, "a\tb\r\nc", (), False),                           # typed by people
    (b"a\x01b\x1fc\x7fd\x9f", 3, "a\x01b\x1fc\x7fd\x9f", ("control_chars",), False),
    (b"a\x00b", 3, "a\ufffdb", ("control_chars",), True),                # NUL: no PostgreSQL text
    (b"a\x00b", 1, "a\ufffdb", ("control_chars",), True),
    (b"\x1b\x0a", 0, "\x0c", ("control_chars",), False),                 # GSM page break
    (b"\x00", 0, "@", (), False),                                        # GSM 0x00 is @, not NUL
])
def test_decode_keeps_and_flags(payload, coding, text, flags, keeps_raw):
    decoded = t.decode_text(payload, coding)
    assert (decoded.text, decoded.flags) == (text, flags)
    assert decoded.raw_hex == (payload.hex() if keeps_raw else None)
    assert not decoded.undecodable
    decoded.text.encode("utf-8")   # storable: no lone surrogate left in the text


def segment(seqnum, payload, coding=8, total=2):
    return Segment(KEY[:4] + (total,), 7, total, seqnum, payload, coding)


def test_a_surrogate_pair_split_across_parts_is_valid():
    emoji = "🙏".encode("utf-16-be")
    message = assemble([segment(2, emoji[2:]), segment(1, b"\x00A" + emoji[:2])])
    assert (message.text, message.flags, message.raw_hex) == ("A🙏", (), None)


def test_a_part_with_a_lone_surrogate_keeps_every_raw_byte():
    first, second = b"\x00A\xd8\x3d", b"\x00B"
    message = assemble([segment(1, first), segment(2, second)])
    assert message.flags == ("invalid_utf16",)
    assert message.raw_hex == (first + second).hex()


@pytest.mark.parametrize("payloads, coding", [([b""], 0), ([b""], 8), ([b"", b""], 0)])
def test_nothing_to_read_is_flagged_empty(payloads, coding):
    parts = [segment(n, p, coding, len(payloads)) for n, p in enumerate(payloads, 1)]
    message = assemble(parts)
    assert (message.text, message.flags, message.partial) == ("", ("empty",), False)


def test_undecodable_or_partial_is_not_empty():
    assert assemble([segment(1, b"\x01", coding=0x05, total=1)]).flags == ()
    partial = assemble([segment(2, b"")])
    assert partial.partial and "empty" not in partial.flags
