"""Delivery receipts in: which reply they are about, and what became of it.

A receipt can arrive before our bookkeeping of the submit it answers is stored (some
SMSCs send it before submit_sm_resp). A receipt that names no known reply is parked —
in the database, with the number it is about and the text it quotes, before it is
acknowledged, so that it can also prove a reply in doubt went out (see `channel.py`) —
and tried again with growing waits for `receipt_park_s`, then given up with a warning.
Ids are compared in every form an SMSC may use (hex or decimal, any case, leading
zeros); duplicate and late receipts do no harm (a final state is never overwritten by
a non-final one).
"""
from __future__ import annotations

from twisted.internet import defer

from gateway import instruments
from gateway.channels.smpp import codec
from gateway.channels.smpp.constants import ESME_ROK
from gateway.channels.smpp.dlr import (message_id_keys, normalise_message_id, parse_receipt,
                                       parse_receipt_text)
from gateway.logging import get_logger
from gateway.model import DeliveryReport

log = get_logger(__name__)


class ReceiptDesk:
    def __init__(self, intake, reactor, channel: str, park_s: float):
        self._intake = intake
        self._reactor = reactor
        self._channel = channel
        self._park_s = park_s
        self._parked: dict[int, object] = {}   # id(report) → retry timer
        self.unmatched = 0                      # given up: no reply ever had that id
        self.received = 0

    def receive(self, bind: str, pdu: codec.Pdu) -> defer.Deferred:
        """Record a receipt deliver_sm; fires with the status to answer (always ROK:
        a receipt we cannot read is not worth the SMSC delivering it again)."""
        self.received += 1
        receipt = parse_receipt(pdu.fields)
        if receipt is None:
            log.warning("delivery receipt without a message id ignored", bind=bind)
            return defer.succeed(ESME_ROK)
        instruments.observe_receipt(receipt.status)
        canonical = normalise_message_id(receipt.message_id)
        report = DeliveryReport(self._channel, canonical, receipt.status, receipt.delivered,
                                receipt.final, tuple(sorted(message_id_keys(canonical) - {canonical})),
                                address=_address(pdu.fields.get("source_addr")),
                                snippet=_quoted_text(pdu.fields))
        d = self._intake.report_delivery(report)
        d.addCallback(self._recorded, report, 0.0)
        return d.addCallback(lambda _: ESME_ROK)

    def _recorded(self, matched: bool, report: DeliveryReport, waited: float) -> None:
        self._parked.pop(id(report), None)
        if matched:
            if waited:
                log.info("delivery receipt matched after waiting", waited_s=round(waited, 1))
            return
        if waited >= self._park_s:
            self.unmatched += 1
            log.warning("delivery receipt matches no reply; given up", message_id=report.channel_message_id,
                        status=report.status, waited_s=round(waited))
            return
        delay = min(max(1.0, waited), self._park_s - waited) or 1.0
        self._parked[id(report)] = self._reactor.callLater(delay, self._retry, report, waited + delay)

    def _retry(self, report: DeliveryReport, waited: float) -> None:
        d = self._intake.report_delivery(report)
        d.addCallback(self._recorded, report, waited)
        d.addErrback(lambda f: self._recorded(False, report, waited))

    @property
    def parked(self) -> int:
        return len(self._parked)

    def stop(self) -> None:
        for timer in self._parked.values():
            if timer.active():
                timer.cancel()
        self._parked.clear()


def _address(value) -> str | None:
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("latin-1")
    return (value or "").strip().lstrip("+") or None


def _quoted_text(fields) -> str | None:
    """The `text:` a receipt quotes of the reply (its first 20 characters, usually)."""
    body = fields.get("short_message") or fields.get("message_payload") or b""
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("latin-1")
    return parse_receipt_text(body).get("text") or None
