"""The fast codec: hot PDU bodies (pdu_layouts.py) read and written with `struct`.

Why: building smpplib `Command` objects (their __init__ sets every one of ~40
attributes, twice) cost more than everything else the SMPP framing does; the hot kinds
have fixed layouts that a few `struct` calls and `bytes.find` read directly.

`decode_body` gives exactly the `Pdu` the smpplib codec (codec.decode_with_smpplib)
gives for the same bytes — the same fields, types and unknown TLVs — and refuses
exactly the bytes it refuses, with the same `MalformedPdu` status: ESME_RINVMSGLEN for a
mandatory part that does not fit (a C-string without its NUL, integers or a
short_message past the end, a request that is a bare header), ESME_RINVOPTPARSTREAM
for a TLV header or value cut short. Over-long C-strings and sm_length 255 are read,
as there: a citizen's message is not refused over an SMSC's sloppiness.

`encode` writes smpplib's bytes for the same fields, except where smpplib breaks SMPP
3.4 (see pdu_layouts.py, and below), and refuses with `ValueError` what cannot be
written as given rather than writing something else:

- a C-string longer than its field (smpplib cuts it short: another number, for an
  address), or one holding a NUL (smpplib writes it, and every later field shifts);
- a short_message over 254 octets (SMPP 3.4: sm_length is 0 to 254; smpplib writes 255);
- a C-string TLV over its maximum (smpplib keeps one octet too many at exactly the
  maximum, cuts longer ones short), and it is written in Latin-1 like every other
  C-string: smpplib writes UTF-8 with the length in characters, a broken TLV stream;
- short_message together with message_payload (as smpplib).
"""
from __future__ import annotations

import struct
from typing import Any, Mapping

from gateway.channels.smpp.constants import ESME_RINVOPTPARSTREAM
from gateway.channels.smpp.pdu import HEADER, HEADER_LENGTH, MalformedPdu, Pdu
from gateway.channels.smpp.pdu_layouts import (
    CSTRING,
    INTS,
    TLV_CSTRING,
    TLV_FLAG,
    TLV_INT,
    TLV_OCTETS,
    TLV_SUBADDRESS,
    Layout,
    Step,
)

_TLV_HEADER = struct.Struct(">HH")
_MAX_TLV_VALUE = 0xFFFF


# -- decoding ------------------------------------------------------------------------------

def decode_body(layout: Layout, status: int, sequence: int, data: bytes) -> Pdu:
    """The `Pdu` of one whole PDU (`data`, header included, length already checked)."""
    fields = layout.empty_fields.copy()
    try:
        pos = _read_mandatory(layout, data, fields)
        unknown = _read_tlvs(layout, data, pos, fields)
    except _Refused as refused:
        raise MalformedPdu(layout.command_id, sequence, *refused.args) from None
    return Pdu(layout.command, layout.command_id, status, sequence, fields, unknown)


class _Refused(Exception):
    """(reason, status) of a body that does not parse."""


def _read_mandatory(layout: Layout, data: bytes, fields: dict) -> int:
    pos, end = HEADER_LENGTH, len(data)
    for step in layout.steps:
        if pos == end and layout.is_response:
            return pos   # error responses legitimately come without (the rest of) a body
        if step.kind == INTS:
            stop = pos + step.packer.size
            if stop > end:
                raise _Refused(f"{_first_missing(step, end - pos)} truncated")
            fields.update(zip(step.names, step.packer.unpack_from(data, pos)))
            pos = stop
        elif step.kind == CSTRING:
            nul = data.find(0, pos)
            if nul < 0:
                raise _Refused(f"{step.names[0]} has no NUL terminator")
            fields[step.names[0]] = data[pos:nul].decode("latin-1")
            pos = nul + 1
        else:   # OCTETS: an empty one at the very end is an empty SMS, not truncation
            stop = pos + fields[step.length_field]
            if stop > end:
                raise _Refused(f"{step.names[0]} longer than the body")
            fields[step.names[0]] = data[pos:stop]
            pos = stop
    return pos


def _first_missing(step: Step, available: int) -> str:
    """The first integer of `step` that the `available` octets do not hold."""
    for name, code in zip(step.names, step.packer.format[1:]):
        available -= struct.calcsize(code)
        if available < 0:
            return name
    return step.names[-1]


def _read_tlvs(layout: Layout, data: bytes, pos: int, fields: dict) -> tuple:
    end, unknown, by_tag = len(data), [], layout.tlvs_by_tag
    while pos < end:   # advances by >= 4 each turn
        if pos + 4 > end:
            raise _Refused("TLV header truncated", ESME_RINVOPTPARSTREAM)
        tag, length = _TLV_HEADER.unpack_from(data, pos)
        pos += 4
        if pos + length > end:
            raise _Refused(f"TLV 0x{tag:04x} truncated", ESME_RINVOPTPARSTREAM)
        value, pos = data[pos:pos + length], pos + length
        tlv = by_tag.get(tag)
        if tlv is None:
            unknown.append((tag, value))   # vendor's, or not this command's: kept aside
        else:
            fields[tlv.name] = _READERS[tlv.kind](value)
    return tuple(unknown)


def _read_cstring_tlv(value: bytes) -> str:
    # A NUL is stripped only if there is one: SMSCs often leave it out.
    return value.split(b"\0", 1)[0].decode("latin-1")


_READERS = {
    # integers are read at the length on the wire (SMSCs send some wider than the spec)
    TLV_INT: lambda value: int.from_bytes(value, "big"),
    TLV_CSTRING: _read_cstring_tlv,
    TLV_SUBADDRESS: _read_cstring_tlv,
    TLV_FLAG: lambda value: True,
    TLV_OCTETS: lambda value: value,
}


# -- encoding ------------------------------------------------------------------------------

def encode(layout: Layout, sequence: int, status: int, fields: Mapping[str, Any]) -> bytes:
    """The bytes of one PDU. Unknown field names raise `ValueError`, like smpplib's
    codec (typos would otherwise vanish silently)."""
    for name in fields:
        if name not in layout.empty_fields:
            raise ValueError(f"{layout.command} has no field {name!r}")
    if status and layout.bodiless_on_error:
        if any(fields.values()):
            raise ValueError(f"{layout.command} with command_status {status:#x} has no body")
        return HEADER.pack(HEADER_LENGTH, layout.command_id, status, sequence)
    body = _mandatory_bytes(layout, fields) + _tlv_bytes(layout, fields)
    return HEADER.pack(HEADER_LENGTH + len(body), layout.command_id, status, sequence) + body


def _mandatory_bytes(layout: Layout, fields: Mapping[str, Any]) -> bytes:
    values = fields
    if layout.sized is not None:   # sm_length is short_message's length, whatever was given
        message = _short_message(layout.sized, fields)
        values = {**fields, layout.sized.length_field: len(message), layout.sized.names[0]: message}
    parts, get = [], values.get
    for step in layout.steps:
        if step.kind == INTS:
            parts.append(step.packer.pack(*[get(name) or 0 for name in step.names]))
        elif step.kind == CSTRING:
            parts.append(_cstring(step.names[0], get(step.names[0]), step.limit))
        else:
            parts.append(values[step.names[0]])
    return b"".join(parts)


def _short_message(step: Step, fields: Mapping[str, Any]) -> bytes:
    name = step.names[0]
    message = _octets(name, fields.get(name))
    if len(message) > step.limit:
        raise ValueError(f"{name} is {len(message)} octets; at most {step.limit} fit")
    if message and fields.get("message_payload"):
        raise ValueError(f"`message_payload` can not be used with `{name}`")
    return message


def _octets(name: str, value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, str):
        return value.encode("latin-1")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{name} must be bytes or str, not {type(value).__name__}")


def _cstring(name: str, value: Any, limit: int) -> bytes:
    """`value` and its NUL, if it fits in `limit` octets (the NUL included)."""
    raw = _octets(name, value)
    if b"\0" in raw:
        raise ValueError(f"{name} holds a NUL: it cannot be a C-string")
    if len(raw) >= limit:
        raise ValueError(f"{name} is {len(raw)} octets; at most {limit - 1} fit")
    return raw + b"\0"


def _tlv_bytes(layout: Layout, fields: Mapping[str, Any]) -> bytes:
    found = []
    for name, value in fields.items():
        tlv = layout.tlvs_by_name.get(name)
        if tlv is None:
            continue
        if tlv.kind == TLV_INT:
            if value is not None:   # 0 is a value: written
                found.append((tlv.order, tlv.packer.pack(tlv.tag, tlv.packer.size - 4, value)))
        elif value:   # an empty string or a False flag is not written
            found.append((tlv.order, _TLV_HEADER.pack(tlv.tag, 0) if tlv.kind == TLV_FLAG
                          else _tlv_with_value(tlv.tag, _tlv_value(tlv, value))))
    found.sort()   # smpplib's order, so the bytes are the same as its bytes
    return b"".join(piece for _order, piece in found)


def _tlv_value(tlv, value: Any) -> bytes:
    if tlv.kind == TLV_CSTRING:
        return _cstring(tlv.name, value, tlv.limit)
    return _octets(tlv.name, value)   # TLV_OCTETS and TLV_SUBADDRESS: no NUL


def _tlv_with_value(tag: int, value: bytes) -> bytes:
    if len(value) > _MAX_TLV_VALUE:
        raise ValueError(f"TLV 0x{tag:04x} value of {len(value)} octets is over 65,535")
    return _TLV_HEADER.pack(tag, len(value)) + value
