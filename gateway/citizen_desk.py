"""The desk that answers citizens' commands (CEK, BANTUAN, STOP, MULAI) — messages that
are not complaints (`parsers/citizen_commands.py` says which).

Each command is committed like any message (the SMSC or poller hears only after that),
recorded as a command and answered once through the outbox; none opens a complaint or a
case. BANTUAN, STOP and MULAI are answered in the transaction that records them (STOP
and MULAI change the address's updates in it too). CEK is answered after its commit —
the case store is asked, which may be slow or down, and the acknowledgement must not
wait for it: the answer is queued once per message, so a redelivered CEK or a start
after a crash (`resume`) composes it again but sends one. A case's status is told only
to the address that filed it; any other gets the answer a number that does not exist
gets, so numbers cannot be tried one after another.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

from twisted.internet import defer
from twisted.internet.defer import Deferred, inlineCallbacks

from gateway import instruments
from gateway.command_texts import CommandTexts, render_mine, render_status, status_words
from gateway.forwarder.base import StatusNotFound
from gateway.logging import get_logger
from gateway.model import AcceptResult, Message
from gateway.parsers.citizen_commands import Command, CommandKind, recognise

log = get_logger(__name__)

#: how many of an address's cases a bare CEK lists
LISTED = 3


class CitizenDesk:
    def __init__(self, journal, outbox, texts: Callable[[], CommandTexts],
                 case_status: Callable[[str], Deferred] | None, reactor, timeout_s: float = 5.0):
        """`case_status(tracking)` fires with the case's status (status, status_text,
        updated_at) or fails (`StatusNotFound`; anything else: unavailable); None: the case
        store offers no status. `timeout_s` bounds each question beyond the adapter's own
        `[forwarder].status_timeout_s` (a hanging store)."""
        self._journal = journal
        self._outbox = outbox
        self._texts = texts
        self._case_status = case_status
        self._reactor = reactor
        self._timeout_s = timeout_s

    def accept(self, message: Message, command: Command) -> Deferred[AcceptResult]:
        instruments.count_command(command.kind.value, message.channel)
        if command.kind is CommandKind.CHECK:
            d = self._journal.accept(dataclasses.replace(message, command=command.kind.value))
            return d.addCallback(self._check_committed, message, command)
        texts = self._texts()
        answer = {CommandKind.HELP: texts.help, CommandKind.STOP: texts.stopped,
                  CommandKind.START: texts.started}[command.kind]
        d = self._journal.accept(dataclasses.replace(message, command=command.kind.value, answer=answer))
        return d.addCallback(self._answered)

    @inlineCallbacks
    def resume(self):
        """Answer the CEKs a stop left unanswered (committed, the answer not yet queued)."""
        waiting = yield self._journal.unanswered_commands(CommandKind.CHECK.value)
        for message_id, message in waiting:
            self._compose(message_id, message, recognise(message.text) or Command(CommandKind.CHECK))
        return len(waiting)

    def _answered(self, result: AcceptResult) -> AcceptResult:
        if result.answer is not None:
            self._outbox.send(result.answer)
        return result

    def _check_committed(self, result: AcceptResult, message: Message, command: Command) -> AcceptResult:
        # Not waited for: the upstream hears of the commit now, the answer follows.
        self._compose(result.message_id, message, command)
        return result

    def _compose(self, message_id: int, message: Message, command: Command) -> None:
        d = self._answer_check(message, command)
        d.addCallback(lambda text: self._journal.queue_command_answer(message_id, text))
        d.addCallback(lambda reply: reply is not None and self._outbox.send(reply))
        d.addErrback(lambda f: log.error("CEK not answered; it is answered at the next start",
                                         channel=message.channel, error=f.getErrorMessage()))

    @inlineCallbacks
    def _answer_check(self, message: Message, command: Command):
        texts = self._texts()
        if command.tracking_id is None:
            mine = yield self._journal.cases_filed_by(message.channel, message.sender, LISTED)
            if not mine:
                return texts.none
            found = yield defer.gatherResults([self._status(t) for t in mine])
            if any(f is None for f in found):
                return texts.unavailable
            return render_mine(texts, [(t, status_words(s.status, s.status_text)) for t, s in zip(mine, found)])
        tracking = command.tracking_id
        if not (yield self._journal.case_filed_by(tracking, message.channel, message.sender)):
            return texts.not_found.format(tracking=tracking)
        status = yield self._status(tracking)
        if status is StatusNotFound:
            return texts.not_found.format(tracking=tracking)
        if status is None:
            return texts.unavailable
        return render_status(texts, tracking, status.status, status.status_text, status.updated_at)

    def _status(self, tracking: str) -> Deferred:
        """The case's status; `StatusNotFound` (the class) when the store knows no such
        case; None when it cannot say now (slow, down, or no status offered)."""
        if self._case_status is None:
            return defer.succeed(None)
        d = defer.maybeDeferred(self._case_status, tracking)
        d.addTimeout(self._timeout_s, self._reactor)
        d.addErrback(self._unavailable, tracking)
        return d

    @staticmethod
    def _unavailable(failure, tracking: str):
        if failure.check(StatusNotFound):
            return StatusNotFound
        log.warning("case status unavailable", tracking=tracking,
                    error=f"{failure.type.__name__}: {failure.getErrorMessage()}"[:300])
        return None
