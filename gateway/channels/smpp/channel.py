"""The SMS channel: the gateway as an ESME bound to the operator's SMSC(s).

It assembles the pieces — sessions (bind, reconnect), inbound (MOs, reassembly,
commit-then-acknowledge), receipts, outbound (submit_sm) — behind the `Channel`
interface. It knows SMPP and nothing about regions or case stores.

A reply whose submit is in doubt (the link dropped or the process died between the
submit_sm and its response) is settled by the delivery receipts: the SMSC delivers a
receipt for every submit it took, again until we acknowledge it, and a receipt that
names no known reply is parked in the database with the citizen's number and the start
of the text it quotes. A parked receipt to the same number, since the intent, that fits
the reply's text proves it went out. None within `receipt_window_s` of the intent (while
a bind could receive it): it did not, and it is sent again — each doubt once, at most
`MAX_RESENDS_IN_DOUBT` times in all; after that it stays uncertain for an admin.
"""
from __future__ import annotations

from datetime import timedelta

from twisted.internet import defer

from gateway.channels.base import Channel, Intake, Settlement
from gateway.channels.smpp import codec
from gateway.channels.smpp.addresses import reply_address
from gateway.channels.smpp.dlr import is_receipt
from gateway.channels.smpp.inbound import CHANNEL, InboundSms
from gateway.channels.smpp.metrics import smpp_metrics
from gateway.channels.smpp.outbound import RateLimit, ReplySender
from gateway.channels.smpp.receipts import ReceiptDesk
from gateway.channels.smpp.session import SmppSession
from gateway.channels.smpp.settings import SmppSettings
from gateway.logging import get_logger
from gateway.model import Reply, utcnow

log = get_logger(__name__)

#: a reply whose every send was in doubt with no receipt to show for it is sent again at
#: most this often; each resend waits out its own receipt window, so only an SMSC that
#: drops receipts as well as links could make a double of it
MAX_RESENDS_IN_DOUBT = 3

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
        self._intake: Intake | None = None
        self._receiving_since = None   # since when a bind has been up to receive receipts
        #: called when a bind that can send comes up (the outbox sends what waited)
        self.ready_listeners: list = []
        for session in self.sessions:
            session.observers.append(self._session_event)
        self.send_slots = sum(b.window for b in settings.binds)

    @defer.inlineCallbacks
    def start(self, intake: Intake):
        self._intake = intake
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

    def _session_event(self, event: str, session: SmppSession) -> None:
        receiving = self.is_up()
        if not receiving:
            self._receiving_since = None
        elif self._receiving_since is None:
            self._receiving_since = utcnow()
        if event == "bound" and session.can_transmit:
            for listener in list(self.ready_listeners):
                listener()

    def send(self, reply: Reply) -> defer.Deferred:
        return defer.maybeDeferred(self.sender.send, reply)

    def can_send(self) -> bool:
        return bool(self._sending_sessions())

    @defer.inlineCallbacks
    def settle(self, reply: Reply):
        """A parked receipt proves the reply went out; none within the receipt window of
        the intent means it did not (sent again once); after a resend, it stays in doubt."""
        since = (reply.sending_at or utcnow()) - timedelta(seconds=1)
        parked = yield self._intake.find_parked_report(CHANNEL, reply_address(reply.recipient,
                                                                              reply.reply_context), since,
                                                       receipt_snippet(reply.text))
        if parked is not None:
            return Settlement.sent(parked_report=parked, reason="a delivery receipt names it")
        if self._receiving_since is None:
            return Settlement.wait(1.0, "no bind to receive a delivery receipt on")
        # The window counts while receipts can reach us: the SMSC delivers them again on
        # the next bind, so time spent down (a restart) does not count.
        waited = (utcnow() - max(since, self._receiving_since)).total_seconds()
        window = self.settings.receipt_window_s
        if waited < window:
            return Settlement.wait(min(window - waited, 10.0), "waiting for a delivery receipt")
        if reply.resends < MAX_RESENDS_IN_DOUBT:
            return Settlement.resend(f"no delivery receipt within {window:g} s")
        return Settlement.keep(f"no delivery receipt within {window:g} s, {reply.resends} times")

    def is_up(self) -> bool:
        """Bound for receiving on at least one bind."""
        return any(s.bound and s.role in ("transceiver", "receiver") for s in self.sessions)

    def status(self) -> str:
        return f"{sum(1 for s in self.sessions if s.bound)}/{len(self.sessions)} bound"

    def metrics(self):
        return smpp_metrics(self)

    @defer.inlineCallbacks
    def stop(self):
        """Answer what is being committed, unbind every session, stop timers."""
        yield defer.DeferredList([s.stop() for s in self.sessions], consumeErrors=True)
        if self.inbound is not None:
            self.inbound.stop()
        if self.receipts is not None:
            self.receipts.stop()


def receipt_snippet(text: str) -> str:
    """The start of a text as a receipt's `text:` field quotes it (20 characters, ASCII)."""
    return text[:20].encode("ascii", "replace").decode("ascii")
