"""PDU bytes <-> `Pdu` records: `decode` and `encode`, what the framing calls.

The hot kinds (deliver_sm, submit_sm, enquire_link and their responses: every SMS
costs them) go through the fast fixed-layout codec, fast_pdus.py; every other kind
through smpplib's command tables, here. `decode_with_smpplib` and `encode_with_smpplib`
take the smpplib path for any kind: the reference the fast codec is tested against
(tests/smpp/test_fast_codec.py), and the benchmarks' baseline.

smpplib knows every SMPP 3.4 command's fields, but its parser has traps that lose or
garble messages (docs/architecture.md, and the traps listed below). This module keeps
smpplib's tables and generator and replaces the parsing edge cases:

- `parse_pdu` wants a client object and consumes a sequence number from it: we build
  commands with a throwaway client and take the sequence from the header;
- `make_pdu(sequence=...)` is ignored: `encode` sets `.sequence` after construction;
- an unknown command id or a TLV unknown to the command raises `KeyError` /
  `UnknownCommandError` deep inside: we raise `UnknownCommand` / `MalformedPdu`,
  carrying command id and sequence so the caller can answer generic_nack or an error
  response, and vendor/unknown TLVs are skipped (kept in `Pdu.unknown_tlvs`);
- C-strings come out of smpplib as bytes but must go in as str: `Pdu` carries str
  (Latin-1, lossless) and `encode` accepts either;
- a string TLV sent without its NUL (common for `receipted_message_id`) lost its last
  character: we strip a NUL only if there is one;
- integer TLVs were read with the size smpplib declares, not the length on the wire,
  which misaligns every TLV after one an SMSC sends wider: we read the wire length;
- a truncated body (C-string without NUL, octet string past the end) was accepted as
  garbage, and a request that is a bare header was not parsed at all: both are
  `MalformedPdu` now; an empty short_message at the very end of the body (sm_length 0,
  no TLVs: an empty SMS) is not truncation and parses;
- every `CodecError` carries the command_status to answer: ESME_RINVMSGLEN for a body
  that does not fit its command, ESME_RINVOPTPARSTREAM for a broken TLV,
  ESME_RINVCMDID for an unknown command. These are permanent: the same bytes sent
  again fail the same way, so the SMSC must not be told to repeat them.
"""
from __future__ import annotations

import struct
from typing import Any

from smpplib import command as smpp_command
from smpplib import consts as smpp_consts
from smpplib import exceptions as smpp_exceptions
from smpplib.ptypes import flag, ostr

from gateway.channels.smpp import fast_pdus
from gateway.channels.smpp.constants import COMMAND_IDS, ESME_RINVOPTPARSTREAM, command_name
from gateway.channels.smpp.pdu import (  # noqa: F401 (re-exported: the channel's names)
    HEADER,
    HEADER_LENGTH,
    CodecError,
    MalformedPdu,
    Pdu,
    UnknownCommand,
)
from gateway.channels.smpp.pdu_layouts import LAYOUTS, LAYOUTS_BY_NAME

_TLV_NAMES: dict[int, str] = {v: k for k, v in smpp_consts.OPTIONAL_PARAMS.items()}


class _ThrowawayClient:
    """What smpplib's commands want as `client`: a sequence source nobody uses."""

    sequence = 0

    def next_sequence(self) -> int:
        return 0


class _Truncated(ValueError):
    """The mandatory body does not fit its command: ESME_RINVMSGLEN."""


class _BadTlv(ValueError):
    """The optional parameters do not parse: ESME_RINVOPTPARSTREAM."""


class _StrictParsing:
    """Mixed into smpplib's command classes: bounds-checked parsing of the body."""

    unknown_tlvs: list

    def parse(self, data: bytes) -> None:
        # smpplib skips the body when the PDU is a bare header, which let a deliver_sm
        # without any of its mandatory fields through as an all-None message.
        super().parse(data)
        if len(data) == HEADER_LENGTH:
            self.parse_params(b"")

    def parse_params(self, data: bytes) -> None:
        pos = 0
        for name in self.params_order:
            if self.field_is_optional(name):
                break
            if pos == len(data) and self.is_response():
                return   # error responses legitimately come without (the rest of) a body
            # Requests: a missing integer or C-string raises below; an octet string of
            # length 0 at the very end is an empty short_message, not a truncated body.
            pos = self._parse_mandatory(name, data, pos)
        self.parse_optional_params(data[pos:])

    def _parse_mandatory(self, name: str, data: bytes, pos: int) -> int:
        param = self.params[name]
        if param.type is int:
            end = pos + param.size
            if end > len(data):
                raise _Truncated(f"{name} truncated")
            setattr(self, name, int.from_bytes(data[pos:end], "big"))
            return end
        if param.type is str:
            end = data.find(b"\0", pos)
            if end < 0:
                raise _Truncated(f"{name} has no NUL terminator")
            setattr(self, name, data[pos:end].decode("latin-1"))
            return end + 1
        # octet string sized by an earlier field (sm_length)
        length = int(getattr(self, param.len_field) or 0)
        if pos + length > len(data):
            raise _Truncated(f"{name} longer than the body")
        setattr(self, name, bytes(data[pos:pos + length]))
        return pos + length

    def parse_optional_params(self, data: bytes) -> None:
        pos = 0
        while pos < len(data):  # advances by >= 4 each turn
            if pos + 4 > len(data):
                raise _BadTlv("TLV header truncated")
            tag, length = struct.unpack_from(">HH", data, pos)
            pos += 4
            value = bytes(data[pos:pos + length])
            if len(value) < length:
                raise _BadTlv(f"TLV 0x{tag:04x} truncated")
            pos += length
            name = _TLV_NAMES.get(tag)
            if name is None or name not in self.params:
                self.unknown_tlvs.append((tag, value))  # vendor or foreign: ignored
                continue
            setattr(self, name, _tlv_value(self.params[name].type, value))


def _tlv_value(kind: type, value: bytes) -> Any:
    if kind is int:
        return int.from_bytes(value, "big") if value else 0
    if kind is str:
        return value.split(b"\0", 1)[0].decode("latin-1")
    if kind is flag:
        return True
    return value


_CLASSES: dict[str, type] = {}


def _command_class(name: str) -> type:
    """smpplib's class for `name`, with strict parsing mixed in (cached)."""
    cls = _CLASSES.get(name)
    if cls is None:
        base = type(smpp_command.factory(name, client=_ThrowawayClient()))
        cls = type("Strict" + base.__name__, (_StrictParsing, base), {})
        _CLASSES[name] = cls
    return cls


def supports(name: str) -> bool:
    try:
        _command_class(name)
    except smpp_exceptions.UnknownCommandError:
        return False
    return True


def field_names(name: str) -> tuple[str, ...]:
    return tuple(_command_class(name).params_order)


def encode(command: str, sequence: int, status: int = 0, **fields: Any) -> bytes:
    """The bytes of one PDU. Unknown field names raise `ValueError` (typos would
    otherwise vanish silently), and so do values that do not fit (fast_pdus.py)."""
    layout = LAYOUTS_BY_NAME.get(command)
    if layout is not None:
        return fast_pdus.encode(layout, sequence, status, fields)
    return encode_with_smpplib(command, sequence, status, **fields)


def encode_with_smpplib(command: str, sequence: int, status: int = 0, **fields: Any) -> bytes:
    """`encode` by smpplib, whatever the kind."""
    cls = _command_class(command)
    pdu = cls(command, client=_ThrowawayClient())
    for name, value in fields.items():
        if name not in cls.params:
            raise ValueError(f"{command} has no field {name!r}")
        setattr(pdu, name, _for_smpplib(cls.params[name].type, value))
    pdu.sequence = sequence  # the constructor's sequence= is ignored by smpplib
    pdu.status = status
    return pdu.generate()


def _for_smpplib(kind: type, value: Any) -> Any:
    # smpplib generates C-strings from str (bytes would raise TypeError).
    if kind is str and isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    if kind is ostr and isinstance(value, str):
        return value.encode("latin-1")
    return value


def decode(data: bytes) -> Pdu:
    """One whole PDU (header included) as a `Pdu`; raises `UnknownCommand` or
    `MalformedPdu` with the header's command id and sequence."""
    data = data if type(data) is bytes else bytes(data)
    name, command_id, status, sequence = _header(data)
    layout = LAYOUTS.get(command_id)
    if layout is not None:
        return fast_pdus.decode_body(layout, status, sequence, data)
    return _decode_body_with_smpplib(data, name, command_id, status, sequence)


def decode_with_smpplib(data: bytes) -> Pdu:
    """`decode` by smpplib, whatever the kind."""
    return _decode_body_with_smpplib(bytes(data), *_header(data))


def _header(data: bytes) -> tuple[str, int, int, int]:
    """(name, command_id, status, sequence) of a PDU whose command we can decode and
    whose command_length is the length of `data`."""
    if len(data) < HEADER_LENGTH:
        raise MalformedPdu(None, None, "shorter than a PDU header")
    length, command_id, status, sequence = HEADER.unpack_from(data)
    name = command_name(command_id)
    if name is None or not supports(name):
        raise UnknownCommand(command_id, sequence)
    if length != len(data):
        raise MalformedPdu(command_id, sequence, "command_length disagrees with the data")
    return name, command_id, status, sequence


def _decode_body_with_smpplib(data: bytes, name: str, command_id: int, status: int,
                              sequence: int) -> Pdu:
    cls = _command_class(name)
    pdu = cls(name, client=_ThrowawayClient(), allow_unknown_opt_params=True)
    pdu.unknown_tlvs = []
    try:
        pdu.parse(data)
    except _BadTlv as exc:
        raise MalformedPdu(command_id, sequence, str(exc), ESME_RINVOPTPARSTREAM) from exc
    except (_Truncated, struct.error, KeyError, ValueError, IndexError,
            smpp_exceptions.UnknownCommandError) as exc:
        # smpplib's own complaints are about the body's shape too; anything else
        # (a bug of ours) propagates, and the framing answers ESME_RSYSERR.
        raise MalformedPdu(command_id, sequence, str(exc)) from exc
    values = {p: getattr(pdu, p, None) for p in cls.params_order}
    return Pdu(name, command_id, status, sequence, values, tuple(pdu.unknown_tlvs))


def response_name(command: str) -> str:
    return command + "_resp"


def has_response(command: str) -> bool:
    return response_name(command) in COMMAND_IDS
