"""Whether the case store looks down, and when to try it again: the forwarder's breaker.

Why: when the case store is down, retrying every waiting complaint on its own timer would
hammer it with the whole backlog at once when it returns, in random order. Instead,
after a run of temporary failures with no answer between them (or as soon as the case store
says Retry-After), forwarding pauses; one complaint — the oldest — probes the case store
after a growing wait, and the first real answer reopens forwarding, oldest first.

    up ──N failures in a row, or Retry-After──▶ down ──probe time──▶ probing
     ▲                                           ▲                     │
     └───────────── any answer (case or refusal) ┴──── failure ────────┘

A Retry-After is a pause the case store asked for, not a failure: `quiet_until` is the latest
moment any answer named (answer time + Retry-After), nothing may be submitted before it,
and it neither counts toward an outage nor lengthens later probes. An answer that comes
back during the pause (to a request sent before it) does not end it.

Pure logic, no timers: the worker asks `probe_delay` and `quiet` and keeps the clock.
"""
from __future__ import annotations

import enum
import random

from gateway.backoff import backoff_delay


class CaseStoreState(str, enum.Enum):
    UP = "up"            # submit freely, up to the concurrency limit
    DOWN = "down"        # submit nothing; a probe is scheduled
    PROBING = "probing"  # one submission at a time until the case store answers


class CaseStoreHealth:
    def __init__(self, failures_to_trip: int, retry_initial_s: float, retry_max_s: float,
                 rng=random.random):
        self._trip = failures_to_trip
        self._backoff = (retry_initial_s, retry_max_s)
        self._rng = rng
        self.state = CaseStoreState.UP
        self.failures_in_row = 0
        self.quiet_until = float("-inf")  # reactor seconds
        #: why the case store refuses the gateway itself (unauthorized, forbidden, tls, dns),
        #: None while it does not: set by `refuses_us`, cleared by an answer
        self.refusal: str | None = None

    def answered(self, now: float) -> bool:
        """The case store answered (a case or a refusal of a complaint); True if that ends
        an outage."""
        self.failures_in_row = 0
        self.refusal = None
        if self.state is CaseStoreState.UP or self.quiet(now):
            return False
        self.state = CaseStoreState.UP
        return True

    def refuses_us(self, why: str) -> bool:
        """The case store refused the gateway itself: down at once, whatever the count,
        probes growing as after failures. True if that is news (down now, or for another
        reason than before): worth one log line."""
        news = self.state is CaseStoreState.UP or why != self.refusal
        self.failures_in_row = max(self.failures_in_row + 1, self._trip)
        self.state, self.refusal = CaseStoreState.DOWN, why
        return news

    def reason(self, now: float) -> str:
        """Why forwarding is held back, for the metric and the status line: up, paused
        (a Retry-After), down (failures), or the refusal's reason."""
        if self.refusal is not None:
            return self.refusal
        if self.state is CaseStoreState.UP:
            return "up"
        return "paused" if self.quiet(now) else "down"

    def failed(self) -> bool:
        """A temporary failure; True if it takes the case store down (a probe must be scheduled)."""
        self.failures_in_row += 1
        if self.state is CaseStoreState.PROBING or (
                self.state is CaseStoreState.UP and self.failures_in_row >= self._trip):
            self.state = CaseStoreState.DOWN
            return True
        return False

    def pause(self, until: float) -> bool:
        """The case store said Retry-After: nothing before `until`. True if that takes the case store
        down now (a probe must be scheduled; it was already when the case store was down)."""
        self.quiet_until = max(self.quiet_until, until)
        was, self.state = self.state, CaseStoreState.DOWN
        return was is not CaseStoreState.DOWN

    def quiet(self, now: float) -> bool:
        """Whether the case store asked for a pause that is still running at `now`."""
        return now < self.quiet_until

    def probe(self) -> None:
        """The wait is over: let one submission through."""
        if self.state is CaseStoreState.DOWN:
            self.state = CaseStoreState.PROBING

    def probe_delay(self) -> float:
        """Seconds until the next probe, growing with each failed probe."""
        rounds = max(1, self.failures_in_row - self._trip + 1)
        return backoff_delay(rounds, *self._backoff, rng=self._rng)

    def slots(self, concurrency: int) -> int:
        """How many submissions may be under way now."""
        return {CaseStoreState.UP: concurrency, CaseStoreState.DOWN: 0, CaseStoreState.PROBING: 1}[self.state]
