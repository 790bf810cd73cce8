"""One instance at a time runs a job (polling X mentions, Telegram getUpdates), with
failover: a `Leadership` holds the job's row in `leaderships` for this instance, renews
it, and says when the job is this instance's to run and when it is not any more.

Why: several gateways on one PostgreSQL would otherwise all poll — Telegram refuses a
second getUpdates (409), X would see every request twice — and each would move the
shared cursor. Why a lease rather than a lock held on a connection: a lease needs no
connection kept open, and a holder that dies (SIGKILL, a lost host) frees its job by
itself when its lease runs out.

The rules:
- A claim is one statement (journal/leadership_journal.py): never two holders at once.
- The holder renews every third of the lease; any instance not holding tries as often,
  so a dead holder's job is taken over at most a lease and a third after its last
  renewal — within two leases of its death.
- In doubt, stop: when no renewal was confirmed for five sixths of the lease (the
  database down or slow), the holder stops the job before its lease can run out — the
  last sixth covers stopping what is under way — and takes it up again once a renewal
  goes through (unless another instance has it by then).
- A graceful stop stops the job, then releases the row: the next instance to try takes
  it at once, not after the lease.
- With no lease (SQLite: one instance, the state lock) the job is held from the start.

`on_gain` and `on_lose` may return Deferreds; they run one at a time, in order.
"""
from __future__ import annotations

from typing import Callable

from twisted.internet import defer
from twisted.internet.defer import Deferred, DeferredLock, inlineCallbacks
from twisted.internet.task import LoopingCall

from gateway.logging import get_logger

log = get_logger(__name__)

#: the share of the lease after the last confirmed renewal at which the holder stops
DOUBT_AFTER = 5 / 6


class Leadership:
    def __init__(self, journal, name: str, lease, reactor, on_gain: Callable[[], object],
                 on_lose: Callable[[], object]):
        """`journal`: something with `claim_leadership(name)` and `release_leadership(name)`
        (the Journal); `lease`: the journal's (None: one instance, always the holder)."""
        self.name = name
        self._journal = journal
        self._lease = lease
        self._reactor = reactor
        self._on_gain = on_gain
        self._on_lose = on_lose
        #: whether this instance runs the job now (on_gain called, on_lose not since)
        self.held = False
        self._turns = DeferredLock()        # gains and losses one at a time, in order
        self._loop = LoopingCall(self._try)
        self._loop.clock = reactor
        self._trying: Deferred | None = None
        self._doubt = None                  # the timer that stops the job without renewals
        self._stopped = False

    def start(self) -> Deferred:
        """Fires once the first try has ended (and the job started, if it was gained)."""
        self._stopped = False
        if self._lease is None:
            return self._gain()
        d = self._try()
        d.addCallback(self._keep_trying)
        return d

    def _keep_trying(self, _) -> None:
        if not self._stopped:   # (the loop's own Deferred fires only when it stops)
            self._loop.start(self._lease.ttl_s / 3, now=False)

    @inlineCallbacks
    def stop(self):
        """Stop the job here and hand it over at once (release the row)."""
        self._stopped = True
        if self._loop.running:
            self._loop.stop()
        if self._trying is not None:
            yield self._trying
        self._cancel_doubt()
        if self.held:
            yield self._lose("stopping; released for another instance", log.info)
        if self._lease is None:
            return
        try:
            yield self._journal.release_leadership(self.name)
        except Exception as error:  # noqa: BLE001 - then the lease runs out by itself
            log.warning("could not release a job; another instance takes it when the lease ends",
                        job=self.name, error=str(error)[:200])

    # -- trying and renewing -----------------------------------------------------------
    def _try(self) -> Deferred:
        """Claim or renew once (a LoopingCall step: never fails, so the loop never stops)."""
        if self._trying is not None:    # a slow database: one try at a time
            return defer.succeed(None)
        asked_at = self._reactor.seconds()
        self._trying = d = self._journal.claim_leadership(self.name)
        d.addCallbacks(self._answered, self._failed, callbackArgs=(asked_at,))
        d.addErrback(lambda f: log.error("job not started or stopped cleanly", job=self.name,
                                         error=f"{f.type.__name__}: {f.getErrorMessage()}"[:300]))
        d.addBoth(self._tried)   # (after the assignment: the answer may have come already)
        return d

    def _answered(self, holder: bool, asked_at: float):
        if self._stopped:
            return None
        if not holder:
            self._cancel_doubt()
            return self._lose("another instance holds it") if self.held else None
        # The lease runs from when the database answered, which is after `asked_at`:
        # counting from the asking keeps the holder's idea of its lease the shorter.
        trusted_until = asked_at + self._lease.ttl_s * DOUBT_AFTER
        if trusted_until <= self._reactor.seconds():
            return None   # an answer this late is no ground to run the job on; the next try
        self._arm_doubt(trusted_until)
        return None if self.held else self._gain()

    def _failed(self, failure) -> None:
        # Keep the job while the last renewal's lease lasts; the doubt timer ends it.
        log.warning("could not renew a job's lease", job=self.name, held=self.held,
                    error=failure.getErrorMessage()[:200])

    def _tried(self, _) -> None:
        self._trying = None

    def _arm_doubt(self, at: float) -> None:
        self._cancel_doubt()
        self._doubt = self._reactor.callLater(max(0.0, at - self._reactor.seconds()), self._in_doubt)

    def _cancel_doubt(self) -> None:
        if self._doubt is not None and self._doubt.active():
            self._doubt.cancel()
        self._doubt = None

    def _in_doubt(self) -> None:
        self._doubt = None
        if self.held:
            self._lose("no renewal confirmed: the lease may run out")

    # -- gaining and losing ------------------------------------------------------------
    def _gain(self) -> Deferred:
        self.held = True
        log.info("job taken up by this instance", job=self.name)
        d = self._turns.run(defer.maybeDeferred, self._on_gain)
        d.addErrback(self._gain_failed)
        return d

    def _gain_failed(self, failure):
        # The row may still be ours: the next try starts the job again.
        self.held = False
        if self._lease is None:
            return failure   # one instance: its start fails, as a channel's would
        log.error("job could not start; trying again", job=self.name,
                  error=f"{failure.type.__name__}: {failure.getErrorMessage()}"[:300])
        return None

    def _lose(self, reason: str, say=log.warning) -> Deferred:
        self.held = False
        say("job stopped on this instance", job=self.name, reason=reason)
        d = self._turns.run(defer.maybeDeferred, self._on_lose)
        return d.addErrback(lambda f: log.error("job did not stop cleanly", job=self.name,
                                                error=f"{f.type.__name__}: {f.getErrorMessage()}"[:300]))
