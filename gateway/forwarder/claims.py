"""Keeping the forwarder's claims alive: every third of the lease's life, the complaints
it holds have their leases renewed; any it no longer holds (it stalled past the expiry
and another instance took them over) are given up, so that only one instance forwards
each complaint (see journal/leases.py)."""
from __future__ import annotations

from typing import Callable

from twisted.internet.task import LoopingCall

from gateway.logging import get_logger

log = get_logger(__name__)


class LeaseKeeper:
    def __init__(self, journal, reactor, held: Callable[[], set[str]], lost: Callable[[set[str]], None]):
        self._journal = journal
        self._held = held
        self._lost = lost
        self._loop = LoopingCall(self._renew)
        self._loop.clock = reactor
        self._renewing = False

    def start(self) -> None:
        lease = getattr(self._journal, "lease", None)
        if lease is not None and not self._loop.running:
            self._loop.start(lease.ttl_s / 3, now=False)

    def stop(self) -> None:
        if self._loop.running:
            self._loop.stop()

    def _renew(self) -> None:
        if self._renewing:   # a slow database: one renewal at a time
            return
        asked = set(self._held())
        if not asked:
            return
        self._renewing = True
        d = self._journal.renew_leases(sorted(asked))
        d.addCallback(self._renewed, asked)
        d.addErrback(lambda f: log.error("could not renew the forwarder's claims", error=f.getErrorMessage()))
        d.addBoth(self._done)

    def _renewed(self, mine: list[str], asked: set[str]) -> None:
        # Finished meanwhile: no longer held, not lost. Still held but not ours: lost.
        lost = (asked - set(mine)) & self._held()
        if lost:
            log.warning("complaints taken over by another instance; given up here", count=len(lost))
            self._lost(lost)

    def _done(self, _) -> None:
        self._renewing = False
