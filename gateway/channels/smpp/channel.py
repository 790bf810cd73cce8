"""The SMS channel: the gateway as an ESME bound to the operator's SMSC(s).

It assembles the pieces — sessions (bind, reconnect), inbound (MOs, reassembly,
commit-then-acknowledge), receipts, outbound (submit_sm) — behind the `Channel`
interface. It knows SMPP and nothing about regions or case stores.
"""
from __future__ import annotations

from twisted.internet import defer

from gateway.channels.base import Channel, Intake
from gateway.channels.smpp import codec
from gateway.channels.smpp.dlr import is_receipt
from gateway.channels.smpp.inbound import CHANNEL, InboundSms
from gateway.channels.smpp.outbound import RateLimit, ReplySender
from gateway.channels.smpp.receipts import ReceiptDesk
from gateway.channels.smpp.session import SmppSession
from gateway.channels.smpp.settings import SmppSettings
from gateway.logging import get_logger
from gateway.model import Reply

log = get_logger(__name__)

ROLES = {"transceiver": ("transceiver",), "pair": ("receiver", "transmitter"),
         "receiver": ("receiver",), "transmitter": ("transmitter",)}


class SmppChannel(Channel):
    name = CHANNEL

    def __init__(self, settings: SmppSettings, passwords: dict[str, str], reactor):
        self.settings = settings
        self._reactor = reactor
        self.sessions = [SmppSession(bind, role, passwords[bind.name], reactor, self._deliver)
                         for bind in settings.binds for role in ROLES[bind.mode]]
        self._rates = {b.name: RateLimit(reactor, b.submit_per_second) for b in settings.binds}
        self.sender = ReplySender(reactor, self._sending_sessions, self._rates,
                                  {b.name: b.source_addr for b in settings.binds})
        self.inbound: InboundSms | None = None
        self.receipts: ReceiptDesk | None = None

    @defer.inlineCallbacks
    def start(self, intake: Intake):
        self.inbound = InboundSms(intake, self._reactor, self.settings)
        self.receipts = ReceiptDesk(intake, self._reactor, CHANNEL, self.settings.receipt_park_s)
        yield self.inbound.start()
        for session in self.sessions:
            session.start()

    def _deliver(self, bind: str, pdu: codec.Pdu) -> defer.Deferred:
        if is_receipt(pdu.fields.get("esm_class")):
            return self.receipts.receive(bind, pdu)
        return self.inbound.deliver(bind, pdu)

    def _sending_sessions(self) -> list[SmppSession]:
        return [s for s in self.sessions if s.bound and s.can_transmit]

    def send(self, reply: Reply) -> defer.Deferred:
        return defer.maybeDeferred(self.sender.send, reply)

    def is_up(self) -> bool:
        """Bound for receiving on at least one bind."""
        return any(s.bound and s.role in ("transceiver", "receiver") for s in self.sessions)

    def status(self) -> str:
        return f"{sum(1 for s in self.sessions if s.bound)}/{len(self.sessions)} bound"

    @defer.inlineCallbacks
    def stop(self):
        """Answer what is being committed, unbind every session, stop timers."""
        yield defer.DeferredList([s.stop() for s in self.sessions], consumeErrors=True)
        if self.inbound is not None:
            self.inbound.stop()
        if self.receipts is not None:
            self.receipts.stop()
