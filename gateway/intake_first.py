"""Intake first: while citizens' messages arrive faster than they can be committed, the
downstream stages (forwarding, replies) start no new work, so that the reactor's time
goes to committing and acknowledging what the upstream is waiting on.

Why: an SMSC keeps at most a window of deliver_sm unacknowledged. When forwarding and
replies share the reactor with intake, every acknowledgement waits behind their
callbacks, and a burst is taken in at the pace of the whole cycle. The downstream
stages are durable — every complaint and reply waits in the journal — so they can lag
during a burst and catch up after it.

"Saturated" is not "busy": intake counts as saturated while at least `saturated_at`
intake writes wait for their commit (at a citizen's pace there is one at a time), and
for `quiet_s` after that last held (the gap between one commit's acknowledgements and
the SMSC's next window). A sustained flood cannot starve the downstream stages: every
`max_hold_s` they get one round regardless.
"""
from __future__ import annotations

from typing import Callable, Hashable

from gateway.logging import get_logger

log = get_logger(__name__)


class IntakeFirst:
    def __init__(self, reactor, intake_waiting: Callable[[], int], *, saturated_at: int = 8,
                 quiet_s: float = 0.02, max_hold_s: float = 0.25):
        """`intake_waiting`: how many intake writes wait for their commit now."""
        self._reactor = reactor
        self._intake_waiting = intake_waiting
        self._saturated_at = saturated_at
        self._quiet_s = quiet_s
        self._max_hold_s = max_hold_s
        self._saturated_seen = float("-inf")
        self._held: dict[Hashable, Callable[[], None]] = {}
        self._held_since: float | None = None
        self._timer = None
        self._releasing = False
        self.holds = 0   # rounds held back, for benchmarks and tests

    def intake_arrived(self) -> None:
        """Called for each intake write submitted: notes saturation as it happens."""
        if self._intake_waiting() >= self._saturated_at:
            self._saturated_seen = self._reactor.seconds()

    def saturated(self) -> bool:
        return self._reactor.seconds() - self._saturated_seen < self._quiet_s

    def may_start(self, key: Hashable, wake: Callable[[], None]) -> bool:
        """True if a downstream stage may start work now; otherwise `wake` is called
        (once per `key`) when it may."""
        if self._releasing or not self.saturated():
            return True
        self.holds += 1
        self._held[key] = wake
        if self._held_since is None:
            self._held_since = self._reactor.seconds()
        self._check_later()
        return False

    def _check_later(self) -> None:
        if self._timer is not None and self._timer.active():
            return
        now = self._reactor.seconds()
        delay = min(self._saturated_seen + self._quiet_s, self._held_since + self._max_hold_s) - now
        self._timer = self._reactor.callLater(max(delay, 0.001), self._check)

    def _check(self) -> None:
        self._timer = None
        if not self._held:
            return
        now = self._reactor.seconds()
        if self.saturated() and now - self._held_since < self._max_hold_s:
            self._check_later()
            return
        self._release()

    def _release(self) -> None:
        held, self._held, self._held_since = self._held, {}, None
        self._releasing = True   # the woken stages start one round, saturated or not
        try:
            for wake in held.values():
                wake()
        finally:
            self._releasing = False

    def stop(self) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None
        self._held.clear()
