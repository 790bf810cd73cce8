"""Driving a polling channel step by step: its timers run on a `task.Clock`, its HTTP on
the real reactor to a fake server on 127.0.0.1."""
from __future__ import annotations

import pytest_twisted
from twisted.internet.task import Clock

EPOCH = 1_800_000_000  # a plausible "now", so that rate-limit resets look like X's


def epoch_clock() -> Clock:
    clock = Clock()
    clock.advance(EPOCH)
    return clock


def next_delay(clock: Clock) -> float | None:
    """Seconds until the loop's next step (None: nothing scheduled)."""
    calls = clock.getDelayedCalls()
    return min(c.getTime() for c in calls) - clock.seconds() if calls else None


@pytest_twisted.inlineCallbacks
def step(loop, clock: Clock):
    """Run the loop's next step (advancing the clock to it); returns the delay it scheduled."""
    delay = next_delay(clock)
    assert delay is not None, "the loop has nothing scheduled"
    ended = loop.idle()
    clock.advance(delay)
    yield ended
    return next_delay(clock)


@pytest_twisted.inlineCallbacks
def run_until_waiting(loop, clock: Clock, limit: int = 50):
    """Run steps while the next one is due at once (paging); returns the wait that follows."""
    delay = yield step(loop, clock)
    for _ in range(limit):
        if delay != 0:
            return delay
        delay = yield step(loop, clock)
    raise AssertionError(f"still stepping after {limit} steps")
