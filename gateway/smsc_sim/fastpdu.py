"""Hand-written SMPP 3.4 bytes for the simulator's load mode: the few PDUs it writes
(deliver_sm, submit_sm_resp, header-only answers) and the one body it reads
(submit_sm), with `struct` and slicing instead of smpplib objects.

Why: building or parsing one PDU through smpplib costs about 0.1 ms of Python, which
caps a generator near a few thousand PDUs a second; the load mode must be far faster
than anything it measures. The encoder produces the same bytes smpplib does for the
same fields (tests/smpp/test_sim_load_pdus.py keeps them equal), so what is fast here
is also what the rest of the package would have sent.
"""
from __future__ import annotations

import struct

HEADER = struct.Struct(">LLLL")
HEADER_LENGTH = 16
SEQUENCE_OFFSET = 12          # where a PDU's sequence_number sits

GENERIC_NACK = 0x80000000
BIND_RECEIVER = 0x00000001
BIND_TRANSMITTER = 0x00000002
SUBMIT_SM = 0x00000004
SUBMIT_SM_RESP = 0x80000004
DELIVER_SM = 0x00000005
DELIVER_SM_RESP = 0x80000005
UNBIND = 0x00000006
UNBIND_RESP = 0x80000006
BIND_TRANSCEIVER = 0x00000009
ENQUIRE_LINK = 0x00000015
ENQUIRE_LINK_RESP = 0x80000015
BIND_COMMANDS = {BIND_RECEIVER: "receiver", BIND_TRANSMITTER: "transmitter",
                 BIND_TRANSCEIVER: "transceiver"}

TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_STATE = 0x0427

_TLV_HEAD = struct.Struct(">HH")
_ONE_OCTET_TLV = struct.Struct(">HHB")


def cstring(value: str | bytes) -> bytes:
    """A C-Octet String: the text (Latin-1) and its NUL."""
    raw = value.encode("latin-1") if isinstance(value, str) else bytes(value)
    return raw + b"\0"


def header_only(command_id: int, sequence: int, status: int = 0) -> bytes:
    """A PDU without a body (enquire_link_resp, unbind_resp, generic_nack)."""
    return HEADER.pack(HEADER_LENGTH, command_id, status, sequence)


def with_message_id(command_id: int, sequence: int, message_id: str, status: int = 0) -> bytes:
    """submit_sm_resp / deliver_sm_resp: the header and a message_id C-string."""
    body = cstring(message_id)
    return HEADER.pack(HEADER_LENGTH + len(body), command_id, status, sequence) + body


def deliver_sm(sequence: int, *, source_addr: str, destination_addr: str,
               short_message: bytes, source_addr_ton: int = 0, source_addr_npi: int = 0,
               dest_addr_ton: int = 0, dest_addr_npi: int = 0, esm_class: int = 0,
               data_coding: int = 0, message_state: int | None = None,
               receipted_message_id: str | None = None) -> bytes:
    """One deliver_sm: the mandatory fields in SMPP 3.4 order (service_type, times and
    flags empty or 0) and, for a receipt, its two TLVs (in smpplib's order)."""
    body = b"".join((
        b"\0", bytes((source_addr_ton, source_addr_npi)), cstring(source_addr),
        bytes((dest_addr_ton, dest_addr_npi)), cstring(destination_addr),
        bytes((esm_class, 0, 0)), b"\0\0",          # protocol_id, priority; two empty times
        bytes((0, 0, data_coding, 0, len(short_message))), short_message))
    if message_state is not None:
        body += _ONE_OCTET_TLV.pack(TLV_MESSAGE_STATE, 1, message_state)
    if receipted_message_id is not None:
        value = cstring(receipted_message_id)
        body += _TLV_HEAD.pack(TLV_RECEIPTED_MESSAGE_ID, len(value)) + value
    return HEADER.pack(HEADER_LENGTH + len(body), DELIVER_SM, 0, sequence) + body


def patch_sequence(pdu: bytearray, sequence: int) -> None:
    """Write `sequence` into a pre-encoded PDU in place."""
    struct.pack_into(">L", pdu, SEQUENCE_OFFSET, sequence)


def _skip_cstring(data: bytes, pos: int, end: int) -> int:
    nul = data.find(b"\0", pos, end)
    if nul < 0:
        raise ValueError("C-string without NUL")
    return nul + 1


def _cstring_at(data: bytes, pos: int, end: int) -> tuple[str, int]:
    nul = data.find(b"\0", pos, end)
    if nul < 0:
        raise ValueError("C-string without NUL")
    return data[pos:nul].decode("latin-1"), nul + 1


def parse_submit_sm(data: bytes, start: int, end: int) -> tuple[str, str, int, int, int, bytes]:
    """(source_addr, destination_addr, esm_class, registered_delivery, data_coding,
    short_message) of the submit_sm whose body is data[start:end]; ValueError when it
    is truncated. A reply in message_payload instead of short_message reads as b""."""
    pos = _skip_cstring(data, start, end)                   # service_type
    source, pos = _cstring_at(data, pos + 2, end)           # after source ton, npi
    destination, pos = _cstring_at(data, pos + 2, end)      # after dest ton, npi
    if pos + 3 > end:
        raise ValueError("submit_sm truncated after destination_addr")
    esm_class = data[pos]
    pos = _skip_cstring(data, pos + 3, end)        # esm_class, protocol_id, priority_flag
    pos = _skip_cstring(data, pos, end)            # schedule_delivery_time, validity_period
    if pos + 5 > end:
        raise ValueError("submit_sm truncated before sm_length")
    registered_delivery, data_coding, length = data[pos], data[pos + 2], data[pos + 4]
    if pos + 5 + length > end:
        raise ValueError("short_message longer than the body")
    return (source, destination, esm_class, registered_delivery, data_coding,
            data[pos + 5:pos + 5 + length])
