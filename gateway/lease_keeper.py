"""Keeping claims alive: every third of the lease's life, the work an owner holds in
memory (the forwarder's complaints, the outbox's replies) has its leases renewed; any it
no longer holds — it stalled past the expiry and another instance took the work over —
is given up, so that only one instance does each piece (see journal/leases.py)."""
from __future__ import annotations

from typing import Callable, Hashable

from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall

from gateway.logging import get_logger

log = get_logger(__name__)


class LeaseKeeper:
    def __init__(self, lease, reactor, renew: Callable[[list], Deferred], held: Callable[[], set],
                 lost: Callable[[set], None], what: str):
        """`lease`: the journal's (None: one instance, nothing to keep); `renew(ids)` fires
        with the ids still held; `what` names the work in the log."""
        self._lease = lease
        self._renew_ids = renew
        self._held = held
        self._lost = lost
        self._what = what
        self._loop = LoopingCall(self._renew)
        self._loop.clock = reactor
        self._renewing = False

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
        if not asked:
            return
        self._renewing = True
        d = self._renew_ids(sorted(asked))
        d.addCallback(self._renewed, asked)
        d.addErrback(lambda f: log.error("could not renew claims", what=self._what,
                                         error=f.getErrorMessage()))
        d.addBoth(self._done)

    def _renewed(self, mine: list, asked: set) -> None:
        # Finished meanwhile: no longer held, not lost. Still held but not ours: lost.
        lost = (asked - set(mine)) & set(self._held())
        if lost:
            log.warning("work taken over by another instance; given up here", what=self._what,
                        count=len(lost))
            self._lost(lost)

    def _done(self, _) -> None:
        self._renewing = False
