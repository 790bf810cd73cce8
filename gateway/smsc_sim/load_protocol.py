"""One ESME connected to the load-mode SMSC: framing by a struct header read, a
dispatch on command_id, and one write per read carrying every answer and every
deliver_sm the window has room for.

Why its own protocol (not `SmscProtocol`): the shared framing decodes every PDU into
smpplib objects and gives each request a Deferred and a timer, some 0.1 ms a PDU; here
a deliver_sm_resp costs a header unpack and a dict pop. Binds are rare and still go
through the codec (smpplib), so what an ESME may bind with is checked as the
ordinary simulator checks it.
"""
from __future__ import annotations

import collections
import time

from twisted.internet.protocol import Protocol
from twisted.python.failure import Failure

from gateway.channels.smpp import codec
from gateway.channels.smpp.constants import (
    ESME_RALYBND,
    ESME_RINVBNDSTS,
    ESME_RINVCMDID,
    ESME_RINVMSGLEN,
    ESME_ROK,
)
from gateway.smsc_sim import fastpdu
from gateway.smsc_sim.protocol import SMSC_SYSTEM_ID

#: Nothing this SMSC reads is longer: a submit_sm with its largest message_payload.
MAX_PDU_LENGTH = 70_000
_HEADER = fastpdu.HEADER


class LoadConnection(Protocol):
    """One connection. `outstanding` maps a deliver_sm's sequence number to
    (MO number or -1, clock time written, receipt bytes or None, part of the MO);
    `assigned` holds (MO number, part) dealt to it that wait for room in its window;
    `number` tells connections apart (1 for the first accepted, then 2, …) and `acked`
    counts the deliver_sm it acknowledged."""

    def __init__(self, smsc):
        # smsc: the LoadSmsc (gateway/smsc_sim/load.py), untyped here so that the two
        # modules do not import each other
        self.smsc = smsc
        self.bound_as: str | None = None
        self.outstanding: dict[int, tuple] = {}
        self.assigned: collections.deque = collections.deque()
        self.number = 0
        self.acked = 0
        self._rest = b""
        self._sequence = 0
        self._close_after_write = False   # an unbind, or a refused bind: answer, then close
        self.open = False

    @property
    def receives(self) -> bool:
        return self.bound_as in ("transceiver", "receiver")

    def connectionMade(self) -> None:
        self.open = True
        self.smsc.connections.append(self)

    def connectionLost(self, reason: Failure = None) -> None:
        self.open = False
        self.bound_as = None
        self.smsc.connection_lost(self)

    def next_sequence(self) -> int:
        self._sequence = self._sequence % 0x7FFFFFFF + 1
        return self._sequence

    # -- reading ---------------------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        if self._rest:
            data = self._rest + data
        now = time.perf_counter()
        smsc, outstanding, out = self.smsc, self.outstanding, []
        stats = smsc.stats
        unpack, pos, end, acked = _HEADER.unpack_from, 0, len(data), 0
        while end - pos >= 16:
            length, command_id, status, sequence = unpack(data, pos)
            if length < 16 or length > MAX_PDU_LENGTH:
                stats.errors += 1
                self.transport.abortConnection()   # the stream cannot be cut any more
                return
            if end - pos < length:
                break
            if command_id == fastpdu.DELIVER_SM_RESP or command_id == fastpdu.GENERIC_NACK:
                entry = outstanding.pop(sequence, None)
                if entry is not None:
                    if status == ESME_ROK and command_id == fastpdu.DELIVER_SM_RESP:
                        acked += 1
                        if entry[2] is None:
                            stats.mo_acknowledged(entry[0], entry[1], now, entry[3])
                        else:
                            stats.receipt_acknowledged(entry[0], now)
                    else:
                        smsc.refused(entry)
            elif command_id == fastpdu.SUBMIT_SM:
                out.append(self._submit(data, pos, length, sequence))
            else:
                self._other(data[pos:pos + length], command_id, sequence, out)
            pos += length
        self._rest = data[pos:]
        self.acked += acked
        if self.open:
            smsc.fill(self, out)
            if out:
                self.transport.write(b"".join(out))
            if self._close_after_write:
                self.transport.loseConnection()   # once what was written is sent
        smsc.check_done()

    def _submit(self, data: bytes, pos: int, length: int, sequence: int) -> bytes:
        if self.bound_as not in ("transceiver", "transmitter"):
            return fastpdu.with_message_id(fastpdu.SUBMIT_SM_RESP, sequence, "", ESME_RINVBNDSTS)
        try:
            fields = fastpdu.parse_submit_sm(data, pos + 16, pos + length)
        except ValueError:
            self.smsc.stats.errors += 1
            return fastpdu.with_message_id(fastpdu.SUBMIT_SM_RESP, sequence, "", ESME_RINVMSGLEN)
        return fastpdu.with_message_id(fastpdu.SUBMIT_SM_RESP, sequence,
                                       self.smsc.accept_submit(*fields))

    def _other(self, frame: bytes, command_id: int, sequence: int, out: list) -> None:
        """Everything but the hot three: binds, enquire_link, unbind, the unknown."""
        if command_id == fastpdu.ENQUIRE_LINK:
            out.append(fastpdu.header_only(fastpdu.ENQUIRE_LINK_RESP, sequence))
        elif command_id in fastpdu.BIND_COMMANDS:
            out.append(self._bind(frame, fastpdu.BIND_COMMANDS[command_id]))
        elif command_id == fastpdu.UNBIND:
            out.append(fastpdu.header_only(fastpdu.UNBIND_RESP, sequence))
            self.bound_as = None
            self._close_after_write = True
        elif command_id & 0x80000000:
            pass                                # an answer we did not ask for (enquire_link_resp)
        else:
            out.append(fastpdu.header_only(fastpdu.GENERIC_NACK, sequence, ESME_RINVCMDID))

    def _bind(self, frame: bytes, mode: str) -> bytes:
        try:
            pdu = codec.decode(frame)
        except codec.CodecError as exc:
            self.smsc.stats.errors += 1
            return codec.encode("generic_nack", exc.sequence or 0, exc.status)
        answer = codec.response_name(pdu.command)
        if self.bound_as:
            return codec.encode(answer, pdu.sequence, ESME_RALYBND)
        status = self.smsc.check_bind(pdu.system_id or "", pdu.password or "")
        if status != ESME_ROK:
            self._close_after_write = True
            return codec.encode(answer, pdu.sequence, status)
        self.bound_as = mode
        self.smsc.bound(self)
        return codec.encode(answer, pdu.sequence, ESME_ROK, system_id=SMSC_SYSTEM_ID)
