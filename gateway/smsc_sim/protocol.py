"""The bundled SMSC's side of one connection: bind checks, submit_sm, unbind, and the
fault modes that act per connection (drop after N PDUs, delayed answers, silence, a
submit taken without its answer).

The simulator (`SmscSimulator`) owns what outlives a connection: the MO queue, the
records of what was submitted and acknowledged.
"""
from __future__ import annotations

from typing import Any, Protocol

from twisted.python.failure import Failure

from gateway.channels.smpp import codec
from gateway.channels.smpp.constants import (
    ESME_RALYBND,
    ESME_RINVBNDSTS,
    ESME_ROK,
    ESME_RTHROTTLED,
)
from gateway.channels.smpp.framing import SmppProtocol



class SmscCore(Protocol):
    """What one connection asks of the SMSC behind it (`SmscSimulator` is the one):
    typed here, not imported, so the two modules do not import each other."""

    clock: Any
    window: int
    response_timeout: float
    connections: list
    submitted: list
    drop_after_pdus: int | None
    black_hole: bool
    response_delay: float

    def connection_lost(self, proto: "SmscProtocol") -> None: ...
    def check_bind(self, system_id: str, password: str) -> int: ...
    def receiver_bound(self, proto: "SmscProtocol") -> None: ...
    def _check_waiters(self) -> None: ...
    def throttled(self) -> bool: ...
    def accept_submit(self, pdu, connection: int = 0) -> str: ...
    def withholds_submit_resp(self) -> bool: ...

SMSC_SYSTEM_ID = "LAPORSIM"
_BIND_MODES = {"bind_transceiver": "transceiver", "bind_receiver": "receiver",
               "bind_transmitter": "transmitter"}


class SmscProtocol(SmppProtocol):
    """One ESME connected to the simulator; `number` tells its connections apart
    (set by the simulator: 1 for the first it accepted, then 2, …)."""

    def __init__(self, sim: SmscCore):
        super().__init__(clock=sim.clock, window=sim.window,
                         response_timeout=sim.response_timeout,
                         enquire_link_interval=None, inactivity_timeout=None)
        self.sim = sim
        self.bound_as: str | None = None
        self.number = 0
        self.pdus_received = 0

    def connectionMade(self) -> None:
        super().connectionMade()
        self.sim.connections.append(self)

    def connectionLost(self, reason: Failure = None) -> None:
        self.bound_as = None
        self.sim.connection_lost(self)
        super().connectionLost(reason)

    def _frame_received(self, frame: bytes) -> None:
        self.pdus_received += 1
        limit = self.sim.drop_after_pdus
        if limit is not None and self.pdus_received >= limit:
            # The PDU that reaches the limit is never answered: the worst moment.
            self.drop(f"fault: drop after {limit} PDUs")
            return
        if self.bound_as and self.sim.black_hole:
            return   # silent once bound: answers nothing, not even enquire_link
        super()._frame_received(frame)

    def respond(self, request: codec.Pdu, status: int = ESME_ROK, **fields: Any) -> None:
        delay = self.sim.response_delay
        if delay:
            self.clock.callLater(delay, super().respond, request, status, **fields)
        else:
            super().respond(request, status, **fields)

    # -- binding ---------------------------------------------------------------------------

    def handle_bind_transceiver(self, pdu: codec.Pdu) -> None:
        self._bind(pdu)

    handle_bind_receiver = handle_bind_transmitter = handle_bind_transceiver

    def _bind(self, pdu: codec.Pdu) -> None:
        if self.bound_as:
            self.respond(pdu, ESME_RALYBND)
            return
        status = self.sim.check_bind(pdu.system_id or "", pdu.password or "")
        if status != ESME_ROK:
            self.respond(pdu, status)
            self.transport.loseConnection()   # after the response is written
            return
        self.bound_as = _BIND_MODES[pdu.command]
        self.respond(pdu, system_id=SMSC_SYSTEM_ID)
        if self.bound_as != "transmitter":
            self.sim.receiver_bound(self)
        else:
            self.sim._check_waiters()

    def handle_unbind(self, pdu: codec.Pdu) -> None:
        self.bound_as = None
        self.respond(pdu)
        self.transport.loseConnection()

    # -- messages ------------------------------------------------------------------------

    def handle_submit_sm(self, pdu: codec.Pdu) -> None:
        if self.bound_as not in ("transceiver", "transmitter"):
            self.respond(pdu, ESME_RINVBNDSTS)
            return
        if self.sim.throttled():
            self.respond(pdu, ESME_RTHROTTLED)
            return
        message_id = self.sim.accept_submit(pdu, self.number)
        if self.sim.withholds_submit_resp():
            # Taken, receipt scheduled, answer lost with the link: the ESME cannot
            # know whether the message went, and must not send it again blindly.
            self.drop(f"fault: submit_sm #{len(self.sim.submitted)} taken, no answer")
            return
        self.respond(pdu, message_id=message_id)

    def unhandled_request(self, pdu: codec.Pdu) -> None:
        if not self.bound_as and codec.has_response(pdu.command):
            self.respond(pdu, ESME_RINVBNDSTS)
        else:
            super().unhandled_request(pdu)
