"""The loop a polling channel (X mentions, Telegram getUpdates) runs, and the pieces it shares.

A poller's step fetches, hands what it fetched to the intake, and moves its cursor only
after the commit; the loop around it only decides *when* the next step runs. It is
written by hand rather than with `LoopingCall` because a LoopingCall stops for good on
an uncaught exception, and a poller must never stop: every failure is logged and the
step runs again after an exponential backoff (with jitter), and a step that knows
better (X's rate-limit reset) names its own delay.
"""
from __future__ import annotations

import asyncio

from typing import Callable

from twisted.internet import defer
from twisted.internet.defer import Deferred

from gateway.backoff import backoff_delay
from gateway.channels.base import DatabaseUnavailable
from gateway.logging import get_logger
from gateway.model import DeliveryReport

log = get_logger(__name__)


class PollLoop:
    """Runs `step()` again and again until stopped.

    `step` returns (or fires a Deferred with) the seconds to wait before the next step, or
    `PollLoop.DONE` when there is nothing more to do (a webhook bot, once started). If it raises, the next step waits `backoff_delay(failures, initial, maximum)`.
    `clock` is the reactor, or a `task.Clock` in tests.
    """

    DONE = object()

    def __init__(self, name: str, step: Callable[[], Deferred | float], clock, *,
                 retry_initial_s: float, retry_max_s: float, rng=None):
        self.name = name
        self._step = step
        self._clock = clock
        self._retry = (retry_initial_s, retry_max_s)
        self._rng = rng
        self._timer = None
        self._running: Deferred | None = None
        self._stopped = True
        self._idle_waiters: list[Deferred] = []
        self.failures = 0          # consecutive failed steps
        self.steps = 0             # completed steps, failed or not

    @property
    def running(self) -> bool:
        return not self._stopped

    @property
    def healthy(self) -> bool:
        return self.running and self.failures == 0

    def start(self, delay: float = 0) -> None:
        self._stopped = False
        self._schedule(delay)

    def stop(self) -> Deferred:
        """No more steps; fires when the step under way (if any) has ended."""
        self._stopped = True
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None
        running = self._running
        if running is None:
            return defer.succeed(None)
        running.cancel()  # a long poll need not run to its end; nothing it fetched is lost
        done = Deferred()
        running.addBoth(lambda _: done.callback(None))
        return done

    def wake(self) -> None:
        """Run the next step now instead of at its scheduled time (nothing if one is running)."""
        if self._stopped or self._running is not None:
            return
        self._schedule(0)

    def idle(self) -> Deferred:
        """Fires the next time a step has ended and the loop waits (for tests and the demo)."""
        d = Deferred()
        self._idle_waiters.append(d)
        return d

    def _schedule(self, delay: float) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = self._clock.callLater(max(0.0, delay), self._run)

    def _run(self) -> None:
        self._timer = None
        if self._stopped:
            return
        d = defer.maybeDeferred(self._step)
        self._running = d
        d.addCallbacks(self._stepped, self._failed)
        d.addBoth(self._ended)

    def _stepped(self, delay) -> float | None:
        self.failures = 0
        if delay is PollLoop.DONE:
            self._stopped = True
            return None
        return float(delay or 0)

    def _failed(self, failure) -> float | None:
        # Stopping cancels the request under way (a Deferred, or PTB's asyncio future).
        if self._stopped and failure.check(defer.CancelledError, asyncio.CancelledError):
            return None
        self.failures += 1
        delay = backoff_delay(self.failures, *self._retry,
                              **({"rng": self._rng} if self._rng else {}))
        if failure.check(DatabaseUnavailable):
            log.warning("database unavailable; cursor not advanced, fetching again later",
                        channel=self.name, retry_in_s=round(delay, 2))
        else:
            log.error("poll failed; retrying", channel=self.name, failures=self.failures,
                      retry_in_s=round(delay, 2),
                      error=f"{failure.type.__name__}: {failure.getErrorMessage()}"[:500])
        return delay

    def _ended(self, delay) -> None:
        self._running = None
        self.steps += 1
        if not self._stopped and delay is not None:
            self._schedule(delay)
        waiters, self._idle_waiters = self._idle_waiters, []
        for waiter in waiters:
            waiter.callback(self.steps)


class RequestBudget:
    """At most `limit` requests in any `window_s` seconds, and none before a rate-limit reset.

    X counts requests per 15-minute window and per plan; staying under our own budget
    means the 429 path is the exception, not the rhythm.
    """

    def __init__(self, clock, limit: int, window_s: float = 900.0):
        self._clock = clock
        self.limit = limit
        self.window_s = window_s
        self._sent: list[float] = []
        self._blocked_until = 0.0

    def wait_s(self) -> float:
        """Seconds until a request may go (0: now)."""
        now = self._clock.seconds()
        self._sent = [t for t in self._sent if t > now - self.window_s]
        wait = max(0.0, self._blocked_until - now)
        if len(self._sent) >= self.limit:
            wait = max(wait, self._sent[-self.limit] + self.window_s - now)
        return wait

    def spend(self) -> None:
        self._sent.append(self._clock.seconds())

    def block_until(self, moment: float) -> None:
        self._blocked_until = max(self._blocked_until, moment)

    def state(self) -> dict:
        """What must survive a restart: the requests of the current window, the block."""
        self.wait_s()   # forgets requests older than the window
        return {"sent": list(self._sent), "blocked_until": self._blocked_until}

    def reload(self, state: dict | None) -> None:
        """Take the stored state in place of what this instance counted: another
        instance may have spent requests since (one poller at a time, see leadership)."""
        self._sent, self._blocked_until = [], 0.0
        self.restore(state)

    def restore(self, state: dict | None) -> None:
        """Take back what an earlier run spent (times are epoch seconds, as stored)."""
        if state:
            self._sent = sorted([*self._sent, *map(float, state.get("sent", ()))])
            self.block_until(float(state.get("blocked_until", 0.0)))


class DeliveryNotices:
    """Records, for a channel without delivery receipts, that a reply the platform accepted
    has reached the citizen, and lets the demo and tests wait for a number of them."""

    def __init__(self, channel: str, clock):
        self._channel = channel
        self._clock = clock
        self.intake = None
        self.recorded = 0
        self._waiters: list[tuple[int, Deferred]] = []

    def posted(self, channel_message_id: str, status: str) -> None:
        # Later, not now: the outbox records the reply as sent when send() fires, and the
        # report must reach the database after that record to find its reply.
        self._clock.callLater(0, self._report, DeliveryReport(self._channel, channel_message_id,
                                                              status, True))

    def _report(self, report: DeliveryReport) -> None:
        d = self.intake.report_delivery(report)
        d.addCallback(self._recorded)
        d.addErrback(lambda f: log.error("delivery report not stored", channel=self._channel,
                                         error=f.getErrorMessage()))

    def _recorded(self, _matched) -> None:
        self.recorded += 1
        ready = [d for n, d in self._waiters if n <= self.recorded]
        self._waiters = [(n, d) for n, d in self._waiters if n > self.recorded]
        for d in ready:
            d.callback(self.recorded)

    def wait_for(self, count: int) -> Deferred:
        if self.recorded >= count:
            return defer.succeed(self.recorded)
        d = Deferred()
        self._waiters.append((count, d))
        return d


def accept_all(intake, messages) -> Deferred:
    """Hand every message to the intake at once (they share a group commit); fires with the
    results in order once all are committed, or fails with the first failure (then the
    caller must not advance its cursor)."""
    d = defer.gatherResults([intake.accept(m) for m in messages], consumeErrors=True)
    d.addErrback(lambda f: f.value.subFailure if isinstance(f.value, defer.FirstError) else f)
    return d
