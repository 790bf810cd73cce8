"""Keeping claims alive: every third of the lease's life, the work an owner holds in
memory (the forwarder's complaints, the outbox's replies) has its leases renewed; any it
no longer holds — it stalled past the expiry and another instance took the work over —
is given up, so that only one instance does each piece (see journal/leases.py).

The keeper also knows how long each claim surely lasts — from a moment no later than the
claim or renewal was written — so that work is started only under a claim with a third
of its life left (`fresh`): a stall that let claims run out (a slow database, a busy
process) is followed by a renewal, not by a request another instance may be making too.
"""
from __future__ import annotations

import time
from typing import Callable, Hashable

from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall

from gateway.logging import get_logger

log = get_logger(__name__)


class LeaseKeeper:
    def __init__(self, lease, reactor, renew: Callable[[list], Deferred], held: Callable[[], set],
                 lost: Callable[[set], None], what: str):
        """`lease`: the journal's (None: one instance, nothing to keep); `renew(ids)` fires
        with (the ids still held, the ids whose claim it extended); `what` names the work
        in the log."""
        self._lease = lease
        self._renew_ids = renew
        self._held = held
        self._lost = lost
        self._what = what
        self._loop = LoopingCall(self._renew)
        self._loop.clock = reactor
        self._renewing = False
        #: wall-clock time at or before which each held claim was last written
        self._confirmed: dict[Hashable, float] = {}
        self._when_fresh: list[Callable[[], None]] = []
        self._wall = time.time

    def claimed(self, key: Hashable, at: float) -> None:
        """`key` was claimed (or confirmed) no later than `at` (epoch seconds)."""
        self._confirmed[key] = max(at, self._confirmed.get(key, at))

    def fresh(self, key: Hashable) -> bool:
        """Whether the claim on `key` surely has a third of its life left (always, with one
        instance: nothing to claim)."""
        if self._lease is None:
            return True
        at = self._confirmed.get(key)
        return at is not None and self._wall() < at + self._lease.ttl_s * 2 / 3

    def renew_then(self, callback: Callable[[], None]) -> None:
        """Renew now (unless a renewal is under way) and call `callback` once one has
        succeeded; a failed one leaves it to the next (no hot loop while the database is down)."""
        if callback not in self._when_fresh:
            self._when_fresh.append(callback)
        self._renew()

    def start(self) -> None:
        if self._lease is not None and not self._loop.running:
            self._loop.start(self._lease.ttl_s / 3, now=False)

    def stop(self) -> None:
        if self._loop.running:
            self._loop.stop()

    def _renew(self) -> None:
        if self._renewing:   # a slow database: one renewal at a time
            return
        asked: set[Hashable] = set(self._held())
        self._confirmed = {k: at for k, at in self._confirmed.items() if k in asked}
        if not asked:
            self._fresh_now()
            return
        self._renewing = True
        d = self._renew_ids(sorted(asked))
        d.addCallback(self._renewed, asked, self._wall())
        d.addErrback(lambda f: log.error("could not renew claims", what=self._what,
                                         error=f.getErrorMessage()))
        d.addBoth(self._done)

    def _renewed(self, result: tuple[list, list], asked: set, started: float) -> None:
        mine, renewed = result
        for key in renewed:
            self.claimed(key, started)
        # Finished meanwhile: no longer held, not lost. Still held but not ours: lost.
        lost = (asked - set(mine)) & set(self._held())
        if lost:
            log.warning("work taken over by another instance; given up here", what=self._what,
                        count=len(lost))
            self._lost(lost)
        self._fresh_now()

    def _fresh_now(self) -> None:
        waiting, self._when_fresh = self._when_fresh, []
        for callback in waiting:
            callback()

    def _done(self, _) -> None:
        self._renewing = False
