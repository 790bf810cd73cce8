"""The periodic throughput line: what went through since the last one, per second.

Per-complaint lines are few (accepted, and the reply's outcome); this line is how ops
see the rates in the journal without a Prometheus at hand. Counts only: no addresses.
"""
from __future__ import annotations

from typing import Callable

from twisted.internet.task import LoopingCall

from gateway.logging import get_logger

log = get_logger("gateway.throughput")


class ThroughputLog:
    """Logs `counts()` (running totals) as deltas and rates every `interval_s`; gauges
    (named in `levels`, e.g. a backlog) are shown as they are."""

    def __init__(self, clock, counts: Callable[[], dict[str, float]], interval_s: float,
                 levels: tuple[str, ...] = ()):
        self._clock = clock
        self._counts = counts
        self._levels = levels
        self._interval = interval_s
        self._last: dict[str, float] | None = None
        self._last_at = 0.0
        self._loop = LoopingCall(self.log_once)
        self._loop.clock = clock

    def start(self) -> None:
        if self._interval > 0 and not self._loop.running:
            self._last, self._last_at = self._counts(), self._clock.seconds()
            self._loop.start(self._interval, now=False)

    def stop(self) -> None:
        if self._loop.running:
            self._loop.stop()

    def log_once(self) -> dict:
        now, counts = self._clock.seconds(), self._counts()
        elapsed = max(now - self._last_at, 1e-9)
        fields = {}
        for name, value in counts.items():
            if name in self._levels:
                fields[name] = value
            else:
                delta = value - (self._last or {}).get(name, 0)
                fields[name] = delta
                fields[f"{name}_per_s"] = round(delta / elapsed, 1)
        self._last, self._last_at = counts, now
        log.info("throughput", seconds=round(elapsed, 1), **fields)
        return fields
