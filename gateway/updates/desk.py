"""The desk that takes the case store's status events: each is recorded with the
citizen's notification in one transaction, then the notification goes to the outbox.

Thin on purpose: what holds a notification back (STOP, the daily cap, an older or
repeated status) is decided in the journal (`event_journal`) from what the database
holds, so two instances, a crash or a replay cannot decide it twice. The desk renders
the text (the templates of `[replies.templates.updates]`, in force after a reload),
counts what happened, and hands the queued reply on — once the transaction committed,
as the pipeline hands on a complaint's reply.
"""
from __future__ import annotations

from typing import Callable

from twisted.internet.defer import Deferred

from gateway import instruments
from gateway.case_status import CaseEvent
from gateway.logging import get_logger
from gateway.model import Reply

log = get_logger(__name__)


class CaseEventDesk:
    def __init__(self, journal, send: Callable[[Reply], None],
                 notice_text: Callable[[str, str, str | None], str], updates_per_day: int):
        """`send` hands a queued reply to the outbox; `notice_text(tracking, status,
        status_text)` renders the update the citizen reads."""
        self._journal = journal
        self._send = send
        self._notice_text = notice_text
        self._updates_per_day = updates_per_day

    def receive(self, event: CaseEvent) -> Deferred:
        """Record `event` (and queue its notification); fires with the journal's
        `EventRecord` once committed — what the case store may be told — or fails
        (nothing stored: the case store sends it again)."""
        text = self._notice_text(event.tracking_id, event.status, event.status_text)
        d = self._journal.record_case_event(event, text, self._updates_per_day)
        d.addCallback(self._recorded, event)
        return d

    def _recorded(self, record, event: CaseEvent):
        instruments.observe_case_event(record.outcome)
        if record.outcome == "unknown_tracking":
            log.warning("case event for a tracking number no complaint has; refused",
                        event_id=event.event_id, tracking_id=event.tracking_id)
            return record
        if record.outcome == "replay":
            log.info("case event stored before; nothing done", event_id=event.event_id)
            return record
        instruments.observe_update_notice(record.notice)
        log.info("case event recorded", event_id=event.event_id, tracking_id=event.tracking_id,
                 complaint=record.complaint_id, status=event.status, notice=record.notice,
                 reply=record.reply.id if record.reply else None)
        if record.reply is not None:
            self._send(record.reply)
        return record
