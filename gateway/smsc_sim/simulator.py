"""The bundled SMSC: an SMPP 3.4 server on 127.0.0.1 for tests, demos and load runs.

It binds ESMEs (checking system_id and password), answers enquire_link and unbind,
accepts submit_sm (a message id, then a delivery receipt after a delay), and delivers
MOs as deliver_sm. Like a real SMSC it keeps every deliver_sm until it is answered
with ESME_ROK and delivers again after an error, a timeout or a lost connection; it
records what was acknowledged so a test can check that every MO the SMSC considers
delivered is in the gateway's database (the commit-then-ack contract, docs/architecture.md "Durability").
Like a real SMSC it deals its deliver_sm — MO parts and receipts — round-robin over
every receiving bind of its system_id (`spread`, the default; dealing.py says why), and
a deliver_sm lost with its connection goes to whichever bind remains.

Misbehaviour is opt-in, per constructor option: drop the connection after N PDUs,
throttle submits, delay responses, send receipts before submit_sm_resp, report
receipt ids in decimal, go silent once bound (black hole), or take every Nth submit_sm
and cut the link instead of answering it (the SMSC has the message, the ESME cannot
know: the reply is uncertain).
"""
from __future__ import annotations

import collections
import time
from typing import Any

from twisted.internet import defer, error
from twisted.internet.interfaces import IReactorTime
from twisted.internet.protocol import Factory
from twisted.logger import Logger
from twisted.python.failure import Failure

from gateway.channels.smpp.constants import (
    ESM_SMSC_DELIVERY_RECEIPT,
    ESM_UDHI,
    ESME_ROK,
    MESSAGE_STATE_NUMBERS,
    REGISTERED_DELIVERY_FAILURE,
    REGISTERED_DELIVERY_FINAL,
)
from gateway.channels.smpp.text import decode_text
from gateway.smsc_sim.answers import bind_status, receipt_text
from gateway.smsc_sim.dealing import Rotation
from gateway.smsc_sim.mo import MoSpec, deliver_sm_fields
from gateway.smsc_sim.protocol import SmscProtocol
from gateway.smsc_sim.records import AcknowledgedMo, Delivery, MoProgress, SubmittedMessage

__all__ = ["AcknowledgedMo", "Delivery", "SmscSimulator", "SubmittedMessage"]

log = Logger()


class SmscSimulator(Factory):
    """The SMSC. `start()` listens on 127.0.0.1 (port 0 picks a free port)."""

    def __init__(self, system_id: str = "lapor", password: str = "secret", *,
                 clock: IReactorTime | None = None, receipt_delay: float = 0.0,
                 receipt_status: str = "DELIVRD", redelivery_delay: float = 1.0,
                 window: int = 10, response_timeout: float = 10.0,
                 drop_after_pdus: int | None = None, throttle_per_second: int | None = None,
                 response_delay: float = 0.0, receipt_before_response: bool = False,
                 black_hole: bool = False, receipt_id_decimal: bool = False,
                 concat: str = "udh8", drop_submit_resp_every: int | None = None,
                 spread: bool = True):
        if clock is None:
            from twisted.internet import reactor as clock  # noqa: N813
        self.clock = clock
        self.system_id, self.password = system_id, password
        self.receipt_delay, self.receipt_status = receipt_delay, receipt_status
        self.redelivery_delay = redelivery_delay
        self.window, self.response_timeout = window, response_timeout
        self.drop_after_pdus = drop_after_pdus
        self.throttle_per_second = throttle_per_second
        self.response_delay = response_delay
        self.receipt_before_response = receipt_before_response
        self.black_hole = black_hole
        self.receipt_id_decimal = receipt_id_decimal
        self.concat = concat
        self.drop_submit_resp_every = drop_submit_resp_every
        self.rotation: Rotation[SmscProtocol] = Rotation(spread)
        self.acknowledged: list[AcknowledgedMo] = []
        #: called with each AcknowledgedMo as it completes (the CLI's --ack-log)
        self.on_acknowledged: list = []
        self.acknowledged_receipts: list[str] = []
        self.ack_latencies: list[float] = []   # seconds from deliver_sm to its ESME_ROK
        #: deliver_sm (MO parts and receipts) answered ESME_ROK, per connection number
        self.acknowledged_on: collections.Counter[int] = collections.Counter()
        self.submitted: list[SubmittedMessage] = []
        #: called with each SubmittedMessage as it is accepted (the CLI's --submit-log)
        self.on_submitted: list = []
        self.connections: list[SmscProtocol] = []
        self.deliveries_sent = 0
        self._connections_made = 0
        self._pending: list[Delivery] = []      # waiting for a bound receiver
        self._mos: dict[int, MoProgress] = {}
        self._next_id = 0
        self._next_message_no = 0
        self._next_message_id = 0x1A2B3C00
        self._throttle_bucket = (0, 0)
        self._waiters: list[tuple[str, int, defer.Deferred]] = []
        self._listening = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, port: int = 0, interface: str = "127.0.0.1"):
        from twisted.internet import reactor
        self._listening = reactor.listenTCP(port, self, interface=interface)
        return self._listening

    @property
    def port(self) -> int:
        return self._listening.getHost().port

    def stop(self) -> defer.Deferred:
        """Stop listening and cut every connection."""
        for proto in list(self.connections):
            proto.transport.abortConnection()
        if self._listening is None:
            return defer.succeed(None)
        return defer.maybeDeferred(self._listening.stopListening)

    def buildProtocol(self, addr) -> SmscProtocol:
        proto = SmscProtocol(self)
        proto.factory = self
        self._connections_made += 1
        proto.number = self._connections_made
        return proto

    # -- what tests and the CLI call -------------------------------------------------------

    def enqueue_mo(self, sender: str, text: str, recipient: str = "1708", coding: str = "gsm",
                   parts: int | None = None, concat: str | None = None) -> int:
        """Queue a citizen's message; returns its number (see `acknowledged`)."""
        spec = MoSpec(sender=sender, text=text, recipient=recipient, coding=coding,
                      parts=parts, concat=concat or self.concat)
        return self.enqueue_spec(spec)

    def enqueue_spec(self, spec: MoSpec) -> int:
        self._next_message_no += 1
        message_no = self._next_message_no
        pdus = deliver_sm_fields(spec, reference=message_no & 0xFFFF)
        self._mos[message_no] = MoProgress(spec, len(pdus))
        for fields in pdus:
            self._deliver(self._new_delivery("mo", fields, message_no))
        return message_no

    def wait_until_acknowledged(self, n: int) -> defer.Deferred:
        """Fires once `n` logical MOs are acknowledged in full."""
        return self._wait("acknowledged", n)

    def wait_until_submitted(self, n: int) -> defer.Deferred:
        return self._wait("submitted", n)

    def wait_until_receipts_acknowledged(self, n: int) -> defer.Deferred:
        return self._wait("acknowledged_receipts", n)

    def wait_until_bound(self, n: int = 1) -> defer.Deferred:
        return self._wait("bound", n)

    @property
    def bound(self) -> list[SmscProtocol]:
        return [p for p in self.connections if p.bound_as]

    @property
    def unacknowledged(self) -> int:
        return sum(1 for m in self._mos.values() if len(m.acked) < m.parts)

    def _wait(self, what: str, n: int) -> defer.Deferred:
        d: defer.Deferred = defer.Deferred()
        self._waiters.append((what, n, d))
        self._check_waiters()
        return d

    def _check_waiters(self) -> None:
        # Take the ready ones out before firing any: a callback may wait again (re-entry).
        ready = [w for w in self._waiters if len(getattr(self, w[0])) >= w[1]]
        self._waiters = [w for w in self._waiters if w not in ready]
        for _what, _n, d in ready:
            d.callback(None)

    # -- delivering deliver_sm (MOs and receipts) ------------------------------------------

    def _new_delivery(self, kind: str, fields: dict, message_no: int = 0) -> Delivery:
        self._next_id += 1
        return Delivery(self._next_id, kind, fields, message_no)

    def _receiver(self) -> SmscProtocol | None:
        receivers = [p for p in self.connections
                     if p.bound_as in ("transceiver", "receiver") and p.connected_now]
        return self.rotation.pick(receivers, _has_room)

    def _deliver(self, delivery: Delivery) -> None:
        proto = self._receiver()
        if proto is None or self.black_hole:
            self._pending.append(delivery)
            return
        delivery.attempts += 1
        delivery.sent_at = self.clock.seconds()
        delivery.connection = proto.number
        self.deliveries_sent += 1
        d = proto.send_request("deliver_sm", **delivery.fields)
        d.addCallbacks(self._delivery_answered, self._delivery_failed,
                       callbackArgs=(delivery,), errbackArgs=(delivery,))

    def _delivery_answered(self, resp, delivery: Delivery) -> None:
        if resp.status != ESME_ROK:
            # e.g. ESME_RX_T_APPN: the gateway could not commit; deliver again later
            self.clock.callLater(self.redelivery_delay, self._deliver, delivery)
            return
        if delivery.acknowledged:
            return
        delivery.acknowledged = True
        self.acknowledged_on[delivery.connection] += 1
        if delivery.kind == "mo":
            self.ack_latencies.append(self.clock.seconds() - delivery.sent_at)
        if delivery.kind == "receipt":
            self.acknowledged_receipts.append(delivery.fields["receipted_message_id"])
        else:
            self._mo_part_acknowledged(delivery)
        self._check_waiters()

    def _mo_part_acknowledged(self, delivery: Delivery) -> None:
        mo = self._mos[delivery.message_no]
        mo.acked[delivery.id] = delivery.connection
        mo.attempts = max(mo.attempts, delivery.attempts)
        if len(mo.acked) == mo.parts:
            acked = mo.acknowledged(delivery.message_no)
            self.acknowledged.append(acked)
            for listener in self.on_acknowledged:
                listener(acked)

    def _delivery_failed(self, failure: Failure, delivery: Delivery) -> None:
        if failure.check(error.ConnectionLost, error.ConnectionDone, error.NotConnectingError):
            # Next turn, not now: the lost connection is still listed while it fails its
            # requests, and delivering at once would pick it again (endless recursion).
            self.clock.callLater(0, self._deliver, delivery)   # or waits for the next bind
        else:
            self.clock.callLater(self.redelivery_delay, self._deliver, delivery)

    def receiver_bound(self, proto: SmscProtocol) -> None:
        pending, self._pending = self._pending, []
        for delivery in pending:
            self._deliver(delivery)
        self._check_waiters()

    def connection_lost(self, proto: SmscProtocol) -> None:
        if proto in self.connections:
            self.connections.remove(proto)

    # -- binds and submits ---------------------------------------------------------------

    def check_bind(self, system_id: str, password: str) -> int:
        return bind_status(system_id, password, self.system_id, self.password)

    def throttled(self) -> bool:
        if not self.throttle_per_second:
            return False
        second = int(self.clock.seconds())
        bucket, count = self._throttle_bucket
        count = count + 1 if bucket == second else 1
        self._throttle_bucket = (second, count)
        return count > self.throttle_per_second

    def accept_submit(self, pdu, connection: int = 0) -> str:
        """Record a submit_sm that came on `connection` (its number); returns the
        message id and schedules its receipt (dealt like any deliver_sm: it may go to
        another bind than the submit's)."""
        self._next_message_id += 1
        message_id = f"{self._next_message_id:010X}"   # leading zeros, upper-case hex
        f = pdu.fields
        self.submitted.append(SubmittedMessage(
            message_id, f["source_addr"], f["destination_addr"],
            f.get("short_message") or f.get("message_payload") or b"",
            f["data_coding"] or 0, f["esm_class"] or 0, f["registered_delivery"] or 0,
            dict(f), self.clock.seconds(), connection))
        for listener in self.on_submitted:
            listener(self.submitted[-1])
        wants = (f["registered_delivery"] or 0) & (REGISTERED_DELIVERY_FINAL | REGISTERED_DELIVERY_FAILURE)
        if wants == REGISTERED_DELIVERY_FINAL or (wants and self.receipt_status != "DELIVRD"):
            if self.receipt_before_response:
                self._send_receipt(self.submitted[-1])   # written before the submit_sm_resp
            else:
                self.clock.callLater(self.receipt_delay, self._send_receipt, self.submitted[-1])
        self._check_waiters()
        return message_id

    def withholds_submit_resp(self) -> bool:
        """Whether the submit just accepted is one whose answer the link loses."""
        every = self.drop_submit_resp_every
        return bool(every) and len(self.submitted) % every == 0

    def _send_receipt(self, sub: SubmittedMessage) -> None:
        self._deliver(self._new_delivery("receipt", self.receipt_fields(sub)))

    def receipt_fields(self, sub: SubmittedMessage) -> dict[str, Any]:
        reported = str(int(sub.message_id, 16)) if self.receipt_id_decimal else sub.message_id
        stamp = time.strftime("%y%m%d%H%M", time.gmtime(self.clock.seconds()))
        status = self.receipt_status
        body = sub.short_message
        if sub.esm_class & ESM_UDHI and body:
            body = body[1 + body[0]:]   # skip the concatenation UDH
        original = decode_text(body, sub.data_coding).text
        snippet = original[:20].encode("ascii", "replace").decode("ascii")
        text = receipt_text(reported, status, stamp, snippet)
        return {"source_addr": sub.destination_addr, "destination_addr": sub.source_addr,
                "esm_class": ESM_SMSC_DELIVERY_RECEIPT, "short_message": text.encode("ascii"),
                "receipted_message_id": reported,
                "message_state": MESSAGE_STATE_NUMBERS.get(status, 7)}



def _has_room(proto: SmscProtocol) -> bool:
    """Whether a deliver_sm dealt to `proto` now would go out at once (not queue)."""
    return proto.outstanding + proto.queued < proto.window
