"""The forwarding worker: every parsed complaint to the case store, exactly once.

Complaints wait in a backlog, oldest first, and up to `concurrency` submissions run at
once. A temporary failure is retried with backoff for as long as it takes; a run of
them means the case store is down (`CaseStoreHealth`): then nothing is submitted but one probe
at a time, and when the case store answers again the backlog drains oldest first.

A Retry-After pauses all submissions — the probe included — until the latest moment
any answer named (`CaseStoreHealth.quiet_until`), and is not counted as a failed attempt.
Since each complaint's own hint ends no later than that, none is retried before its
own answer time + Retry-After. The pause is handed to `remember_pause`, and a restart
starts from `paused_until`, so that it holds across restarts too.

A permanent refusal puts the complaint in the dead letters, from where an admin
retries it (`complaints retry`): every few seconds the worker looks for `parsed`
complaints it does not hold — an admin's retries — and takes them on. The receipt and
the citizen's reply are recorded in one transaction, then the reply is handed on.
Idempotency lives in the adapter (the complaint id is the key), so a retry after a
timeout that had in fact succeeded finds the same case.

The worker holds at most `hold_limit` complaints in memory: beyond that (a burst
outrunning the case store, a long outage, a big backlog at start) they stay only in
the journal, and are read back, oldest first, once the held ones are down to half —
so memory stays flat however long the backlog grows.
"""
from __future__ import annotations

import random
from datetime import timedelta
from typing import Callable

from twisted.internet.defer import Deferred, inlineCallbacks, succeed
from twisted.internet.task import LoopingCall

from gateway import instruments
from gateway.backoff import backoff_delay, delay_until
from gateway.forwarder.backlog import HOLD_LIMIT, Backlog, failure_text
from gateway.forwarder.base import CaseStore, CaseStoreRefusesUs, PermanentFailure, TemporaryFailure
from gateway.forwarder.case_store_health import CaseStoreHealth, CaseStoreState
from gateway.forwarder.settings import ForwarderSettings
from gateway.lease_keeper import LeaseKeeper
from gateway.logging import get_logger
from gateway.model import Complaint, Reply, utcnow
from gateway.pending import PendingWork

log = get_logger(__name__)

class ForwardingWorker:
    def __init__(self, case_store: CaseStore, database, reactor, settings: ForwarderSettings, *,
                 reply_for: Callable[[Complaint, str], tuple[str, str]],
                 on_reply: Callable[[Reply], None], rescan_batch: int = 500, rng=random.random,
                 paused_until: float | None = None, remember_pause: Callable[[float], None] | None = None,
                 intake_first=None, hold_limit: int = HOLD_LIMIT):
        """`paused_until` (a pause remembered before a restart) and the argument of
        `remember_pause` are reactor seconds: Unix time on a real reactor. `intake_first`
        (an `IntakeFirst`) holds new submissions back while intake is saturated."""
        self.settings = settings
        self._case_store = case_store
        self._database = database   # ours: the journal of every complaint
        self._reactor = reactor
        self._concurrency = settings.concurrency
        self._timeout = settings.timeout_s
        self._retry = retry_initial_s, retry_max_s = settings.retry_initial_s, settings.retry_max_s
        self._rng = rng
        self._reply_for = reply_for   # (complaint, tracking id) -> (reply kind, reply text)
        self._on_reply = on_reply
        self._remember_pause = None  # set below: a restored pause need not be written back
        self.health = CaseStoreHealth(settings.outage_after_failures, retry_initial_s, retry_max_s, rng)
        self._backlog = Backlog()
        self._held: set[str] = set()          # in the backlog, waiting for a retry, or in flight
        self._attempts: dict[str, int] = {}
        self._in_flight = 0
        self._pumping = False
        self._probe_timer = None
        self._quiet_timer = None
        self._pending = PendingWork(reactor)
        self._settled_waiters: list[Deferred] = []
        self._rescan_batch = rescan_batch
        self._finished_since_scan: set[str] | None = None
        self._rescan = None
        self._intake_first = intake_first
        self._claims = LeaseKeeper(getattr(database, "lease", None), reactor,
                                   lambda ids: database.renew_leases(ids), lambda: self._held,
                                   self._given_up, "complaints")
        self._dropped: set[str] = set()   # held no more (another instance's now): skip if met
        self._hold_limit = hold_limit
        self._left_in_journal = False   # complaints not held for want of room
        self._turned_away = 0           # how many times, to know whether a read-back saw them all
        self.forwarded = 0
        self.dead = 0
        self.submissions = 0
        if paused_until is not None and paused_until > reactor.seconds():
            self._pause(paused_until)
        self._remember_pause = remember_pause

    def start_rescans(self) -> None:
        """Look for `parsed` complaints this worker does not hold (an admin's retry, a
        complaint revived) every `rescan_interval_s`."""
        if self._rescan is None and not self._pending.stopping:
            self._rescan = LoopingCall(self._pick_up_due)
            self._rescan.clock = self._reactor
            self._rescan.start(self.settings.rescan_interval_s, now=False)
            self._claims.start()

    def _given_up(self, complaint_ids: set[str]) -> None:
        """Complaints whose claim another instance took over: never submitted from here."""
        self._held -= complaint_ids
        self._dropped |= complaint_ids
        self._tell_if_settled()

    # -- intake --------------------------------------------------------------------------
    def enqueue(self, complaint: Complaint) -> None:
        """Forward `complaint` (ignored if this worker already holds it, or is stopping)."""
        if self._pending.stopping or complaint.id in self._held:
            return
        if len(self._held) >= self._hold_limit:
            self._left_in_journal = True   # read back when there is room
            self._turned_away += 1
            return
        self._held.add(complaint.id)
        # Claimed when committed or read back: surely not before the message came.
        self._claims.claimed(complaint.id, complaint.message.received_at.timestamp())
        self._backlog.push(complaint)
        self._pump()

    def settled(self) -> Deferred[None]:
        """Fires when the worker holds nothing and left nothing in the journal: every
        complaint given to it is forwarded or dead."""
        if not self._held and not self._left_in_journal:
            return succeed(None)
        d: Deferred = Deferred()
        self._settled_waiters.append(d)
        return d

    @property
    def backlog(self) -> int:
        """Complaints held in memory (at most `hold_limit`; see `backlog_beyond_memory`)."""
        return len(self._held)

    @property
    def hold_limit(self) -> int:
        return self._hold_limit

    def more_in_journal(self) -> None:
        """Complaints wait in the journal that were never offered (a restart's backlog
        beyond `hold_limit`): read them back as room appears."""
        self._left_in_journal = True
        self._turned_away += 1
        if len(self._held) <= self._hold_limit // 2:
            self._pick_up_due()

    @property
    def backlog_beyond_memory(self) -> bool:
        """True while complaints wait in the journal for room in the backlog."""
        return self._left_in_journal

    # -- submission ----------------------------------------------------------------------
    def _pump(self) -> None:
        # Re-entry guard: an adapter that answers synchronously would otherwise recurse.
        if self._pumping or self._pending.stopping:
            return
        if self.health.quiet(self._reactor.seconds()):
            self._wake_when_quiet_ends()
            return
        if (self._intake_first is not None and self._backlog
                and self._in_flight < self.health.slots(self._concurrency)
                and not self._intake_first.may_start("forwarder", self._pump)):
            return
        self._pumping = True
        try:
            # slots() each turn: starting the probe takes the only slot an outage leaves
            while self._backlog and self._in_flight < self.health.slots(self._concurrency):
                complaint = self._backlog.pop()
                if complaint.id in self._dropped:
                    self._dropped.discard(complaint.id)
                    continue
                if not self._claims.fresh(complaint.id):   # never a request under a lapsing claim
                    self._backlog.push(complaint)
                    self._claims.renew_then(self._pump)
                    break
                self._start(complaint)
        finally:
            self._pumping = False

    def _start(self, complaint: Complaint) -> None:
        self._in_flight += 1
        self.submissions += 1
        d = self._pending.track(self._attempt(complaint))
        d.addErrback(lambda f: log.error("forwarding worker failed", complaint=complaint.id,
                                         error=f.getErrorMessage()))
        d.addBoth(self._slot_freed)

    def _slot_freed(self, _) -> None:
        self._in_flight -= 1
        self._pump()

    @inlineCallbacks
    def _attempt(self, complaint: Complaint):
        started = self._reactor.seconds()
        try:
            d = self._case_store.submit(complaint)
            d.addTimeout(self._timeout, self._reactor)
            receipt = yield d
        except PermanentFailure as refusal:
            self._case_store_answered()
            instruments.observe_forward("refused", self._reactor.seconds() - started)
            yield self._give_up(complaint, str(refusal))
            return
        except Exception as error:  # noqa: BLE001 - every other failure is worth a retry
            instruments.observe_forward("failed", self._reactor.seconds() - started)
            yield self._retry_later(complaint, error, case_store_failed=True)
            return
        self._case_store_answered()
        instruments.observe_forward("forwarded", self._reactor.seconds() - started)
        kind, text = self._reply_for(complaint, receipt.tracking_id)
        try:
            reply = yield self._database.record_forwarded(complaint.id, receipt.tracking_id, kind, text)
        except Exception as error:  # noqa: BLE001 - our database failed; the resubmit is idempotent
            yield self._retry_later(complaint, error, case_store_failed=False)
            return
        self._finished(complaint.id)
        self.forwarded += 1
        log.debug("complaint forwarded", complaint=complaint.id, tracking_id=receipt.tracking_id,
                 seconds=round(self._reactor.seconds() - started, 3))
        if reply is not None:
            self._on_reply(reply)

    @inlineCallbacks
    def _give_up(self, complaint: Complaint, reason: str):
        """A dead letter; its citizen hears the complaint arrived, with our reference."""
        self.dead += 1
        self._finished(complaint.id)
        log.warning("complaint refused by the case store; now a dead letter",
                    complaint=complaint.id, reason=reason)
        reply = yield self._database.record_forward_failure(
            complaint.id, reason, dead=True, next_attempt_at=None, reply=self._reply_for(complaint, None))
        if reply is not None:
            self._on_reply(reply)

    def _retry_later(self, complaint: Complaint, error: Exception, case_store_failed: bool) -> Deferred:
        # The answer's time: a Retry-After counts from when it arrived, not from the request.
        now = self._reactor.seconds()
        retry_after = error.retry_after if isinstance(error, TemporaryFailure) else None
        reason = failure_text(error, self._timeout)
        refused_us = isinstance(error, CaseStoreRefusesUs)
        attempt = False   # only a real attempt counts in the complaint's `forward_attempts`
        if case_store_failed and retry_after:
            # A pause the case store asked for, not a failed attempt: no backoff grows from it.
            self._pause(now + retry_after)
        elif refused_us:
            self._refused_us(error, reason)   # not the complaint's attempt: it waits, oldest first
        else:
            attempt = True
            self._failed(complaint, case_store_failed, reason)
        if self.health.state is CaseStoreState.UP:
            delay = backoff_delay(self._attempts[complaint.id], *self._retry, rng=self._rng)
            self._pending.later(complaint.id, delay, self._due, complaint)
        else:
            # Wait in the backlog: the probe, and then the recovery, take it in age order.
            self._backlog.push(complaint)
            delay = self._resumes_at() - now
        # While the case store refuses us, its state change was the line worth logging.
        (log.debug if refused_us else log.warning)(
            "forwarding failed; will retry", complaint=complaint.id,
            attempt=self._attempts.get(complaint.id, 0), retry_in_s=round(delay, 2), reason=reason)
        return self._database.record_forward_failure(complaint.id, reason, dead=False,
                                                  next_attempt_at=utcnow() + timedelta(seconds=delay),
                                                  attempt=attempt)

    def _failed(self, complaint: Complaint, case_store_failed: bool, reason: str) -> None:
        """Count a failed attempt; take the case store down after a run of them."""
        self._attempts[complaint.id] = self._attempts.get(complaint.id, 0) + 1
        if case_store_failed and self.health.failed():
            delay = self.health.probe_delay()
            self._schedule_probe(self._reactor.seconds() + delay)
            log.warning("case store unavailable; forwarding paused", failures_in_row=
                        self.health.failures_in_row, probe_in_s=round(delay, 2), reason=reason)

    def _refused_us(self, error: CaseStoreRefusesUs, reason: str) -> None:
        """The case store refuses the gateway itself: an outage until ops fix it (the token,
        a grant, the certificate, the name) — never a dead letter."""
        news = self.health.refuses_us(error.why)
        delay = self.health.probe_delay()
        self._schedule_probe(self._reactor.seconds() + delay)
        if news:
            log.error("case store refuses the gateway; forwarding paused until that is fixed",
                      why=error.why, reason=reason, probe_in_s=round(delay, 2))

    def replace_case_store(self, case_store: CaseStore) -> Deferred:
        """Forward through `case_store` from now on (a reload's new token), and try it at
        once if the old one was refused; fires when the old one is closed."""
        old, self._case_store = self._case_store, case_store
        if self.health.state is not CaseStoreState.UP:
            self._schedule_probe(self._reactor.seconds())
        d = old.close()
        return d if d is not None else succeed(None)

    def _due(self, complaint: Complaint) -> None:
        self._backlog.push(complaint)
        self._pump()

    def _finished(self, complaint_id: str) -> None:
        self._held.discard(complaint_id)
        self._attempts.pop(complaint_id, None)
        if self._finished_since_scan is not None:
            self._finished_since_scan.add(complaint_id)
        if self._left_in_journal and len(self._held) <= self._hold_limit // 2:
            self._pick_up_due()
        self._tell_if_settled()

    def _tell_if_settled(self) -> None:
        if not self._held and not self._left_in_journal:
            waiters, self._settled_waiters = self._settled_waiters, []
            for waiter in waiters:
                waiter.callback(None)

    # -- the case store's health --------------------------------------------------------------
    def _case_store_answered(self) -> None:
        if self.health.answered(self._reactor.seconds()):
            if self._probe_timer is not None and self._probe_timer.active():
                self._probe_timer.cancel()
            self._probe_timer = None
            log.info("case store answering again; forwarding resumed", backlog=len(self._backlog))
            self._pump()

    def _pause(self, until: float) -> None:
        """Submit nothing before `until`, as the case store asked; remember that across restarts."""
        extended = until > self.health.quiet_until
        if self.health.pause(until):
            self._schedule_probe(until)
            log.warning("case store asked for a pause; forwarding paused",
                        resume_in_s=round(until - self._reactor.seconds(), 2))
        if extended and self._remember_pause is not None:
            self._remember_pause(until)

    def _resumes_at(self) -> float:
        """When the next submission may go out while the case store is down or paused."""
        probe_at = self._probe_timer.getTime() if self._probe_timer is not None else 0.0
        return max(probe_at, self.health.quiet_until, self._reactor.seconds())

    def _schedule_probe(self, moment: float) -> None:
        if self._probe_timer is not None and self._probe_timer.active():
            self._probe_timer.cancel()
        self._probe_timer = self._reactor.callLater(delay_until(self._reactor.seconds(), moment), self._probe)

    def _probe(self) -> None:
        self._probe_timer = None
        self.health.probe()
        self._pump()

    def _wake_when_quiet_ends(self) -> None:
        until = self.health.quiet_until
        timer = self._quiet_timer
        if timer is not None and timer.active() and timer.getTime() >= until:
            return
        if timer is not None and timer.active():
            timer.cancel()
        self._quiet_timer = self._reactor.callLater(delay_until(self._reactor.seconds(), until), self._quiet_over)

    def _quiet_over(self) -> None:
        self._quiet_timer = None
        self._pump()

    # -- an admin's retries --------------------------------------------------------------
    def _pick_up_due(self) -> Deferred | None:
        """Take on `parsed` complaints that are due and not held here: revived dead
        letters, and those left in the journal while the backlog was full. One look at a
        time."""
        room = min(self._rescan_batch, self._hold_limit - len(self._held))
        if self._pending.stopping or self._finished_since_scan is not None or room <= 0:
            return None
        self._finished_since_scan = set()
        d = self._database.due_complaints(utcnow(), room, sorted(self._held))
        d.addCallback(self._picked_up, room, self._turned_away)
        d.addErrback(self._pick_up_failed)
        return d

    def _picked_up(self, complaints: list[Complaint], room: int, turned_away: int) -> None:
        finished, self._finished_since_scan = self._finished_since_scan or set(), None
        if len(complaints) < room and turned_away == self._turned_away:
            self._left_in_journal = False   # the look saw every one of them
        fresh = [c for c in complaints if c.id not in self._held and c.id not in finished]
        if fresh:
            log.info("picked up complaints to forward", count=len(fresh))
        for complaint in fresh:
            self.enqueue(complaint)
        if self._left_in_journal and len(self._held) <= self._hold_limit // 2:
            self._reactor.callLater(0, self._pick_up_due)   # more came in during the look
        self._tell_if_settled()

    def _pick_up_failed(self, failure) -> None:
        self._finished_since_scan = None
        log.error("could not look for complaints to forward", error=failure.getErrorMessage())

    # -- drain ---------------------------------------------------------------------------
    @inlineCallbacks
    def stop(self):
        """Start no new submissions; fire when the ones under way have finished and the
        adapter's connections are closed. What was not forwarded stays `parsed` and
        resumes at the next start."""
        if self._rescan is not None and self._rescan.running:
            self._rescan.stop()
        self._claims.stop()
        for timer in (self._probe_timer, self._quiet_timer):
            if timer is not None and timer.active():
                timer.cancel()
        yield self._pending.stop()
        yield self._case_store.close()

