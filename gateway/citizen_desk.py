"""The desk that answers citizens' commands (CEK, BANTUAN, STOP, MULAI) — messages that
are not complaints (`parsers/citizen_commands.py` says which).

Each command is committed like any message (the SMSC or poller hears only after that),
recorded as a command and answered once through the outbox; none opens a complaint or a
case. BANTUAN, STOP and MULAI are answered in the transaction that records them (STOP
and MULAI change the address's updates in it too). CEK is answered after its commit —
the case store is asked, which may be slow or down, and the acknowledgement must not
wait for it: the answer is queued once per message, so a redelivered CEK or a start
after a crash (`resume`) composes it again but sends one; an answer that could not be
queued is tried again after a backoff, not only at the next start. A case's status is told only
to the address that filed it; any other gets the answer a number that does not exist
gets, so numbers cannot be tried one after another.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

from twisted.internet import defer
from twisted.internet.defer import Deferred, inlineCallbacks

from gateway import instruments
from gateway.backoff import backoff_delay
from gateway.case_status import CaseStatus
from gateway.command_texts import CommandTexts, render_mine, render_status, status_words
from gateway.forwarder.base import StatusNotFound, StatusNotOffered
from gateway.logging import get_logger
from gateway.model import AcceptResult, Message
from gateway.parsers.citizen_commands import Command, CommandKind, recognise

log = get_logger(__name__)

#: how many of an address's cases a bare CEK lists
LISTED = 3
#: what a bare CEK lists for a case of the address the case store does not know
UNKNOWN_CASE = "tidak ditemukan"
#: how soon an answer that could not be queued (the database, a failure) is tried again
RETRY_INITIAL_S, RETRY_MAX_S = 5.0, 300.0


@dataclasses.dataclass(frozen=True)
class Lookup:
    """What asking the case store about one case came to: `found` (with `status`),
    `not_found`, `unavailable` (slow, down: try later) or `not_offered` (never)."""

    outcome: str
    status: CaseStatus | None = None


class CitizenDesk:
    def __init__(self, journal, outbox, texts: Callable[[], CommandTexts],
                 case_status: Callable[[str], Deferred] | None, reactor, timeout_s: float = 5.0):
        """`case_status(tracking)` fires with the case's status (status, status_text,
        updated_at) or fails (`StatusNotFound`, `StatusNotOffered`; anything else:
        unavailable); None: the case store offers no status. `timeout_s` bounds each
        question beyond the adapter's own `[forwarder].status_timeout_s` (a hanging store)."""
        self._journal = journal
        self._outbox = outbox
        self._texts = texts
        self._case_status = case_status
        self._reactor = reactor
        self._timeout_s = timeout_s
        self._composing: set[int] = set()    # CEKs whose answer is being composed
        self._failures = 0                   # in a row: the retry's backoff grows with them
        self._retry_timer = None
        self._stopped = False

    def accept(self, message: Message, command: Command) -> Deferred[AcceptResult]:
        if command.kind is CommandKind.CHECK:
            d = self._journal.accept(dataclasses.replace(message, command=command.kind.value))
            return d.addCallback(self._check_committed, message, command)
        texts = self._texts()
        answer = {CommandKind.HELP: texts.help, CommandKind.STOP: texts.stopped,
                  CommandKind.START: texts.started}[command.kind]
        d = self._journal.accept(dataclasses.replace(message, command=command.kind.value, answer=answer))
        return d.addCallback(self._answered, message, command)

    @inlineCallbacks
    def resume(self):
        """Answer the CEKs left unanswered (committed, the answer not yet queued): at a
        start (a stop came between), and again after an answer could not be queued."""
        waiting = yield self._journal.unanswered_commands(CommandKind.CHECK.value)
        for message_id, message in waiting:
            if message_id not in self._composing:
                self._compose(message_id, message, recognise(message.text) or Command(CommandKind.CHECK))
        return len(waiting)

    def stop(self) -> None:
        self._stopped = True
        if self._retry_timer is not None and self._retry_timer.active():
            self._retry_timer.cancel()

    def _answered(self, result: AcceptResult, message: Message, command: Command) -> AcceptResult:
        self._count(result, message, command)
        if result.answer is not None:
            self._outbox.send(result.answer)
        return result

    def _check_committed(self, result: AcceptResult, message: Message, command: Command) -> AcceptResult:
        self._count(result, message, command)
        # Not waited for: the upstream hears of the commit now, the answer follows. A copy
        # within one batch has no row of its own, and a redelivery while the first copy's
        # answer is being composed needs none: that answer serves.
        if result.message_id is not None and result.message_id not in self._composing:
            self._compose(result.message_id, message, command)
        return result

    @staticmethod
    def _count(result: AcceptResult, message: Message, command: Command) -> None:
        if not result.duplicate:   # a redelivery is not asked again
            instruments.count_command(command.kind.value, message.channel)

    def _compose(self, message_id: int, message: Message, command: Command) -> None:
        self._composing.add(message_id)
        d = self._answer_check(message, command)
        d.addCallback(lambda text: self._journal.queue_command_answer(message_id, text))
        d.addCallback(lambda reply: reply is not None and self._outbox.send(reply))
        d.addCallbacks(self._composed, self._not_answered, errbackArgs=(message.channel,))
        d.addBoth(lambda _: self._composing.discard(message_id))

    def _composed(self, _) -> None:
        self._failures = 0

    def _not_answered(self, failure, channel: str | None = None) -> None:
        """Never silence: the CEKs still unanswered are taken up again after a backoff."""
        self._failures += 1
        delay = backoff_delay(self._failures, RETRY_INITIAL_S, RETRY_MAX_S)
        log.error("CEK not answered; tried again later", channel=channel, retry_in_s=round(delay, 1),
                  error=failure.getErrorMessage())
        if not self._stopped and (self._retry_timer is None or not self._retry_timer.active()):
            self._retry_timer = self._reactor.callLater(delay, self._resume_owed)

    def _resume_owed(self) -> None:
        self._retry_timer = None
        self.resume().addErrback(self._not_answered)

    @inlineCallbacks
    def _answer_check(self, message: Message, command: Command):
        texts = self._texts()
        if command.tracking_id is None:
            return (yield self._my_cases(texts, message))
        tracking = yield self._journal.case_filed_by(command.tracking_id, message.channel, message.sender)
        if tracking is None:
            return texts.not_found.format(tracking=command.tracking_id)
        looked = yield self._status(tracking)
        if looked.outcome == "found":
            s = looked.status
            return render_status(texts, tracking, s.status, s.status_text, s.updated_at)
        if looked.outcome == "not_found":
            return texts.not_found.format(tracking=command.tracking_id)
        return texts.not_offered if looked.outcome == "not_offered" else texts.unavailable

    @inlineCallbacks
    def _my_cases(self, texts: CommandTexts, message: Message):
        mine = yield self._journal.cases_filed_by(message.channel, message.sender, LISTED)
        if not mine:
            return texts.none
        looked = yield defer.gatherResults([self._status(t) for t in mine])
        outcomes = {lookup.outcome for lookup in looked}
        if "not_offered" in outcomes:
            return texts.not_offered
        if "unavailable" in outcomes:
            return texts.unavailable
        return render_mine(texts, [(t, status_words(lookup.status.status, lookup.status.status_text)
                                    if lookup.outcome == "found" else UNKNOWN_CASE)
                                   for t, lookup in zip(mine, looked)])

    def _status(self, tracking: str) -> Deferred[Lookup]:
        """What the case store says of the case, bounded by `timeout_s`."""
        if self._case_status is None:
            return defer.succeed(Lookup("not_offered"))
        d = defer.maybeDeferred(self._case_status, tracking)
        d.addTimeout(self._timeout_s, self._reactor)
        d.addCallbacks(lambda status: Lookup("found", status), self._not_found_or_unavailable,
                       errbackArgs=(tracking,))
        return d

    @staticmethod
    def _not_found_or_unavailable(failure, tracking: str) -> Lookup:
        if failure.check(StatusNotFound):
            return Lookup("not_found")
        if failure.check(StatusNotOffered):
            return Lookup("not_offered")
        log.warning("case status unavailable", tracking=tracking,
                    error=f"{failure.type.__name__}: {failure.getErrorMessage()}"[:300])
        return Lookup("unavailable")
