"""short_message bytes <-> text by data_coding, and splitting replies into segments.

Incoming text must never be lost: an alphabet we cannot read yields a result flagged
`undecodable` that keeps the raw bytes (as hex), not an exception. Text that decodes
but is odd is kept and flagged rather than cleaned: UCS-2 that is not valid UTF-16 (a
lone surrogate, an odd trailing octet) is `invalid_utf16`, control characters a handset
does not type are `control_chars`. What no database can store is replaced by U+FFFD in
the text while the payload's bytes are kept as hex: a lone surrogate (not encodable in
UTF-8, so neither SQLite nor PostgreSQL takes it) and NUL (PostgreSQL text cannot hold
it). Every other control character stays in the text as it came. SMPP carries GSM
03.38 text unpacked (one septet per octet); some SMSCs put Latin-1 or ASCII in
data_coding 0 instead, hence the per-SMSC `default_alphabet` override.

Replies go out as GSM-7 when every character fits (extension characters cost two
septets), else UCS-2, split with a 16-bit-reference concatenation UDH. A split never
falls inside a GSM escape pair or a UTF-16 surrogate pair because it is made between
characters, counting each character's cost in septets or UTF-16 code units.
"""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass

import gsm0338

from gateway.channels.smpp.constants import (
    CODING_DEFAULT,
    CODING_IA5,
    CODING_LATIN1,
    CODING_UCS2,
    ESM_DEFAULT,
    ESM_UDHI,
)

_GSM = gsm0338.Codec()
DEFAULT_ALPHABETS = ("gsm", "latin-1", "ascii")

# One segment without a UDH, and the room left by a 7-octet 16-bit-reference UDH.
# 140 octets = 1120 bits; the UDH takes 56 bits, leaving 1064 bits = 152 septets
# (153 is the figure for the 6-octet 8-bit-reference UDH) or 133 octets = 66 UCS-2
# code units (67 with the 8-bit UDH).
GSM_SINGLE = 160
GSM_PART = 152
UCS2_SINGLE = 70
UCS2_PART = 66
MAX_PARTS = 255


#: Control characters: C0 except TAB, LF and CR, DEL, and C1 (Latin-1 data shows them).
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
REPLACEMENT = "\ufffd"
INVALID_UTF16 = "invalid_utf16"
CONTROL_FLAG = "control_chars"


@dataclass(frozen=True)
class DecodedText:
    """What a short_message says. `raw_hex` is set when the text could not be read, or
    could be read only with a character replaced (see `flags`)."""

    text: str
    data_coding: int
    undecodable: bool = False
    raw_hex: str | None = None
    flags: tuple[str, ...] = ()   # INVALID_UTF16, CONTROL_FLAG


def alphabet_for(data_coding: int, default_alphabet: str = "gsm") -> str | None:
    """The alphabet a data_coding names: "gsm", "ascii", "latin-1", "ucs2", or None.

    Besides the SMPP values (0, 1, 3, 8) it reads the GSM 03.38 DCS groups some SMSCs
    pass through unchanged (0x1x message class, 0xFx data coding/message class).
    """
    if data_coding == CODING_DEFAULT:
        return default_alphabet
    if data_coding == CODING_IA5:
        return "ascii"
    if data_coding == CODING_LATIN1:
        return "latin-1"
    if data_coding == CODING_UCS2:
        return "ucs2"
    group = data_coding & 0xF0
    if group in (0x00, 0x10, 0x20, 0x30) and data_coding & 0x10 and not data_coding & 0x20:
        # general coding with a message class, uncompressed: bits 3..2 name the alphabet
        return {0: "gsm", 2: "ucs2"}.get((data_coding >> 2) & 0x03)
    if group == 0xF0:
        return None if data_coding & 0x04 else "gsm"
    return None


def decode_text(payload: bytes, data_coding: int, default_alphabet: str = "gsm") -> DecodedText:
    """Text of a short_message (UDH already removed). Never raises on the payload."""
    if default_alphabet not in DEFAULT_ALPHABETS:
        raise ValueError(f"default_alphabet must be one of {DEFAULT_ALPHABETS}")
    payload = bytes(payload)
    alphabet = alphabet_for(data_coding, default_alphabet)
    if alphabet is None:
        return DecodedText("", data_coding, undecodable=True, raw_hex=payload.hex())
    text = _decode(payload, alphabet)
    flags = []
    replaced = alphabet == "ucs2" and not _valid_utf16(payload)
    if replaced:
        flags.append(INVALID_UTF16)
    if CONTROL_CHARS.search(text):
        flags.append(CONTROL_FLAG)
        if "\0" in text:
            text, replaced = text.replace("\0", REPLACEMENT), True
    return DecodedText(text, data_coding, raw_hex=payload.hex() if replaced else None,
                       flags=tuple(flags))


def _valid_utf16(payload: bytes) -> bool:
    try:
        payload.decode("utf-16-be")
    except UnicodeDecodeError:
        return False
    return True


#: the septets GSM 03.38 reads as the same ASCII character (letters, digits, most
#: punctuation; not @ $ _ [ ] { } and the like, nor the escape)
_SAME_AS_ASCII = bytes(b for b in range(0x80) if b != 0x1b and _GSM.decode(bytes([b]))[0] == chr(b))


def _decode(payload: bytes, alphabet: str) -> str:
    if alphabet == "gsm":
        if not payload.translate(None, _SAME_AS_ASCII):
            # Most SMS are only such septets: read in C, not character by character
            # (a property test holds this to the codec's answer).
            return payload.decode("ascii")
        # Octets above 0x7f are not septets; 'replace' keeps the rest readable.
        return _GSM.decode(payload, "replace")[0]
    if alphabet == "ucs2":
        # utf-16 reads surrogate pairs; a lone surrogate or an odd trailing octet becomes
        # U+FFFD (the caller flags it and keeps the bytes)
        return payload.decode("utf-16-be", "replace")
    if alphabet == "ascii":
        return payload.decode("ascii", "replace")
    return payload.decode("latin-1")


def _gsm_costs() -> dict[str, int]:
    # Asking the codec once per character of the BMP's first page and the extension
    # table is far cheaper than once per character of every reply (measured: the
    # per-character codec call was the reactor's largest cost under load).
    costs = {}
    for code in range(0x2500):
        char = chr(code)
        if char == "\x1b":
            continue
        try:
            costs[char] = len(_GSM.encode(char)[0])
        except UnicodeEncodeError:
            pass
    return costs


_GSM_COSTS = _gsm_costs()


def gsm_cost(char: str) -> int | None:
    """Septets `char` takes in the GSM default alphabet (1, or 2 for the extension
    table), None if it is not in it. ESC itself is never text."""
    return _GSM_COSTS.get(char)


def ucs2_cost(char: str) -> int:
    """UTF-16 code units of `char` (2 for a character outside the BMP, e.g. emoji)."""
    return 2 if ord(char) > 0xFFFF else 1


def fits_gsm(text: str) -> bool:
    return all(gsm_cost(c) is not None for c in text)


def encode_gsm(text: str) -> bytes:
    """Unpacked septets, as SMPP carries data_coding 0."""
    return _GSM.encode(text)[0]


def encode_ucs2(text: str) -> bytes:
    return text.encode("utf-16-be")


@dataclass(frozen=True)
class EncodedText:
    """A reply ready for submit_sm: one short_message per part (UDH included)."""

    data_coding: int
    esm_class: int
    parts: tuple[bytes, ...]


def split_text(text: str) -> tuple[int, list[str]]:
    """(data_coding, chunks): the alphabet for `text` and its segments as text."""
    if fits_gsm(text):
        coding, cost, single, part = CODING_DEFAULT, gsm_cost, GSM_SINGLE, GSM_PART
    else:
        coding, cost, single, part = CODING_UCS2, ucs2_cost, UCS2_SINGLE, UCS2_PART
    costs = [cost(c) for c in text]
    if sum(costs) <= single:
        return coding, [text]
    chunks: list[str] = []
    start, used = 0, 0
    for i, c in enumerate(costs):  # cut between characters, never inside one
        if used + c > part:
            chunks.append(text[start:i])
            start, used = i, 0
        used += c
    chunks.append(text[start:])
    if len(chunks) > MAX_PARTS:
        raise ValueError("text needs more than 255 segments")
    return coding, chunks


def concat_udh(reference: int, total: int, seqnum: int) -> bytes:
    """A 16-bit-reference concatenation UDH (IEI 0x08), length octet included."""
    return struct.pack(">BBBHBB", 6, 0x08, 4, reference & 0xFFFF, total, seqnum)


def encode_text(text: str, reference: int) -> EncodedText:
    """`text` as submit_sm short_messages; `reference` ties the parts of a long one."""
    coding, chunks = split_text(text)
    encode = encode_gsm if coding == CODING_DEFAULT else encode_ucs2
    if len(chunks) == 1:
        return EncodedText(coding, ESM_DEFAULT, (encode(chunks[0]),))
    total = len(chunks)
    parts = tuple(
        concat_udh(reference, total, n) + encode(chunk) for n, chunk in enumerate(chunks, 1)
    )
    return EncodedText(coding, ESM_UDHI, parts)


def encode_for_coding(text: str, data_coding: int) -> bytes:
    """`text` in a given data_coding (the simulator's MOs use Latin-1 too)."""
    if data_coding == CODING_DEFAULT:
        return encode_gsm(text)
    if data_coding == CODING_UCS2:
        return encode_ucs2(text)
    if data_coding == CODING_LATIN1:
        return text.encode("latin-1")
    if data_coding == CODING_IA5:
        return text.encode("ascii")
    raise ValueError(f"cannot encode text in data_coding {data_coding}")
