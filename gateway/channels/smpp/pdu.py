"""The decoded PDU (`Pdu`) and the errors a codec raises for bytes it cannot decode.

Shared by both codecs behind `codec.decode`/`codec.encode` — the fast fixed-layout one
for the hot PDU kinds (fast_pdus.py) and the smpplib one for the rest (codec.py) — so
the rest of the channel gets the same record and the same errors from either. It
imports neither codec: both import it.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any, Mapping

from gateway.channels.smpp.constants import (
    ESME_RINVCMDID,
    ESME_RINVMSGLEN,
    RESPONSE_BIT,
)

HEADER = struct.Struct(">LLLL")
HEADER_LENGTH = 16


class CodecError(Exception):
    """A PDU that cannot be turned into a `Pdu`; says what to answer with."""

    def __init__(self, command_id: int | None, sequence: int | None, reason: str,
                 status: int = ESME_RINVMSGLEN):
        super().__init__(reason)
        self.command_id = command_id
        self.sequence = sequence
        self.reason = reason
        self.status = status   # the command_status to answer a request with

    @property
    def is_request(self) -> bool:
        return self.command_id is not None and not self.command_id & RESPONSE_BIT


class UnknownCommand(CodecError):
    """A command id we do not know (or smpplib cannot build): answer generic_nack."""

    def __init__(self, command_id: int, sequence: int):
        super().__init__(command_id, sequence, f"unknown command id 0x{command_id:08x}",
                         ESME_RINVCMDID)


class MalformedPdu(CodecError):
    """A known command whose bytes do not parse: answer its _resp with an error."""


@dataclass(frozen=True)
class Pdu:
    """One decoded PDU. `fields` holds every field the command defines (None when
    absent): C-strings as str, octet strings as bytes, integers as int."""

    command: str
    command_id: int
    status: int
    sequence: int
    fields: Mapping[str, Any] = field(default_factory=dict)
    unknown_tlvs: tuple[tuple[int, bytes], ...] = ()

    @property
    def is_response(self) -> bool:
        return bool(self.command_id & RESPONSE_BIT)

    def get(self, name: str, default: Any = None) -> Any:
        value = self.fields.get(name)
        return default if value is None else value

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not dataclass attributes.
        fields = self.__dict__.get("fields", {})
        if name in fields:
            return fields[name]
        raise AttributeError(name)
