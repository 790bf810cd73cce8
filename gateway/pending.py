"""Work under way and retries waiting, kept so that a drain knows what to wait for and
what to cancel. Shared by the forwarding worker and the outbox."""
from __future__ import annotations

from typing import Callable, Hashable

from twisted.internet.defer import Deferred, DeferredList


class PendingWork:
    def __init__(self, reactor):
        self._reactor = reactor
        self._timers: dict[Hashable, object] = {}
        self._in_flight: set[Deferred] = set()
        self.stopping = False

    def track(self, d: Deferred) -> Deferred:
        """Remember `d` until it fires."""
        self._in_flight.add(d)
        d.addBoth(self._forget, d)
        return d

    def _forget(self, result, d: Deferred):
        self._in_flight.discard(d)
        return result

    def later(self, key: Hashable, delay: float, fn: Callable, *args) -> None:
        """Call `fn(*args)` after `delay` seconds, unless stopped first; one timer per key."""
        if self.stopping or key in self._timers:
            return
        self._timers[key] = self._reactor.callLater(delay, self._wake, key, fn, args)

    def _wake(self, key: Hashable, fn: Callable, args: tuple) -> None:
        self._timers.pop(key, None)
        fn(*args)

    def waiting(self, key: Hashable) -> bool:
        return key in self._timers

    def stop(self) -> Deferred:
        """Cancel every waiting retry; fire when the work under way has finished."""
        self.stopping = True
        for timer in self._timers.values():
            if timer.active():
                timer.cancel()
        self._timers.clear()
        return DeferredList(list(self._in_flight), consumeErrors=True)
