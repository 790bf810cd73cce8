"""Citizens' SMS in: deliver_sm → (reassembled) message → committed → the answer status.

Every part of a long message is stored before it is acknowledged; the part that
completes a message commits the whole message and deletes its parts in one
transaction. Parts that stop coming are forwarded, flagged `partial`, after
`concat_timeout_s` rather than dropped. A message the SMSC delivers again (its
deliver_sm_resp was lost, the bind reconnected) carries the same content key within
`dedup_window_s` and becomes the same complaint.

No wrong door: an empty SMS (no short_message, no message_payload) is a complaint too,
flagged `empty` (the reply asks for the text); odd text is kept and flagged
(`invalid_utf16`, `control_chars`, see text.py), never refused — refusing would only
make the SMSC deliver it again, forever.
"""
from __future__ import annotations

import functools
import hashlib
import json
from datetime import timedelta

import phonenumbers
from twisted.internet import defer, task
from twisted.python.failure import Failure

from gateway.channels.smpp import codec
from gateway.channels.smpp.concat import AssembledMessage, Reassembler, Segment, segment_of
from gateway.channels.smpp.constants import ESME_ROK
from gateway.channels.smpp.settings import SmppSettings
from gateway.logging import get_logger
from gateway.model import HeldPart, Message, PartOutcome, utcnow

log = get_logger(__name__)
CHANNEL = "sms"


def normalise_msisdn(address: str) -> str:
    """E.164 (+62…) for an Indonesian or international number; anything else as given."""
    if address.startswith("628") and address.isdigit() and 10 <= len(address) <= 14:
        # The common case — an Indonesian mobile in international form — without the
        # ~10 us phonenumbers takes; a property test holds it to phonenumbers' answer.
        return "+" + address
    return _normalise_other(address)


@functools.lru_cache(maxsize=4096)
def _normalise_other(address: str) -> str:
    try:
        number = phonenumbers.parse(address if not address.isdigit() or address.startswith("0")
                                    else "+" + address, "ID")
    except phonenumbers.NumberParseException:
        return address
    if not phonenumbers.is_possible_number(number):
        return address
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parts_key(key) -> str:
    return "|".join(str(k) for k in key)


def _part_record(segment: Segment) -> dict:
    bind, sender, recipient, ref, total = segment.key
    return {"bind": bind, "sender": sender, "recipient": recipient, "ref": ref, "total": total,
            "seqnum": segment.seqnum, "payload": segment.payload.hex(),
            "data_coding": segment.data_coding}


def _segment(record: dict) -> Segment:
    key = (record["bind"], record["sender"], record["recipient"], record["ref"], record["total"])
    return Segment(key, record["ref"], record["total"], record["seqnum"],
                   bytes.fromhex(record["payload"]), record["data_coding"])


class InboundSms:
    def __init__(self, intake, reactor, settings: SmppSettings):
        self._intake = intake
        self._reactor = reactor
        self._settings = settings
        self._reassemblers = {b.name: Reassembler(b.default_alphabet, now=reactor.seconds)
                              for b in settings.binds}
        # part → the callers waiting for its commit (a copy may arrive while it commits)
        self._in_flight: dict[tuple, list[defer.Deferred]] = {}
        self._expiry = task.LoopingCall(self._expire)
        self._expiry.clock = reactor

    @defer.inlineCallbacks
    def start(self):
        """Restore held parts; commit any message a crash left complete; start expiry."""
        held = yield self._intake.held_parts(CHANNEL)
        by_bind: dict[str, list] = {}
        for part in held:
            by_bind.setdefault(part.part["bind"], []).append(
                (_segment(part.part), part.received_at.timestamp()))
        for bind, segments in by_bind.items():
            reassembler = self._reassemblers.setdefault(bind, Reassembler(now=self._reactor.seconds))
            for assembled in reassembler.restore(segments):
                yield self._commit(assembled, {})
        interval = max(1.0, min(30.0, self._settings.concat_timeout_s / 4))
        self._expiry.start(interval, now=False)

    def stop(self) -> None:
        if self._expiry.running:
            self._expiry.stop()

    def deliver(self, bind: str, pdu: codec.Pdu) -> defer.Deferred:
        """Fires with the status to answer once the message (or part) is committed."""
        segment = segment_of(pdu.fields, bind)
        reassembler = self._reassemblers[bind]
        if segment.single:
            return self._commit(reassembler.add(segment), pdu.fields)
        slot = (segment.key, segment.seqnum)
        if slot in self._in_flight:  # the same part again while its first copy commits
            return self._wait(slot)
        if reassembler.is_duplicate(segment):
            return defer.succeed(ESME_ROK)
        assembled = reassembler.add(segment)
        self._in_flight[slot] = []
        waiter = self._wait(slot)   # registered before the commit can possibly fire
        if assembled is None:
            window = timedelta(seconds=self._settings.dedup_window_s)
            d = self._intake.hold_part(HeldPart(CHANNEL, parts_key(segment.key), segment.seqnum,
                                                _part_record(segment),
                                                completed_since=utcnow() - window))
            d.addCallback(self._held, reassembler, segment)
        else:
            d = self._commit(assembled, pdu.fields)
        d.addErrback(self._undo, reassembler, segment)
        d.addBoth(self._settled, slot)
        return waiter

    @staticmethod
    def _held(outcome: PartOutcome, reassembler: Reassembler, segment: Segment) -> int:
        if outcome is PartOutcome.COMPLETED:
            # A late copy of a part whose message is already committed (a crash came
            # between that commit and the SMSC hearing of it): acknowledge, keep nothing.
            log.info("late copy of a part of a committed long SMS", bind=segment.key[0],
                     sender=segment.key[1])
            reassembler.undo(segment)
        return ESME_ROK

    def _wait(self, slot) -> defer.Deferred:
        waiter: defer.Deferred = defer.Deferred()
        self._in_flight[slot].append(waiter)
        return waiter

    def _settled(self, result, slot) -> None:
        for waiter in self._in_flight.pop(slot, []):
            if isinstance(result, Failure):
                waiter.errback(result)
            else:
                waiter.callback(result)

    @staticmethod
    def _undo(failure, reassembler: Reassembler, segment: Segment):
        reassembler.undo(segment)  # so the SMSC's next delivery of it is not a "duplicate"
        return failure

    def _commit(self, assembled: AssembledMessage, fields) -> defer.Deferred:
        message = self._message(assembled, fields)
        d = self._intake.accept(message)
        return d.addCallback(lambda _: ESME_ROK)

    def _message(self, assembled: AssembledMessage, fields) -> Message:
        bind, raw_sender, recipient, ref, total = assembled.key
        sender = normalise_msisdn(raw_sender)
        content = hashlib.sha256(json.dumps(
            [sender, recipient, assembled.text, assembled.raw_hex, ref, total]).encode()).hexdigest()
        bucket = int(self._reactor.seconds() // self._settings.dedup_window_s)
        flags = (("partial",) if assembled.partial else ()) + (
            ("undecodable",) if assembled.undecodable else ()) + assembled.flags
        return Message(
            channel=CHANNEL, sender=sender, recipient=recipient, text=assembled.text,
            dedup_key=f"{content[:40]}#{bucket}", dedup_also=(f"{content[:40]}#{bucket - 1}",),
            flags=flags, raw_hex=assembled.raw_hex,
            parts_key=parts_key(assembled.key) if total > 1 else None,
            reply_context={"bind": bind, "reply_to": raw_sender, "source_addr": recipient,
                           "dest_addr_ton": fields.get("source_addr_ton") or 0,
                           "dest_addr_npi": fields.get("source_addr_npi") or 0},
        )

    def _expire(self):
        """Forward, flagged partial, the long messages whose missing parts stopped coming."""
        now = self._reactor.seconds()
        for reassembler in self._reassemblers.values():
            for assembled in reassembler.expired(now, self._settings.concat_timeout_s):
                log.warning("long SMS incomplete; forwarding what arrived", bind=assembled.key[0],
                            sender=assembled.sender, missing=list(assembled.missing))
                d = self._commit(assembled, {})
                d.addErrback(self._expiry_failed, reassembler, assembled)

    @defer.inlineCallbacks
    def _expiry_failed(self, failure, reassembler: Reassembler, assembled: AssembledMessage):
        # The parts are still stored: put them back, the next round tries again.
        log.error("partial SMS not committed; will retry", error=failure.getErrorMessage())
        key = parts_key(assembled.key)
        held = yield self._intake.held_parts(CHANNEL)
        reassembler.restore([(_segment(p.part), assembled.first_seen) for p in held
                             if p.parts_key == key])
