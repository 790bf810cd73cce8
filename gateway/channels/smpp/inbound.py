"""Citizens' SMS in: deliver_sm → (reassembled) message → committed → the answer status.

Every part of a long message is stored before it is acknowledged; the part that
completes a message commits the whole message and deletes its parts in one
transaction. The SMSC spreads the parts of one message over the binds of an account,
which may belong to several instances: the part that makes the database hold them all
completes the message from there. Parts that stop coming are forwarded, flagged
`partial`, after `concat_timeout_s` rather than dropped — by whichever instance claims
them first (a dead instance's too). A message the SMSC delivers again (its
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
from gateway.channels.smpp.concat import AssembledMessage, Reassembler, Segment, assemble, segment_of
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


def _part_record(segment: Segment, bind: str) -> dict:
    account, sender, recipient, ref, total = segment.key
    return {"account": account, "bind": bind, "sender": sender, "recipient": recipient, "ref": ref,
            "total": total, "seqnum": segment.seqnum, "payload": segment.payload.hex(),
            "data_coding": segment.data_coding}


def _segment(record: dict) -> Segment:
    # Parts stored before 0.15 name their bind, not the account (they were keyed by bind).
    key = (record.get("account", record["bind"]), record["sender"], record["recipient"], record["ref"],
           record["total"])
    return Segment(key, record["ref"], record["total"], record["seqnum"],
                   bytes.fromhex(record["payload"]), record["data_coding"])


def _segments(held) -> list[tuple[Segment, float]]:
    return [(_segment(p.part), p.received_at.timestamp()) for p in held]


class InboundSms:
    def __init__(self, intake, reactor, settings: SmppSettings):
        self._intake = intake
        self._reactor = reactor
        self._settings = settings
        self._account = {b.name: b.system_id for b in settings.binds}
        self._reassemblers: dict[str, Reassembler] = {}   # by account
        for b in settings.binds:
            self._reassemblers.setdefault(b.system_id, Reassembler(b.default_alphabet, now=reactor.seconds))
        #: bind a message's first stored part came on, by parts key (where to answer)
        self._bind_of: dict[str, str] = {}
        # part → the callers waiting for its commit (a copy may arrive while it commits)
        self._in_flight: dict[tuple, list[defer.Deferred]] = {}
        self._expiry = task.LoopingCall(self._expire)
        self._expiry.clock = reactor

    @defer.inlineCallbacks
    def start(self):
        """Restore held parts; commit any message a crash left complete; start expiry."""
        held = yield self._intake.held_parts(CHANNEL)
        by_account: dict[str, list] = {}
        for segment in _segments(held):
            by_account.setdefault(segment[0].key[0], []).append(segment)
        bind_of = {p.parts_key: p.part["bind"] for p in held}
        for account, segments in by_account.items():
            for assembled in self._reassembler(account).restore(segments):
                yield self._commit(assembled, {}, bind_of[parts_key(assembled.key)])
        interval = max(1.0, min(30.0, self._settings.concat_timeout_s / 4))
        self._expiry.start(interval, now=False)

    def stop(self) -> None:
        if self._expiry.running:
            self._expiry.stop()

    def deliver(self, bind: str, pdu: codec.Pdu) -> defer.Deferred:
        """Fires with the status to answer once the message (or part) is committed."""
        segment = segment_of(pdu.fields, self._account.get(bind, bind))
        reassembler = self._reassembler(segment.key[0])
        if segment.single:
            return self._commit(reassembler.add(segment), pdu.fields, bind)
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
                                                _part_record(segment, bind),
                                                completed_since=utcnow() - window, of=segment.total))
            d.addCallback(self._held, reassembler, segment, pdu.fields)
        else:
            d = self._commit(assembled, pdu.fields, bind)
        d.addErrback(self._undo, reassembler, segment)
        d.addBoth(self._settled, slot)
        return waiter

    def _reassembler(self, account: str) -> Reassembler:
        return self._reassemblers.setdefault(account, Reassembler(now=self._reactor.seconds))

    def _held(self, outcome: PartOutcome, reassembler: Reassembler, segment: Segment, fields):
        if outcome is PartOutcome.COMPLETES:
            return self._complete_from_database(reassembler, segment, fields)
        if outcome is PartOutcome.COMPLETED:
            # A late copy of a part whose message is already committed (a crash came
            # between that commit and the SMSC hearing of it): acknowledge, keep nothing.
            log.info("late copy of a part of a committed long SMS", bind=segment.key[0],
                     sender=segment.key[1])
            reassembler.undo(segment)
        return ESME_ROK

    @defer.inlineCallbacks
    def _complete_from_database(self, reassembler: Reassembler, segment: Segment, fields):
        """This part made the database hold every part of its message, the others having
        come through other binds or instances: commit the message from the stored parts
        before acknowledging (a failure answers an error; the SMSC's next delivery of this
        part finds them all held and tries again)."""
        held = yield self._intake.held_parts(CHANNEL, parts_key(segment.key))
        segments = [s for s, _ in _segments(held)]
        first_seen = min((p.received_at.timestamp() for p in held), default=self._reactor.seconds())
        if len(segments) < segment.total:   # another instance committed it meanwhile
            return ESME_ROK
        assembled = assemble(segments, first_seen, reassembler.default_alphabet)
        yield self._commit(assembled, fields, held[0].part["bind"])   # the first part's bind answers
        reassembler.forget(segment.key)
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

    def _commit(self, assembled: AssembledMessage, fields, bind: str) -> defer.Deferred:
        message = self._message(assembled, fields, bind)
        d = self._intake.accept(message)
        return d.addCallback(lambda _: ESME_ROK)

    def _message(self, assembled: AssembledMessage, fields, bind: str) -> Message:
        """`bind`: the one the message (its first part) came on, which answers it if up."""
        _account, raw_sender, recipient, ref, total = assembled.key
        sender = normalise_msisdn(raw_sender)
        content = hashlib.sha256(json.dumps(
            [sender, recipient, assembled.text, assembled.raw_hex, ref, total]).encode()).hexdigest()
        bucket = int(self._reactor.seconds() // self._settings.dedup_window_s)
        flags = (("partial",) if assembled.partial else ()) + (
            ("undecodable",) if assembled.undecodable else ()) + assembled.flags
        return Message(
            channel=CHANNEL, sender=sender, recipient=recipient, text=assembled.text,
            dedup_key=f"{content[:40]}#{bucket}", dedup_also=(f"{content[:40]}#{bucket - 1}",),
            keyed_by_content=True,
            flags=flags, raw_hex=assembled.raw_hex,
            parts_key=parts_key(assembled.key) if total > 1 else None,
            reply_context={"bind": bind, "reply_to": raw_sender, "source_addr": recipient,
                           "dest_addr_ton": fields.get("source_addr_ton") or 0,
                           "dest_addr_npi": fields.get("source_addr_npi") or 0},
        )

    def _expire(self) -> defer.Deferred:
        """Forward, flagged partial, the long messages whose missing parts stopped coming:
        those this instance claims in the database, wherever their parts arrived (what a
        reassembler holds in memory past the timeout is only forgotten: the database has it)."""
        now, timeout = self._reactor.seconds(), self._settings.concat_timeout_s
        for reassembler in self._reassemblers.values():
            reassembler.expired(now, timeout)
        d = self._intake.claim_expired_parts(
            CHANNEL, older_than=utcnow() - timedelta(seconds=timeout),
            completed_since=utcnow() - timedelta(seconds=self._settings.dedup_window_s))
        d.addCallback(self._commit_expired)
        d.addErrback(lambda f: log.error("could not claim expired parts of long SMS; will retry",
                                         error=f.getErrorMessage()))
        return d

    @defer.inlineCallbacks
    def _commit_expired(self, held) -> defer.Deferred:
        by_message: dict[str, list] = {}
        for part in held:
            by_message.setdefault(part.parts_key, []).append(part)
        for parts in by_message.values():
            segments = _segments(parts)
            key = segments[0][0].key
            reassembler = self._reassembler(key[0])
            assembled = assemble([s for s, _ in segments], min(t for _, t in segments),
                                 reassembler.default_alphabet)
            log.warning("long SMS incomplete; forwarding what arrived", bind=parts[0].part["bind"],
                        sender=assembled.sender,
                        missing=list(assembled.missing))
            try:
                yield self._commit(assembled, {}, parts[0].part["bind"])
            except Exception as e:   # still held and claimed: taken again once the claim runs out
                log.error("partial SMS not committed; will retry", error=str(e))
            else:
                reassembler.forget(key)
