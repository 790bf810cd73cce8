"""The outbox: every queued reply to its channel exactly once, under crashes, dropped
links and rate limits — the reply leg held to the intake's contract.

A reply walks queued → sending → sent (→ delivered | failed), or → uncertain:
* the intent (`sending`) is committed before the channel is called, and the outcome
  after; a reply found `sending` at start, or whose link dropped mid-send, is
  *uncertain* and its channel settles it as well as its protocol allows (a matching
  SMS delivery receipt, a look-up of X's posts) — resent only when that shows it did not
  go out, kept uncertain (visible, `replies resend`) when nothing can tell;
* nothing is sent, and no attempt spent, while a channel cannot deliver (not bound,
  bot not started) or while a server's hint pauses it (`ChannelPauses`, stored);
  replies then flow oldest first;
* replies to one conversation go one at a time (`ReplyLane`), so at most one call per
  chat is ever in doubt;
* a failure while the channel could deliver is an attempt; after `max_attempts` the
  reply is failed — visible and resendable, never silently dropped.

A repeated message (the database found it a duplicate) is answered with the same tracking
number — but only when its complaint has had no reply for `duplicate_quiet_s` and at
most `duplicate_max_replies` times (see `DuplicatePolicy` in the database).

At most `hold_limit` replies are held in memory; beyond that (a burst, a long pause)
they wait only in the journal and are read back, oldest first, once the held ones are
down to half.
"""
from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Callable, Mapping

from twisted.internet.defer import Deferred, inlineCallbacks, succeed

from gateway.backoff import backoff_delay
from gateway.channels.base import (Channel, ChannelNotReady, ReplyPaused, ReplyRejected,
                                   ReplyUncertain, Settlement)
from gateway.lease_keeper import LeaseKeeper
from gateway.logging import get_logger
from gateway.model import Reply, utcnow
from gateway.pauses import ChannelPauses
from gateway.pending import PendingWork
from gateway.reply_lanes import ReplyLane
from gateway.reply_settings import RepliesSettings

log = get_logger(__name__)

#: how often a channel that cannot send is looked at again (it also wakes us when it binds)
NOT_READY_RECHECK_S = 0.5
#: parked delivery reports older than this name no reply of ours and are dropped, hourly
PARKED_REPORTS_KEPT_S = 86400.0
PURGE_EVERY_S = 3600.0
#: replies held in memory at most; the rest wait in the journal
HOLD_LIMIT = 2000


class Outbox:
    def __init__(self, journal, channels: Mapping[str, Channel], reactor, settings: RepliesSettings, *,
                 pauses: ChannelPauses | None = None, duplicate_text: Callable[[str], str] | None = None,
                 rescan_interval_s: float | None = None, intake_first=None, hold_limit: int = HOLD_LIMIT):
        """`intake_first` (an `IntakeFirst`) holds new sends back while intake is saturated."""
        self._journal = journal
        self._duplicate_text = duplicate_text   # tracking id -> reply text
        self._duplicate_policy = (settings.duplicate_quiet_s, settings.duplicate_max_replies)
        self._channels = channels
        self._reactor = reactor
        self._retry = (settings.retry_initial_s, settings.retry_max_s)
        self._max_attempts = settings.max_attempts
        self.pauses = pauses or ChannelPauses(journal, reactor)
        self._lanes = {name: ReplyLane(name) for name in channels}
        self._held: set[int] = set()       # queued here, in flight, or waiting to be settled
        self._wakes: dict[str, object] = {}
        self._unknown_channels: set[str] = set()
        self._last_purge = float("-inf")
        self._pending = PendingWork(reactor)
        self._rescan_interval = rescan_interval_s
        self._rescan_timer = None
        self._intake_first = intake_first
        self._hold_limit = hold_limit
        self._left_in_journal = False   # replies not held for want of room
        self._turned_away = 0
        self._reading_back = False
        # Several instances on one PostgreSQL: the replies held here stay claimed.
        self._claims = LeaseKeeper(getattr(journal, "lease", None), reactor,
                                   lambda ids: journal.renew_reply_leases(ids), lambda: self._held,
                                   self._given_up, "replies")
        self.sent = 0
        self.uncertain = 0
        self.given_up = 0

    @property
    def channel_names(self) -> list[str]:
        return sorted(self._channels)

    def _given_up(self, reply_ids: set[int]) -> None:
        """Replies another instance took over (this one stalled past their leases): not
        held here any more — and not sent from here, since their intent is theirs to
        commit (`record_reply_sending` refuses a reply no longer queued)."""
        self._held -= reply_ids

    @property
    def held(self) -> int:
        """Replies held in memory (at most `hold_limit`; the rest wait in the journal)."""
        return len(self._held)

    # -- taking replies ------------------------------------------------------------------
    def answer_duplicate(self, complaint_id: str, tracking_id: str) -> Deferred:
        """Queue and send the "same number again" reply to a repeated message, if due."""
        quiet_s, max_replies = self._duplicate_policy
        if self._duplicate_text is None or max_replies <= 0 or self._pending.stopping:
            return succeed(None)
        d = self._journal.queue_duplicate_reply(complaint_id, self._duplicate_text(tracking_id),
                                              quiet_s, max_replies)
        d.addCallback(lambda reply: reply and self.send(reply))
        d.addErrback(lambda f: log.warning("no reply to a repeated message", complaint=complaint_id,
                                           error=f.getErrorMessage()))
        return d

    def send(self, reply: Reply) -> None:
        """Send a queued reply (ignored if held already: it is on its way)."""
        if self._pending.stopping or reply.id in self._held:
            return  # stopping: still queued in the database, sent at the next start
        if len(self._held) >= self._hold_limit:
            self._left_in_journal = True   # queued in the journal: read back when there is room
            self._turned_away += 1
            return
        lane = self._lanes.get(reply.channel)
        if lane is None:
            if reply.channel not in self._unknown_channels:   # once, not at every rescan
                self._unknown_channels.add(reply.channel)
                log.warning("replies for a channel that is not enabled stay queued",
                            channel=reply.channel)
            return
        self._held.add(reply.id)
        lane.add(self._channels[reply.channel].conversation(reply), reply)
        self._pump(reply.channel)

    def resolve(self, reply: Reply) -> None:
        """Settle a reply found uncertain at start (its channel decides how)."""
        if self._pending.stopping or reply.id in self._held or reply.channel not in self._lanes:
            return
        self._held.add(reply.id)
        self._settle(reply)

    def start(self) -> None:
        """Listen for channels becoming ready; look for replies an admin queued again,
        every `rescan_interval_s`."""
        self.start_rescan_timer()
        self._claims.start()
        for name, channel in self._channels.items():
            listeners = getattr(channel, "ready_listeners", None)
            if listeners is not None:
                listeners.append(lambda name=name: self._pump(name))

    # -- sending -------------------------------------------------------------------------
    def _pump(self, name: str) -> None:
        if self._pending.stopping:
            return
        channel, lane = self._channels[name], self._lanes[name]
        pause = self.pauses.remaining(name)
        if pause > 0 or not channel.can_send():
            if len(lane):
                self._wake_later(name, pause or NOT_READY_RECHECK_S)
            return
        if (self._intake_first is not None and len(lane) and lane.in_flight < channel.send_slots
                and not self._intake_first.may_start(("outbox", name), lambda: self._pump(name))):
            return
        while lane.in_flight < channel.send_slots:
            taken = lane.take()
            if taken is None:
                return
            conversation, reply = taken
            d = self._pending.track(self._send(channel, reply))
            d.addErrback(lambda f, r=reply: self._lost(r, f))
            d.addBoth(lambda _, c=conversation: self._release(name, c))

    def _wake_later(self, name: str, delay: float) -> None:
        timer = self._wakes.get(name)
        if timer is not None and timer.active():
            return
        self._wakes[name] = self._reactor.callLater(delay, self._pump, name)

    def _release(self, name: str, conversation: str) -> None:
        self._lanes[name].release(conversation)
        self._pump(name)
        if self._left_in_journal and len(self._held) <= self._hold_limit // 2:
            self._read_back()

    def _read_back(self) -> None:
        """Take on, oldest first, queued replies left in the journal for want of room."""
        if self._reading_back or self._pending.stopping:
            return
        self._reading_back = True
        turned_away, room = self._turned_away, self._hold_limit - len(self._held)
        d = self._journal.replies_not_held(sorted(self._held), room, self.channel_names)
        d.addCallback(self._read, room, turned_away)
        d.addErrback(lambda f: log.error("could not read back queued replies", error=f.getErrorMessage()))
        d.addBoth(self._read_back_done)

    def _read(self, replies: list[Reply], room: int, turned_away: int) -> None:
        if len(replies) < room and turned_away == self._turned_away:
            self._left_in_journal = False   # every one of them is held now
        for reply in replies:
            self.send(reply)

    def _read_back_done(self, _) -> None:
        self._reading_back = False
        if self._left_in_journal and len(self._held) <= self._hold_limit // 2:
            self._reactor.callLater(0, self._read_back)   # more came in during the read

    def _lost(self, reply: Reply, failure) -> None:
        # Our database failed: the reply keeps its committed state and resumes at the next start.
        self._held.discard(reply.id)
        log.error("reply state not recorded; it resumes at the next start", reply=reply.id,
                  error=failure.getErrorMessage())

    @inlineCallbacks
    def _send(self, channel: Channel, reply: Reply):
        if not (yield self._journal.record_reply_sending(reply.id)):
            self._held.discard(reply.id)   # settled or cancelled meanwhile
            return
        reply = dataclasses.replace(reply, sending_at=utcnow())   # as committed, near enough
        try:
            channel_message_id = yield channel.send(reply)
        except (ReplyPaused, ChannelNotReady) as wait:
            yield self._wait(reply, wait)
        except ReplyRejected as refusal:
            yield self._give_up(reply, f"rejected: {refusal}")
        except ReplyUncertain as doubt:
            yield self._in_doubt(reply, str(doubt))
        except Exception as error:  # noqa: BLE001 - anything else may pass next time
            yield self._retry_later(reply, f"{type(error).__name__}: {error}")
        else:
            yield self._sent(reply, str(channel_message_id))

    @inlineCallbacks
    def _sent(self, reply: Reply, channel_message_id: str, tries: int = 0):
        self.sent += not tries
        on_acceptance = self._channels[reply.channel].delivered_on_acceptance
        try:
            early = yield self._journal.record_reply_sent(reply.id, channel_message_id, on_acceptance)
        except Exception as error:  # noqa: BLE001 - our database failed: the send is known here
            # Recorded later rather than left in doubt till a start: a restart of the
            # database must not make a reply that went out look as if it might not have.
            delay = backoff_delay(tries + 1, 0.5, 30.0)
            log.warning("reply sent, not yet recorded; recording it again", reply=reply.id,
                        retry_in_s=round(delay, 2), error=str(error)[:300])
            self._pending.later(("record", reply.id), delay, self._record_again, reply, channel_message_id,
                                tries + 1)
            return
        self._held.discard(reply.id)
        # Known now: the channel's acceptance is the delivery, or a receipt came first.
        outcome = (on_acceptance, True) if on_acceptance else early
        if outcome:   # the complaint's last info line
            log.info("reply outcome", complaint=reply.complaint_id, reply=reply.id, channel=reply.channel,
                     status=outcome[0], delivered=outcome[1])
        else:           # the outcome comes with the delivery report (Pipeline.report_delivery)
            log.debug("reply sent", reply=reply.id, complaint=reply.complaint_id, channel=reply.channel,
                      recipient=reply.recipient)

    def _record_again(self, reply: Reply, channel_message_id: str, tries: int) -> None:
        d = self._pending.track(self._sent(reply, channel_message_id, tries))
        d.addErrback(lambda f: self._lost(reply, f))

    @inlineCallbacks
    def _wait(self, reply: Reply, wait: Exception):
        """Nothing went out: back to the front of the queue, no attempt spent."""
        if isinstance(wait, ReplyPaused):
            yield self.pauses.pause(reply.channel, wait.until, str(wait))
        yield self._journal.requeue_reply(reply.id)
        self._lanes[reply.channel].add(self._channels[reply.channel].conversation(reply), reply,
                                       front=True)

    @inlineCallbacks
    def _give_up(self, reply: Reply, reason: str):
        self.given_up += 1
        yield self._journal.record_reply_failure(reply.id, reason, final=True)
        self._held.discard(reply.id)
        log.warning("reply failed for good; `replies resend` sends it again", reply=reply.id,
                    channel=reply.channel, reason=reason[:300])

    @inlineCallbacks
    def _retry_later(self, reply: Reply, reason: str):
        attempts = yield self._journal.record_reply_failure(reply.id, reason, final=False)
        if attempts >= self._max_attempts:
            yield self._give_up(reply, f"{attempts} attempts; last: {reason}")
            return
        delay = backoff_delay(attempts, *self._retry)
        log.warning("reply failed; will retry", reply=reply.id, attempt=attempts,
                    retry_in_s=round(delay, 2), reason=reason[:300])
        self._pending.later(reply.id, delay, self._queue_again, reply)

    def _queue_again(self, reply: Reply) -> None:
        """A held reply's wait is over: into its lane (it stays held, so no rescan doubles it)."""
        self._lanes[reply.channel].add(self._channels[reply.channel].conversation(reply), reply)
        self._pump(reply.channel)

    # -- replies in doubt ----------------------------------------------------------------
    @inlineCallbacks
    def _in_doubt(self, reply: Reply, reason: str):
        self.uncertain += 1
        yield self._journal.record_reply_uncertain(reply.id, reason)
        log.warning("reply may or may not have gone out; settling it", reply=reply.id,
                    channel=reply.channel, reason=reason[:300])
        self._settle(reply)   # beside the conversation, which is released now

    def _settle(self, reply: Reply) -> None:
        if self._pending.stopping:
            return
        d = self._pending.track(self._settle_once(reply))
        d.addErrback(lambda f: self._settle_later(reply, 30.0, f"could not settle: {f.getErrorMessage()}"))

    @inlineCallbacks
    def _settle_once(self, reply: Reply):
        settlement: Settlement = yield self._channels[reply.channel].settle(reply)
        if settlement.outcome == "sent":
            if settlement.parked_report is not None:
                yield self._journal.settle_reply(reply.id, settlement.parked_report)
            else:
                yield self._journal.record_reply_sent(
                    reply.id, settlement.channel_message_id or "",
                    self._channels[reply.channel].delivered_on_acceptance)
            self._held.discard(reply.id)
            log.info("reply in doubt had gone out", reply=reply.id, channel=reply.channel,
                     how=settlement.reason)
        elif settlement.outcome == "resend":
            yield self._journal.requeue_reply(reply.id, resend=True, reason=settlement.reason)
            self._held.discard(reply.id)
            log.warning("reply in doubt had not gone out; sending it again", reply=reply.id,
                        channel=reply.channel, how=settlement.reason)
            self.send(_resent(reply))
        elif settlement.outcome == "wait":
            self._settle_later(reply, settlement.wait_s, settlement.reason)
        else:
            self._held.discard(reply.id)
            log.warning("reply stays uncertain; `replies resend` sends it again", reply=reply.id,
                        channel=reply.channel, reason=settlement.reason)

    def _settle_later(self, reply: Reply, delay: float, reason: str) -> None:
        log.debug("settling a reply later", reply=reply.id, in_s=round(delay, 1), reason=reason)
        self._pending.later(("settle", reply.id), delay, self._settle, reply)

    # -- an admin's resends --------------------------------------------------------------
    def _rescan(self) -> None:
        self._rescan_timer = None
        if self._pending.stopping:
            return
        self._forget_old_reports()
        d = self._journal.replies_not_held(sorted(self._held), channels=self.channel_names)
        d.addCallback(lambda replies: [self.send(r) for r in replies])
        # A dead instance's sends in doubt: settled here, as at a start.
        d.addCallback(lambda _: self._journal.replies_in_doubt_of_the_dead(self.channel_names))
        d.addCallback(lambda replies: [self.resolve(r) for r in replies])
        d.addCallback(lambda _: self._journal.match_parked_reports())
        d.addErrback(lambda f: log.error("could not look for queued replies", error=f.getErrorMessage()))
        d.addBoth(lambda _: self.start_rescan_timer())

    def _forget_old_reports(self) -> None:
        """Hourly: delivery reports parked for a day named no reply of ours (another
        system's, or one whose reply was settled otherwise): they only take space."""
        now = self._reactor.seconds()
        if now - self._last_purge < PURGE_EVERY_S:
            return
        self._last_purge = now
        d = self._journal.forget_parked_reports(utcnow() - timedelta(seconds=PARKED_REPORTS_KEPT_S))
        d.addErrback(lambda f: log.warning("could not purge old parked reports", error=f.getErrorMessage()))

    def start_rescan_timer(self) -> None:
        if self._rescan_interval and not self._pending.stopping:
            self._rescan_timer = self._reactor.callLater(self._rescan_interval, self._rescan)

    def stop(self) -> Deferred:
        """Send nothing more; fire when the sends under way have finished."""
        for timer in [self._rescan_timer, *self._wakes.values()]:
            if timer is not None and timer.active():
                timer.cancel()
        self._claims.stop()
        return self._pending.stop()


def _resent(reply: Reply) -> Reply:
    return Reply(reply.id, reply.complaint_id, reply.channel, reply.recipient, reply.text,
                 reply.reply_context, reply.attempts, reply.resends + 1, None)
