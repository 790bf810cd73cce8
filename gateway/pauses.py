"""Channel pauses a server asked for (HTTP 429 with its reset, Telegram `retry_after`,
SMPP throttling), remembered in the database so that a restart does not send into a rate
limit it was told about.

Times are the reactor's seconds (epoch seconds on the real reactor), so a stored pause
means the same moment after a restart.
"""
from __future__ import annotations

from twisted.internet.defer import Deferred, inlineCallbacks, succeed

from gateway.logging import get_logger

log = get_logger(__name__)

PREFIX = "pause:"


class ChannelPauses:
    def __init__(self, journal, clock):
        self._journal = journal
        self._clock = clock
        self._until: dict[str, float] = {}

    @inlineCallbacks
    def load(self):
        """Take in the pauses stored by an earlier run (those still running)."""
        hints = yield self._journal.load_hints()
        now = self._clock.seconds()
        for key, value in hints.items():
            if key.startswith(PREFIX) and float(value.get("until", 0)) > now:
                channel = key[len(PREFIX):]
                self._until[channel] = float(value["until"])
                log.info("channel paused by an earlier server hint", channel=channel,
                         for_s=round(self._until[channel] - now, 1), reason=value.get("reason"))

    def remaining(self, channel: str) -> float:
        """Seconds until `channel` may send again (0: now)."""
        return max(0.0, self._until.get(channel, 0.0) - self._clock.seconds())

    def pause(self, channel: str, until: float, reason: str) -> Deferred:
        """Send nothing on `channel` before `until`; stored before the pause is relied on."""
        if until <= self._until.get(channel, 0.0):
            return succeed(None)
        self._until[channel] = until
        saved = self._journal.save_hint(PREFIX + channel, {"until": until, "reason": reason})
        log.warning("server asked us to wait; channel sends paused", channel=channel,
                    for_s=round(until - self._clock.seconds(), 1), reason=reason)
        return saved
