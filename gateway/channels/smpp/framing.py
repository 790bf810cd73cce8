"""The Twisted protocol both ends of an SMPP link share: framing, sequence numbers,
request/response correlation with a window and timeouts, keep-alive, dispatch.

Why a base of our own: smpplib's Client is blocking. Here the stream is cut into PDUs
by `command_length`. A length below the 16-octet header cannot delimit anything: where
the next PDU starts is unknowable, so the stream is lost and the connection is dropped
(whoever owns it reconnects). A length above `max_pdu_length` still delimits its PDU:
that PDU alone is refused (ESME_RINVMSGLEN) and its body read and thrown away as it
arrives, never buffered, so the bind survives an SMSC's one absurd PDU.

Requests we send get a sequence number and a Deferred that fires with the response
`Pdu` (whatever its status; the caller decides what ESME_RTHROTTLED means) or fails
with `ResponseTimeout`. A timed out request is never resent here: resending is how
duplicates are made. At most `window` requests are outstanding; more wait their turn
in order.

Incoming requests go to `handle_<command>(pdu)`; the handler answers with
`respond(pdu, status, **fields)`, possibly later (after a database commit). An unknown
command gets generic_nack ESME_RINVCMDID; a known command whose body does not parse
gets its own _resp with the codec's permanent status (ESME_RINVMSGLEN for the body,
ESME_RINVOPTPARSTREAM for TLVs). ESME_RSYSERR is kept for our own faults: an exception
in a handler or in the decoder. Timers use `self.clock` (an IReactorTime), so tests
drive them with `twisted.internet.task.Clock`.
"""
from __future__ import annotations

import collections
import struct
from typing import Any

from twisted.internet import defer, error
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.internet.protocol import Protocol
from twisted.logger import Logger
from twisted.python.failure import Failure

from gateway.channels.smpp import codec
from gateway.channels.smpp.constants import (
    ESME_RINVCMDID,
    ESME_RINVMSGLEN,
    ESME_ROK,
    ESME_RSYSERR,
    command_name,
)

HEADER_LENGTH = codec.HEADER_LENGTH
MIN_PDU_LENGTH = HEADER_LENGTH
#: The longest mandatory body of the commands that carry text (submit_sm, deliver_sm):
#: C-strings at their maximum (service_type 6, two addresses of 21, two times of 17),
#: 12 one-octet integers and a 254-octet short_message.
MAX_MANDATORY_BODY = 6 + 21 + 21 + 17 + 17 + 12 + 254
#: The TLVs an SMSC adds beside the text (ports, SAR, receipt fields, vendor tags).
OTHER_TLVS_ALLOWANCE = 1024
#: A PDU carrying the largest message_payload SMPP 3.4 allows (65,535 octets, TLV header
#: 4) must fit; anything beyond cannot be an SMS.
MAX_PDU_LENGTH = HEADER_LENGTH + MAX_MANDATORY_BODY + 4 + 0xFFFF + OTHER_TLVS_ALLOWANCE
MAX_SEQUENCE = 0x7FFFFFFF


class ResponseTimeout(Exception):
    """No response arrived in time. The request may or may not have been executed."""

    def __init__(self, command: str, sequence: int):
        super().__init__(f"no response to {command} #{sequence}")
        self.command = command
        self.sequence = sequence


class _Outstanding:
    __slots__ = ("command", "sequence", "deferred", "timer")

    def __init__(self, command: str, sequence: int, deferred: defer.Deferred,
                 timer: IDelayedCall | None):
        self.command = command
        self.sequence = sequence
        self.deferred = deferred
        self.timer = timer


class SmppProtocol(Protocol):
    """One SMPP connection. Subclasses add `handle_<command>` methods and binding."""

    log = Logger()

    def __init__(self, clock: IReactorTime | None = None, window: int = 10,
                 response_timeout: float = 10.0, enquire_link_interval: float | None = 30.0,
                 inactivity_timeout: float | None = 120.0,
                 max_pdu_length: int = MAX_PDU_LENGTH):
        if clock is None:
            from twisted.internet import reactor as clock  # noqa: N813 (the default clock)
        self.clock = clock
        self.window = max(1, window)
        self.response_timeout = response_timeout
        self.enquire_link_interval = enquire_link_interval
        self.inactivity_timeout = inactivity_timeout
        self.max_pdu_length = max_pdu_length
        self._buffer = bytearray()
        self._discarding = 0   # octets of an over-long PDU still to read and throw away
        self._last_sequence = 0
        self._outstanding: dict[int, _Outstanding] = {}
        self._waiting: collections.deque = collections.deque()
        self._keepalive_call: IDelayedCall | None = None
        self._inactivity_call: IDelayedCall | None = None
        self._last_received = 0.0
        self.connected_now = False

    # -- connection lifecycle ------------------------------------------------------------

    def connectionMade(self) -> None:
        self.connected_now = True
        self._last_received = self.clock.seconds()
        if self.inactivity_timeout:
            self._inactivity_call = self.clock.callLater(self.inactivity_timeout, self._inactive)

    def connectionLost(self, reason: Failure = error.ConnectionDone()) -> None:
        self.connected_now = False
        for call in (self._keepalive_call, self._inactivity_call):
            if call is not None and call.active():
                call.cancel()
        self._keepalive_call = self._inactivity_call = None
        outstanding, self._outstanding = list(self._outstanding.values()), {}
        waiting, self._waiting = list(self._waiting), collections.deque()
        for item in outstanding:
            if item.timer is not None and item.timer.active():
                item.timer.cancel()
            item.deferred.errback(Failure(error.ConnectionLost(f"lost before {item.command}_resp")))
        for _command, _fields, deferred in waiting:
            deferred.errback(Failure(error.ConnectionLost("lost before sending")))

    def drop(self, why: str) -> None:
        """Close the connection at once (unflushed output is discarded)."""
        self.log.warn("dropping SMPP connection: {why}", why=why)
        self.connected_now = False   # stop reading buffered PDUs and writing
        if self.transport is not None:
            self.transport.abortConnection()

    # -- framing ---------------------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        if self._discarding:
            data = self._discard(data)
        self._buffer += data
        while self.connected_now and len(self._buffer) >= 4:  # each turn consumes a PDU
            (length,) = struct.unpack_from(">L", self._buffer)
            if length < MIN_PDU_LENGTH:
                self._buffer.clear()
                self.drop(f"impossible command_length {length}")
                return
            if length > self.max_pdu_length:
                if len(self._buffer) < HEADER_LENGTH:
                    return   # its header says whom to refuse
                self._over_long(length)
                continue
            if len(self._buffer) < length:
                return
            frame = bytes(self._buffer[:length])
            del self._buffer[:length]
            self._frame_received(frame)

    def _discard(self, data: bytes) -> bytes:
        """What follows the over-long PDU being skipped, once its body is consumed."""
        skipped = min(self._discarding, len(data))
        self._discarding -= skipped
        return data[skipped:]

    def _over_long(self, length: int) -> None:
        """Refuse one PDU longer than `max_pdu_length` and skip its body unbuffered."""
        _length, command_id, _status, sequence = codec.HEADER.unpack_from(self._buffer)
        rest = bytes(self._buffer[HEADER_LENGTH:])
        self._buffer.clear()
        self._discarding = length - HEADER_LENGTH
        self._buffer += self._discard(rest)
        self._mark_received()
        reason = f"command_length {length} is over the limit of {self.max_pdu_length}"
        self._malformed(codec.MalformedPdu(command_id, sequence, reason, ESME_RINVMSGLEN))

    def _mark_received(self) -> None:
        self._last_received = self.clock.seconds()
        if self._inactivity_call is not None and self._inactivity_call.active():
            self._inactivity_call.reset(self.inactivity_timeout)

    def _frame_received(self, frame: bytes) -> None:
        self._mark_received()
        try:
            pdu = codec.decode(frame)
        except codec.UnknownCommand as exc:
            self._unknown_command(exc)
            return
        except codec.MalformedPdu as exc:
            self._malformed(exc)
            return
        except Exception:   # a bug of ours, not the peer's: say so, keep the bind
            self.log.failure("could not decode a PDU")
            _length, command_id, _status, sequence = codec.HEADER.unpack_from(frame)
            self._refuse(codec.CodecError(command_id, sequence, "decoder failed", ESME_RSYSERR))
            return
        if pdu.is_response:
            self._response_received(pdu)
        else:
            self._request_received(pdu)

    def _unknown_command(self, exc: codec.UnknownCommand) -> None:
        self.log.warn("unknown SMPP command id 0x{cid:08x}", cid=exc.command_id)
        if exc.is_request:
            self.send_pdu("generic_nack", exc.sequence, ESME_RINVCMDID)
        else:
            self._fail_outstanding(exc.sequence, exc)

    def _malformed(self, exc: codec.MalformedPdu) -> None:
        name = command_name(exc.command_id) if exc.command_id is not None else None
        self.log.warn("malformed SMPP {name}: {reason}", name=name or "PDU", reason=exc.reason)
        self._refuse(exc)

    def _refuse(self, exc: codec.CodecError) -> None:
        """Answer a request that could not be decoded with `exc.status` (its own _resp
        when the command is known, else generic_nack); a response fails its request."""
        if not exc.is_request:
            self._fail_outstanding(exc.sequence, exc)
            return
        name = command_name(exc.command_id)
        if name is not None and codec.has_response(name) and codec.supports(codec.response_name(name)):
            self.send_pdu(codec.response_name(name), exc.sequence, exc.status)
        else:
            self.send_pdu("generic_nack", exc.sequence, exc.status)

    # -- sending ---------------------------------------------------------------------------

    def send_pdu(self, command: str, sequence: int, status: int = ESME_ROK, **fields: Any) -> None:
        """Write one PDU now (responses, and requests that bypass the window)."""
        if self.transport is not None and self.connected_now:
            self.transport.write(codec.encode(command, sequence, status, **fields))

    def respond(self, request: codec.Pdu, status: int = ESME_ROK, **fields: Any) -> None:
        """Answer `request` with its _resp (same sequence number)."""
        self.send_pdu(codec.response_name(request.command), request.sequence, status, **fields)

    def send_request(self, command: str, **fields: Any) -> defer.Deferred:
        """Send a request within the window; fires with the response `Pdu` (check its
        `status`; a `generic_nack` can be the answer too), fails with `ResponseTimeout`,
        `MalformedPdu` or `ConnectionLost`.

        The Deferred fires synchronously while the response is being read, before the
        next PDU is decoded: a callback that records submit_sm_resp's message id has
        done so before a receipt right behind it is dispatched."""
        deferred: defer.Deferred = defer.Deferred()
        if not self.connected_now:
            deferred.errback(Failure(error.NotConnectingError("SMPP connection is not up")))
        elif len(self._outstanding) < self.window and not self._waiting:
            self._transmit(command, fields, deferred)
        else:
            self._waiting.append((command, fields, deferred))
        return deferred

    @property
    def outstanding(self) -> int:
        return len(self._outstanding)

    @property
    def queued(self) -> int:
        return len(self._waiting)

    def next_sequence(self) -> int:
        """1..0x7FFFFFFF, wrapping, skipping numbers still awaiting a response."""
        for _ in range(len(self._outstanding) + 1):   # bounded: one free number exists
            self._last_sequence = self._last_sequence % MAX_SEQUENCE + 1
            if self._last_sequence not in self._outstanding:
                break
        return self._last_sequence

    def _transmit(self, command: str, fields: dict, deferred: defer.Deferred) -> None:
        sequence = self.next_sequence()
        try:
            data = codec.encode(command, sequence, ESME_ROK, **fields)
        except Exception:   # a bad request must fail its caller, not the connection
            deferred.errback(Failure())
            return
        timer = None
        if self.response_timeout:
            timer = self.clock.callLater(self.response_timeout, self._timed_out, sequence)
        self._outstanding[sequence] = _Outstanding(command, sequence, deferred, timer)
        self.transport.write(data)

    def _pump(self) -> None:
        while self._waiting and len(self._outstanding) < self.window and self.connected_now:
            command, fields, deferred = self._waiting.popleft()
            self._transmit(command, fields, deferred)

    def _take_outstanding(self, sequence: int | None) -> _Outstanding | None:
        item = self._outstanding.pop(sequence, None) if sequence is not None else None
        if item is not None and item.timer is not None and item.timer.active():
            item.timer.cancel()
        return item

    def _timed_out(self, sequence: int) -> None:
        item = self._outstanding.pop(sequence, None)
        if item is None:
            return
        self.log.warn("no response to {command} #{seq}", command=item.command, seq=sequence)
        item.timer = None
        self._pump()
        item.deferred.errback(Failure(ResponseTimeout(item.command, sequence)))

    def _fail_outstanding(self, sequence: int | None, exc: Exception) -> None:
        item = self._take_outstanding(sequence)
        if item is not None:
            self._pump()
            item.deferred.errback(Failure(exc))

    def _response_received(self, pdu: codec.Pdu) -> None:
        item = self._take_outstanding(pdu.sequence)
        if item is None:
            self.log.info("late or unexpected {command} #{seq}", command=pdu.command,
                          seq=pdu.sequence)
            return
        self._pump()
        item.deferred.callback(pdu)

    # -- incoming requests -----------------------------------------------------------------

    def _request_received(self, pdu: codec.Pdu) -> None:
        handler = getattr(self, "handle_" + pdu.command, None)
        if handler is None:
            self.unhandled_request(pdu)
            return
        try:
            result = handler(pdu)
        except Exception:
            self.log.failure("handler for {command} failed", command=pdu.command)
            self.respond(pdu, ESME_RSYSERR)
            return
        if isinstance(result, defer.Deferred):
            result.addErrback(self._handler_failed, pdu)

    def _handler_failed(self, failure: Failure, pdu: codec.Pdu) -> None:
        # Handlers that fail asynchronously must not have answered already.
        self.log.failure("handler for {command} failed", failure, command=pdu.command)
        self.respond(pdu, ESME_RSYSERR)

    def unhandled_request(self, pdu: codec.Pdu) -> None:
        """A known request this side does not serve: generic_nack ESME_RINVCMDID."""
        self.send_pdu("generic_nack", pdu.sequence, ESME_RINVCMDID)

    def handle_enquire_link(self, pdu: codec.Pdu) -> None:
        self.respond(pdu)

    # -- keep-alive and inactivity ---------------------------------------------------------

    def start_keepalive(self) -> None:
        """Send enquire_link after `enquire_link_interval` of silence (call once bound).
        An unanswered enquire_link means the link is dead: the connection is dropped."""
        if self.enquire_link_interval and self._keepalive_call is None:
            self._keepalive_call = self.clock.callLater(self.enquire_link_interval, self._keepalive)

    def _keepalive(self) -> None:
        self._keepalive_call = None
        if not self.connected_now:
            return
        idle = self.clock.seconds() - self._last_received
        delay = self.enquire_link_interval - idle
        if delay <= 0:
            self.enquire_link().addErrback(self._link_dead)
            delay = self.enquire_link_interval
        self._keepalive_call = self.clock.callLater(delay, self._keepalive)

    def enquire_link(self) -> defer.Deferred:
        """An enquire_link outside the window, so a full window cannot starve it."""
        deferred: defer.Deferred = defer.Deferred()
        self._transmit("enquire_link", {}, deferred)
        return deferred

    def _link_dead(self, failure: Failure) -> None:
        if failure.check(ResponseTimeout):
            self.drop("enquire_link unanswered")
        elif not failure.check(error.ConnectionLost, error.ConnectionDone):
            self.log.failure("enquire_link failed", failure)

    def _inactive(self) -> None:
        self._inactivity_call = None
        self.drop(f"nothing received for {self.inactivity_timeout} s")
