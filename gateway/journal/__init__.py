"""The journal: our database's record of every message, complaint and reply, behind a small
async API — the one door the rest of the gateway uses (the case store is theirs).

Every method returns a Deferred and does its work in the database thread pool;
writes go through group commit. `open_journal` prepares the schema (see `migrate.py`).
"""
from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path

from twisted.internet.defer import Deferred, inlineCallbacks, succeed

from gateway.case_status import CaseEvent, CaseStatus
from gateway.model import (AcceptResult, Complaint, DeliveryReport, HeldPart, Message, PartOutcome,
                           Reply, Routing)
from gateway.journal import (citizen_journal, complaint_journal, complaint_lookup, event_journal, health,
                             hint_journal, intake_journal, leadership_journal, migrate, reply_journal)
from gateway.journal.event_journal import EventRecord
from gateway.journal.database import Database, GroupCommitter, make_engine
from gateway.journal.leases import Lease, default_instance_id

__all__ = ["EventRecord", "Journal", "Lease", "default_instance_id", "open_journal"]


class Journal:
    def __init__(self, database: Database, group_commit_max: int = 500, lease: Lease | None = None):
        """`lease`: this instance's claim on the complaints it forwards (several instances
        on one PostgreSQL); None: one instance, no claims."""
        self.database = database
        self.committer = GroupCommitter(database, group_commit_max)
        self.lease = lease
        # One object per journal, so that consecutive accepts still share a bulk write.
        self._accept_messages = partial(intake_journal.accept_messages, lease=lease)
        self._record_forwardeds = partial(complaint_journal.record_forwardeds, lease=lease)

    # -- writes (group-committed) ------------------------------------------------------
    def accept(self, message: Message, routing: Routing | None = None) -> Deferred[AcceptResult]:
        """Commit `message` and open its complaint — parsed at once when its `routing` is
        given — or learn which committed message it repeats."""
        return self.committer.submit_bulk(self._accept_messages, (message, routing), first=True)

    def record_routing(self, complaint_id: str, routing: Routing) -> Deferred[None]:
        return self.committer.submit_bulk(complaint_journal.record_routings, (complaint_id, routing))

    def record_forwarded(self, complaint_id: str, tracking_id: str, reply_kind: str,
                         reply_text: str) -> Deferred[Reply | None]:
        return self.committer.submit_bulk(self._record_forwardeds,
                                          (complaint_id, tracking_id, reply_kind, reply_text))

    def record_forward_failure(self, complaint_id: str, error: str, dead: bool,
                               next_attempt_at: datetime | None,
                               reply: tuple[str, str] | None = None,
                               attempt: bool = True) -> Deferred[Reply | None]:
        """A failed forward; a dead letter's citizen gets `reply` (kind, text), queued with it.
        `attempt` False: a Retry-After pause or the case store refusing us, not counted."""
        return self.committer.submit(partial(
            complaint_journal.record_forward_failure, complaint_id=complaint_id, error=error, dead=dead,
            next_attempt_at=next_attempt_at, reply=reply, lease=self.lease, attempt=attempt))

    def revive_dead(self, complaint_id: str | None = None) -> Deferred[list[str]]:
        return self.committer.submit(partial(complaint_journal.revive_dead, complaint_id=complaint_id))

    def queue_duplicate_reply(self, complaint_id: str, text: str, quiet_s: float,
                              max_replies: int) -> Deferred[Reply | None]:
        return self.committer.submit(partial(
            reply_journal.queue_duplicate_reply, complaint_id=complaint_id, text=text, quiet_s=quiet_s,
            max_replies=max_replies, lease=self.lease))

    def record_reply_sending(self, reply_id: int) -> Deferred[bool]:
        """Commit the intent to send; False if the reply is no longer queued."""
        return self.committer.submit_bulk(reply_journal.mark_replies_sending, reply_id)

    def record_reply_sent(self, reply_id: int, channel_message_id: str,
                          delivered: str | None = None) -> Deferred[tuple[str, bool] | None]:
        """`delivered`: the delivery status, when the channel taking it is the delivery.
        Fires with (status, delivered) of a final receipt that had come (and was parked)
        before this record, which settles the reply now; else None."""
        return self.committer.submit_bulk(reply_journal.record_replies_sent,
                                          (reply_id, channel_message_id, delivered))

    def record_reply_uncertain(self, reply_id: int, reason: str) -> Deferred[None]:
        return self.committer.submit(partial(reply_journal.mark_uncertain, reply_id=reply_id,
                                             reason=reason))

    def requeue_reply(self, reply_id: int, resend: bool = False,
                      reason: str | None = None) -> Deferred[None]:
        return self.committer.submit(partial(reply_journal.requeue, reply_id=reply_id, resend=resend,
                                             reason=reason))

    def settle_reply(self, reply_id: int, parked_id: int) -> Deferred[bool]:
        return self.committer.submit(partial(reply_journal.settle_with_report, reply_id=reply_id,
                                             parked_id=parked_id))

    def resume_replies(self, channels: list[str] | None = None) -> Deferred[list[Reply]]:
        """The replies of `channels` a start carries on with (no other instance's)."""
        return self.committer.submit(partial(reply_journal.resume_replies, lease=self.lease,
                                             channels=channels))

    def save_hint(self, key: str, value: dict) -> Deferred[None]:
        return self.committer.submit(partial(hint_journal.save_hint, key=key, value=value))

    def spend_budget(self, key: str, limit: int, window_s: float, now: float) -> Deferred[float]:
        """Spend one request of a budget every instance shares: 0.0, or the seconds to wait."""
        return self.committer.submit(partial(hint_journal.spend_budget, key=key, limit=limit,
                                             window_s=window_s, now=now))

    def block_budget(self, key: str, until: float) -> Deferred[None]:
        return self.committer.submit(partial(hint_journal.block_budget, key=key, until=until))

    def match_parked_reports(self) -> Deferred[int]:
        """Settle parked receipts whose reply another instance has recorded as sent since."""
        return self.committer.submit(reply_journal.match_parked_reports)

    def forget_parked_reports(self, older_than: datetime) -> Deferred[int]:
        return self.committer.submit(partial(reply_journal.forget_parked_reports,
                                             older_than=older_than))

    def record_reply_failure(self, reply_id: int, error: str, final: bool) -> Deferred[int]:
        return self.committer.submit(partial(reply_journal.record_reply_failure, reply_id=reply_id,
                                             error=error, final=final))

    def record_delivery(self, report: DeliveryReport) -> Deferred["reply_journal.DeliveryMatch | None"]:
        """Store a delivery report on its reply: the reply it is about, or None when no
        reply has its id (yet)."""
        return self.committer.submit_bulk(reply_journal.record_deliveries, report)

    def hold_part(self, part: HeldPart) -> Deferred[PartOutcome]:
        return self.committer.submit_bulk(intake_journal.hold_parts, part, first=True)

    def save_cursor(self, channel: str, value: str) -> Deferred[None]:
        return self.committer.submit(partial(intake_journal.save_cursor, channel=channel, value=value))

    def create_local_case(self, idempotency_key: str, payload: dict, first_number: int) -> Deferred[int]:
        """The embedded case store's tracking number for `idempotency_key` (the same one
        again for a key seen before), group-committed with everything else."""
        return self.committer.submit_bulk(complaint_journal.create_local_cases,
                                          (idempotency_key, payload, first_number))

    def queue_command_answer(self, message_id: int, text: str) -> Deferred[Reply | None]:
        """The answer to a command composed after its commit; None if it had one already."""
        return self.committer.submit(partial(intake_journal.queue_command_answer, message_id=message_id,
                                             text=text, lease=self.lease))

    def record_case_event(self, event: CaseEvent, notice_text: str,
                          updates_per_day: int) -> Deferred[EventRecord]:
        """Store a status event pushed by the case store and queue `notice_text` to its
        citizen (unless held back: STOP, the day's cap...), in one transaction; a replay
        of a stored event id does nothing (see `event_journal`)."""
        return self.committer.submit(partial(event_journal.record_case_event, event=event,
                                             notice_text=notice_text, updates_per_day=updates_per_day,
                                             lease=self.lease))

    def record_address_gone(self, reply_id: int, reason: str) -> Deferred[bool]:
        """The reply's address is gone for good (Telegram 403): the reply fails and the
        address is opted out of updates, together; whether it was newly opted out."""
        return self.committer.submit(partial(citizen_journal.address_gone, reply_id=reply_id,
                                             reason=reason))

    # -- reads ---------------------------------------------------------------------------
    def local_case_status(self, tracking_number: int) -> Deferred[CaseStatus | None]:
        """The embedded case store's status of a case, or None when it has no such case."""
        return self.database.transact(partial(complaint_journal.local_case_status,
                                              tracking_number=tracking_number))
    def unanswered_commands(self, command: str) -> Deferred[list[tuple[int, Message]]]:
        return self.database.transact(partial(intake_journal.unanswered_commands, command=command))

    def case_filed_by(self, tracking_id: str, channel: str, sender: str) -> Deferred[str | None]:
        return self.database.transact(partial(complaint_lookup.case_filed_by, tracking_id=tracking_id,
                                              channel=channel, sender=sender))

    def cases_filed_by(self, channel: str, sender: str, limit: int = 3) -> Deferred[list[str]]:
        return self.database.transact(partial(complaint_lookup.cases_filed_by, channel=channel,
                                              sender=sender, limit=limit))

    def load_cursor(self, channel: str) -> Deferred[str | None]:
        return self.database.transact(partial(intake_journal.load_cursor, channel=channel))

    def held_parts(self, channel: str, parts_key: str | None = None) -> Deferred[list[HeldPart]]:
        return self.database.transact(partial(intake_journal.held_parts, channel=channel,
                                              parts_key=parts_key))

    def claim_expired_parts(self, channel: str, older_than: datetime,
                            completed_since: datetime) -> Deferred[list[HeldPart]]:
        """Parts of long messages that stopped coming (wherever they arrived), claimed for
        this instance to commit as partial messages."""
        return self.committer.submit(partial(intake_journal.claim_expired_parts, channel=channel,
                                             older_than=older_than, completed_since=completed_since,
                                             lease=self.lease))

    def unfinished_complaints(self, limit: int | None = None) -> Deferred[tuple[list[Complaint], int]]:
        """(the complaints a restart carries on with — at most `limit` parsed ones, those
        no other instance holds, claimed — and how many are unfinished in all)."""
        return self.database.transact(partial(complaint_journal.unfinished_complaints, limit=limit,
                                              lease=self.lease))

    def renew_leases(self, complaint_ids: list[str]) -> Deferred[tuple[list[str], list[str]]]:
        """Extend this instance's claims: (the ids it still holds, those extended now —
        a row being written meanwhile is skipped, still held)."""
        if self.lease is None:
            return succeed((list(complaint_ids), list(complaint_ids)))
        return self.database.transact(partial(complaint_journal.renew_leases, ids=complaint_ids,
                                              lease=self.lease))

    def due_complaints(self, now: datetime, limit: int = 500,
                       held: list[str] = ()) -> Deferred[list[Complaint]]:
        return self.database.transact(partial(complaint_journal.due_complaints, now=now, limit=limit,
                                              held=held, lease=self.lease))

    def replies_not_held(self, held: list[int], limit: int = 500,
                         channels: list[str] | None = None) -> Deferred[list[Reply]]:
        """Queued replies of `channels`, oldest first, but those in `held` — and those
        another instance holds; claimed for this one."""
        return self.database.transact(partial(reply_journal.queued_replies_except, held=held,
                                              limit=limit, lease=self.lease, channels=channels))

    def replies_in_doubt_of_the_dead(self, channels: list[str]) -> Deferred[list[Reply]]:
        """Another instance's sends in doubt whose leases ran out, claimed (none with one instance)."""
        if self.lease is None:
            return succeed([])
        return self.committer.submit(partial(reply_journal.replies_in_doubt_of_the_dead, lease=self.lease,
                                             channels=channels))

    def renew_reply_leases(self, reply_ids: list[int]) -> Deferred[tuple[list[int], list[int]]]:
        """Extend this instance's claims on replies: (the ids it still holds, those extended now)."""
        if self.lease is None:
            return succeed((list(reply_ids), list(reply_ids)))
        return self.database.transact(partial(reply_journal.renew_reply_leases, ids=reply_ids,
                                              lease=self.lease))

    def claim_leadership(self, name: str) -> Deferred[bool]:
        """Take or renew the single-instance job `name` for this instance's lease; whether
        it holds the job now. Not behind the group commit: a renewal must not wait for a
        burst's writes (nor be held up by one that fails)."""
        if self.lease is None:
            return succeed(True)
        return self.database.transact(partial(leadership_journal.claim, name=name, lease=self.lease))

    def release_leadership(self, name: str) -> Deferred[None]:
        """Let the job `name` go at once, for the next instance that tries."""
        if self.lease is None:
            return succeed(None)
        return self.database.transact(partial(leadership_journal.release, name=name, lease=self.lease))

    def find_parked_report(self, channel: str, address: str, since: datetime,
                           snippet: str | None) -> Deferred[int | None]:
        return self.database.transact(partial(reply_journal.find_parked_report, channel=channel,
                                              address=address, since=since, snippet=snippet))

    def load_hints(self) -> Deferred[dict[str, dict]]:
        return self.database.transact(hint_journal.load_hints)

    def queue_depths(self) -> Deferred[dict]:
        """Complaints per state and per routing status, replies per state, and when the
        oldest pending complaint was made, in one read: what /metrics shows as queue
        depths and the backlog's age."""
        return self.database.transact(health.queue_depths)

    def ping(self) -> Deferred[None]:
        """Fires when the database answers a trivial query (what /healthz asks)."""
        return self.database.transact(health.ping)

    def count_replies_by_state(self) -> Deferred[dict[str, int]]:
        return self.database.transact(reply_journal.count_replies_by_state)

    def list_complaints(self, state: str | None = None, limit: int = 100) -> Deferred[list[dict]]:
        return self.database.transact(partial(complaint_journal.list_complaints, state=state,
                                              limit=limit))

    def show_complaint(self, complaint_id: str) -> Deferred[dict | None]:
        return self.database.transact(partial(complaint_journal.show_complaint,
                                              complaint_id=complaint_id))

    def count_by_state(self) -> Deferred[dict[str, int]]:
        return self.database.transact(complaint_journal.count_by_state)

    # -- lifecycle -----------------------------------------------------------------------
    def drain(self) -> Deferred[None]:
        """Fires once every write submitted so far is committed (or failed)."""
        return self.committer.idle()

    def close(self) -> None:
        self.database.stop()


@inlineCallbacks
def open_journal(url: str, reactor, *, migrate_on_start: bool = True, sqlite_synchronous: str = "normal",
                 group_commit_max: int = 500, lease: Lease | None = None):
    """Open the database, check or upgrade its schema (in the pool), return its Journal."""
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    threads = 1 if url.startswith("sqlite") else 4
    database = Database(make_engine(url, sqlite_synchronous), reactor, threads)
    database.start()
    try:
        outcome = yield database.call(migrate.ensure_schema, database.engine, migrate_on_start)
    except BaseException:
        database.stop()
        raise
    journal = Journal(database, group_commit_max, lease)
    journal.schema_outcome = outcome
    return journal
