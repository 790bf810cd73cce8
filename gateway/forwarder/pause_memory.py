"""The case store's Retry-After pause, kept in the case store so that a restart obeys it too.

Why: a case store that said "not before 14:02:05" means it whatever happens to us; a gateway
restarted at 14:02:01 (deploy, crash, watchdog) must not send its whole backlog at once.
The worker reports each pause it extends (`remember`); at start, `load_pause` gives it
back as the worker's `paused_until`.

`hints` is the journal's small key-value API for server hints (`gateway.journal.Journal`):
`save_hint(key, dict)` and `load_hints()` (every kept hint by key), both Deferreds.
"""
from __future__ import annotations

from twisted.internet.defer import inlineCallbacks, maybeDeferred

from gateway.logging import get_logger

log = get_logger(__name__)

#: the hint's key in the case store
HINT_KEY = "forwarder.case_store_pause"


@inlineCallbacks
def load_pause(hints):
    """The remembered end of the case store's pause (Unix seconds), or None."""
    kept = yield hints.load_hints()
    value = (kept or {}).get(HINT_KEY)
    until = value.get("until") if isinstance(value, dict) else None
    if isinstance(until, (int, float)) and not isinstance(until, bool):
        return float(until)
    return None


class PauseMemory:
    """Writes the latest end of the pause, one write at a time.

    Why one at a time: the answers to every request in flight come back together, and
    each may extend the pause a little; only the latest end matters, so a burst makes
    one write now and one with the latest value after it, not one each.
    """

    def __init__(self, hints):
        self._hints = hints
        self._writing = False
        self._written_until = float("-inf")   # written, or being written
        self._latest = float("-inf")          # the latest end heard of

    def remember(self, until: float) -> None:
        """Keep `until` (Unix seconds) as the end of the pause, unless a later one is kept."""
        self._latest = max(self._latest, until)
        if not self._writing:
            self._write()

    def _write(self) -> None:
        if self._latest <= self._written_until:
            return
        self._writing, self._written_until = True, self._latest
        d = maybeDeferred(self._hints.save_hint, HINT_KEY, {"until": self._latest})
        d.addErrback(lambda f: log.error("could not remember the case store's pause",
                                         error=f.getErrorMessage()))
        d.addBoth(self._written)

    def _written(self, _) -> None:
        self._writing = False
        self._write()  # a later end heard of meanwhile
