"""The complaint pipeline: accept → parse → forward → reply → delivery status.

This is the `Intake` the channels talk to. `accept` fires only after the message is
committed (group commit shares one transaction among messages that arrive together);
the rest runs in memory right after each commit, every stage writing its state to the
journal in our database, so that `resume` after any stop — clean or `kill -9` — carries on from each
complaint's last committed state. The journal is a record, not a polling queue.
"""
from __future__ import annotations

from typing import Callable

from twisted.internet.defer import Deferred, inlineCallbacks

from gateway.logging import get_logger
from gateway.parsers.citizen_commands import recognise
from gateway.model import (AcceptResult, Complaint, ComplaintState, DeliveryReport, HeldPart, Message,
                           PartOutcome, Routing, RoutingStatus)

log = get_logger(__name__)


class Pipeline:
    def __init__(self, journal, forwarder, outbox, parse: Callable[[str], Routing], intake_first=None,
                 desk=None):
        """`intake_first` (an `IntakeFirst`) hears of every intake write, to see a burst;
        `desk` (a `CitizenDesk`) answers the messages that are commands, not complaints."""
        self._journal = journal
        self.desk = desk
        self._intake_first = intake_first
        self._forwarder = forwarder
        self._outbox = outbox
        self.parse = parse          # replaced atomically when the region mapping is reloaded
        self.accepted = 0
        self.duplicates = 0

    # -- Intake --------------------------------------------------------------------------
    def accept(self, message: Message) -> Deferred[AcceptResult]:
        if self.desk is not None and message.answer is None and message.command is None:
            command = recognise(message.text)
            if command is not None:       # CEK, BANTUAN, STOP, MULAI: answered, never a complaint
                d = self.desk.accept(message, command)
                if self._intake_first is not None:
                    self._intake_first.intake_arrived()
                return d
        # Parsed before the commit, so that one write carries the message and where its
        # complaint goes (a repeat's routing is simply not used).
        routing = self._routing_of(message) if message.answer is None else None
        d = self._journal.accept(message, routing)
        if self._intake_first is not None:
            self._intake_first.intake_arrived()
        d.addCallback(self._accepted, message, routing)
        return d

    def _accepted(self, result: AcceptResult, message: Message, routing: Routing | None) -> AcceptResult:
        if message.answer is not None:
            if result.answer is not None:
                self._outbox.send(result.answer)   # a redelivered message was answered before
            return result
        if result.duplicate:
            self.duplicates += 1
            log.info("duplicate message", channel=message.channel, complaint=result.complaint_id,
                     sender=message.sender)
            if result.tracking_id is not None:
                self._outbox.answer_duplicate(result.complaint_id, result.tracking_id)
        else:
            self.accepted += 1
            log.info("message accepted", channel=message.channel, complaint=result.complaint_id,
                     sender=message.sender, flags=list(message.flags) or None,
                     routing=routing.status.value, region=routing.region.code if routing.region else None,
                     place=routing.place.code if routing.place else None)
            self._forwarder.enqueue(Complaint(result.complaint_id, message, ComplaintState.PARSED, routing))
        return result

    def report_delivery(self, report: DeliveryReport) -> Deferred[bool]:
        d = self._journal.record_delivery(report)
        d.addCallback(self._delivery_recorded, report)
        return d

    @staticmethod
    def _delivery_recorded(matched, report: DeliveryReport) -> bool:
        if matched is not None and matched.settled_now:
            # The complaint's second and last line at info (see `_accepted`): its reply's
            # outcome. (Where the channel's acceptance is the delivery, the outbox says it.)
            log.info("reply outcome", complaint=matched.complaint_id, reply=matched.reply_id,
                     channel=report.channel, status=report.status, delivered=report.delivered)
        return matched is not None

    def hold_part(self, part: HeldPart) -> Deferred[PartOutcome]:
        d = self._journal.hold_part(part)
        if self._intake_first is not None:
            self._intake_first.intake_arrived()
        return d

    def held_parts(self, channel: str, parts_key: str | None = None) -> Deferred[list[HeldPart]]:
        return self._journal.held_parts(channel, parts_key)

    def claim_expired_parts(self, channel: str, older_than, completed_since) -> Deferred[list[HeldPart]]:
        return self._journal.claim_expired_parts(channel, older_than, completed_since)

    def load_hint(self, key: str) -> Deferred[dict | None]:
        d = self._journal.load_hints()
        return d.addCallback(lambda hints: hints.get(key))

    def save_hint(self, key: str, value: dict) -> Deferred[None]:
        return self._journal.save_hint(key, value)

    def spend_budget(self, key: str, limit: int, window_s: float, now: float) -> Deferred[float]:
        return self._journal.spend_budget(key, limit, window_s, now)

    def block_budget(self, key: str, until: float) -> Deferred[None]:
        return self._journal.block_budget(key, until)

    def find_parked_report(self, channel, address, since, snippet) -> Deferred[int | None]:
        return self._journal.find_parked_report(channel, address, since, snippet)

    def load_cursor(self, channel: str) -> Deferred[str | None]:
        return self._journal.load_cursor(channel)

    def save_cursor(self, channel: str, value: str) -> Deferred[None]:
        return self._journal.save_cursor(channel, value)

    # -- stages --------------------------------------------------------------------------
    def _route(self, complaint: Complaint) -> None:
        d = self._parse_and_record(complaint)
        d.addErrback(lambda f: log.error("could not record routing; it resumes at the next start",
                                         complaint=complaint.id, error=f.getErrorMessage()))

    @inlineCallbacks
    def _parse_and_record(self, complaint: Complaint):
        """A complaint committed before it was parsed (by an older version)."""
        routing = self._routing_of(complaint.message, complaint.id)
        yield self._journal.record_routing(complaint.id, routing)
        log.info("complaint routed", complaint=complaint.id, routing=routing.status.value,
                 region=routing.region.code if routing.region else None,
                 place=routing.place.code if routing.place else None)
        self._forwarder.enqueue(Complaint(complaint.id, complaint.message, ComplaintState.PARSED,
                                          routing))

    def _routing_of(self, message: Message, complaint_id: str | None = None) -> Routing:
        try:
            return self.parse(message.text)
        except Exception:  # noqa: BLE001 - no wrong door: a parser bug must not lose the complaint
            log.exception("parser failed; complaint goes to the national desk", complaint=complaint_id,
                          channel=message.channel)
            return Routing(RoutingStatus.UNROUTED, message.text.strip())

    @inlineCallbacks
    def resume(self):
        """Carry on with everything a previous run left unfinished; returns counts."""
        # No more than the forwarder holds: the rest it reads back as it has room.
        complaints, total = yield self._journal.unfinished_complaints(self._forwarder.hold_limit)
        for complaint in complaints:
            if complaint.state is ComplaintState.RECEIVED:
                self._route(complaint)
            else:
                self._forwarder.enqueue(complaint)
        if total > len(complaints):
            self._forwarder.more_in_journal()
        if total:
            log.info("resumed unfinished complaints", complaints=total)
        return {"complaints": total}

    @inlineCallbacks
    def resume_replies(self):
        """Carry on with the replies a previous run left queued or in doubt (once the
        channels have started: settling a reply in doubt may ask its channel)."""
        replies = yield self._journal.resume_replies(self._outbox.channel_names)
        doubtful = [r for r in replies if r.sending_at is not None]
        for reply in replies:
            if reply.sending_at is not None:
                self._outbox.resolve(reply)   # its send was under way: did it go out?
            else:
                self._outbox.send(reply)
        self._outbox.start()
        if replies:
            log.info("resumed unfinished replies", replies=len(replies), in_doubt=len(doubtful))
        return {"replies": len(replies), "in_doubt": len(doubtful)}
