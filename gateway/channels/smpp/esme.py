"""Our side of one SMPP connection: bind, take deliver_sm, unbind.

The protocol knows SMPP only. What a deliver_sm means (a citizen's message, a part of
one, a delivery receipt) is the channel's business: `handle_deliver_sm` asks the
`on_deliver` callable for the command_status to answer with — a Deferred that fires
after the database has committed — and only then responds. That is the durability
contract at the wire: deliver_sm_resp ESME_ROK means "it is on disk". When the database
cannot commit the answer is ESME_RX_T_APPN ("deliver again later"); any other failure
is a fault of ours and gets ESME_RSYSERR, so a bug is not dressed up as an outage.
"""
from __future__ import annotations

from typing import Callable

from twisted.internet import defer
from twisted.python.failure import Failure

from gateway import instruments
from gateway.channels.base import DatabaseUnavailable
from gateway.channels.smpp import codec
from gateway.channels.smpp.constants import ESME_ROK, ESME_RSYSERR, ESME_RX_T_APPN, status_text
from gateway.channels.smpp.framing import SmppProtocol
from gateway.logging import get_logger

log = get_logger(__name__)

BIND_COMMANDS = {"transceiver": "bind_transceiver", "receiver": "bind_receiver",
                 "transmitter": "bind_transmitter"}


class BindRefused(Exception):
    def __init__(self, status: int):
        super().__init__(f"bind refused with command_status {status_text(status)}")
        self.status = status


class EsmeProtocol(SmppProtocol):
    """One connection to the SMSC, bound as receiver, transmitter or transceiver."""

    def __init__(self, bind_name: str, role: str, on_deliver: Callable[[str, codec.Pdu], defer.Deferred],
                 on_lost: Callable[["EsmeProtocol"], None], **framing):
        super().__init__(**framing)
        self.bind_name = bind_name
        self.role = role
        self._on_deliver = on_deliver
        self._on_lost = on_lost
        self.bound = False
        self._answering: set[defer.Deferred] = set()
        self.closed: defer.Deferred = defer.Deferred()  # fires when the connection is gone

    def bind(self, system_id: str, password: str, system_type: str, address_range: str,
             interface_version: int) -> defer.Deferred:
        d = self.send_request(BIND_COMMANDS[self.role], system_id=system_id, password=password,
                              system_type=system_type, address_range=address_range,
                              interface_version=interface_version)
        return d.addCallback(self._bind_answered)

    def _bind_answered(self, pdu: codec.Pdu) -> "EsmeProtocol":
        if pdu.status != ESME_ROK:
            raise BindRefused(pdu.status)
        self.bound = True
        self.start_keepalive()
        return self

    def handle_deliver_sm(self, pdu: codec.Pdu) -> None:
        d = defer.maybeDeferred(self._on_deliver, self.bind_name, pdu)
        self._answering.add(d)
        d.addErrback(self._not_committed, pdu)
        d.addCallback(self._answer, pdu)
        d.addBoth(instruments.observe_ack, self.clock, self.clock.seconds())
        d.addBoth(self._answered, d)

    def _not_committed(self, failure: Failure, pdu: codec.Pdu) -> int:
        if failure.check(DatabaseUnavailable):
            log.error("deliver_sm not committed; asking the SMSC to deliver again",
                      bind=self.bind_name, error=failure.getErrorMessage())
            return ESME_RX_T_APPN
        log.error("deliver_sm failed in the gateway; answering a system error",
                  bind=self.bind_name,
                  exc_info=(failure.type, failure.value, failure.getTracebackObject()))
        return ESME_RSYSERR

    def _answer(self, status: int, pdu: codec.Pdu) -> None:
        self.respond(pdu, status)

    def _answered(self, result, d: defer.Deferred):
        self._answering.discard(d)
        return result

    def handle_unbind(self, pdu: codec.Pdu) -> None:
        log.warning("SMSC unbinds", bind=self.bind_name, role=self.role)
        self.bound = False
        self.respond(pdu)
        self.transport.loseConnection()

    def unbind(self, timeout: float) -> defer.Deferred:
        """Answer what is being committed, then unbind and close (bounded by `timeout`)."""
        pending = defer.DeferredList(list(self._answering), consumeErrors=True)
        pending.addCallback(lambda _: self.send_request("unbind") if self.connected_now else None)
        pending.addTimeout(timeout, self.clock)
        pending.addBoth(self._close)
        return pending

    def _close(self, _result) -> None:
        self.bound = False
        if self.transport is not None:
            self.transport.loseConnection()

    def connectionLost(self, reason=None) -> None:
        self.bound = False
        super().connectionLost(reason)
        self._on_lost(self)
        self.closed.callback(None)
