"""Issue 15: one instance at a time runs a single-instance job (a poller), with failover.
On a real PostgreSQL: two instances' claims never both win, a dead holder's job is taken
over once its lease ran out (within two leases), a holder cut off from the database stops
before its lease can run out, a graceful stop hands the job over at once, and a late
cursor save by a former holder cannot rewind the cursor. On SQLite the one instance
holds every job from the start, without asking the database."""
import time

import pytest
import pytest_twisted
from twisted.internet import defer, reactor
from twisted.internet.task import deferLater

from gateway.journal import Lease, open_journal
from gateway.leadership import Leadership
from gateway.model import DatabaseUnavailable

TTL_S = 2.0   # renewals every third must land on a busy machine too
JOB = "poller:x"


@pytest_twisted.inlineCallbacks
def eventually(condition, timeout: float, what: str):
    """Until `condition()` holds, looking every 20 ms, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        yield deferLater(reactor, 0.02, lambda: None)


class Instance:
    """One gateway's journal on the shared database, and its leadership of JOB; what it
    was told (gained, lost) is written to the shared `timeline` with the moment."""

    def __init__(self, name: str, timeline: list):
        self.name, self.timeline = name, timeline
        self.journal = self.leadership = None

    @pytest_twisted.inlineCallbacks
    def open(self, url: str, ttl_s: float = TTL_S):
        self.journal = yield open_journal(url, reactor, lease=Lease(self.name, ttl_s))
        return self

    def lead(self, journal=None) -> Leadership:
        self.leadership = Leadership(journal or self.journal, JOB, self.journal.lease, reactor,
                                     on_gain=lambda: self.told("gain"), on_lose=lambda: self.told("lose"))
        return self.leadership

    def told(self, what: str) -> None:
        self.timeline.append((time.monotonic(), self.name, what))

    @property
    def held(self) -> bool:
        return self.leadership is not None and self.leadership.held

    @pytest_twisted.inlineCallbacks
    def close(self):
        if self.leadership is not None:
            yield self.leadership.stop()
        if self.journal is not None:
            self.journal.close()


def most_holders_at_once(timeline: list) -> int:
    holding, most = set(), 0
    for _, name, what in sorted(timeline):
        (holding.add if what == "gain" else holding.discard)(name)
        most = max(most, len(holding))
    return most


def row(journal):
    """The job's row: (owner, seconds until it runs out, by the database's clock)."""
    from sqlalchemy import text
    return journal.database.transact(lambda conn: conn.execute(text(
        "select owner, extract(epoch from until - now()) from leaderships where name = :n"),
        {"n": JOB}).first())


@pytest_twisted.async_yield_fixture
async def instances(postgres_url):
    """`instances("a", "b")`: that many instances with journals open on one fresh
    PostgreSQL database and one shared timeline; stopped and closed after the test."""
    opened = []
    timeline = []

    async def open_(*names):
        for name in names:
            opened.append(Instance(name, timeline))
            await opened[-1].open(postgres_url)
        return opened[-len(names):]
    yield open_
    for instance in opened:
        await instance.close()


@pytest.mark.postgres
@pytest_twisted.inlineCallbacks
def test_claims_made_at_the_same_moment_never_both_win(instances):
    a, b, c = yield instances("a", "b", "c")
    for _ in range(20):
        # c holds the job and lets it go: a and b then race for a free row
        assert (yield c.journal.claim_leadership(JOB))
        yield c.journal.release_leadership(JOB)
        won = yield defer.gatherResults([a.journal.claim_leadership(JOB),
                                         b.journal.claim_leadership(JOB)])
        assert sorted(won) == [False, True]
        holder = a if won[0] else b
        assert (yield holder.journal.claim_leadership(JOB))          # a renewal holds on
        assert not (yield c.journal.claim_leadership(JOB))           # the others stay out
        yield holder.journal.release_leadership(JOB)


@pytest.mark.postgres
@pytest_twisted.inlineCallbacks
def test_two_instances_leading_the_same_job_never_hold_it_at_once(instances):
    a, b = yield instances("a", "b")
    yield defer.gatherResults([a.lead().start(), b.lead().start()])
    assert [a.held, b.held].count(True) == 1
    # several renewals later, still the same one, never both
    yield deferLater(reactor, TTL_S, lambda: None)
    assert [a.held, b.held].count(True) == 1 and len(a.timeline) == 1
    owner, left_s = yield row(a.journal)
    assert owner == ("a" if a.held else "b") and 0 < left_s <= TTL_S


@pytest.mark.postgres
@pytest_twisted.inlineCallbacks
def test_a_dead_holders_job_is_taken_over_within_two_leases(instances):
    dead, survivor = yield instances("dead", "survivor")
    assert (yield dead.journal.claim_leadership(JOB))   # its last renewal, then it dies
    died = time.monotonic()
    yield survivor.lead().start()
    assert not survivor.held
    yield eventually(lambda: survivor.held, 2 * TTL_S, "the survivor took the job over")
    took_s = time.monotonic() - died
    assert TTL_S <= took_s < 2 * TTL_S   # not before the lease ran out; within two
    print(f"\ntaken over {took_s:.2f} s after the holder's last renewal (lease {TTL_S} s)")


class CutOff:
    """A journal whose database stops answering `claim_leadership` when told."""

    def __init__(self, journal):
        self._journal = journal
        self.cut = False

    def claim_leadership(self, name):
        if self.cut:
            return defer.fail(DatabaseUnavailable("connection refused"))
        return self._journal.claim_leadership(name)

    def release_leadership(self, name):
        return self._journal.release_leadership(name)


@pytest.mark.postgres
@pytest_twisted.inlineCallbacks
def test_a_holder_cut_off_from_the_database_stops_before_its_lease_can_run_out(instances):
    cut_off, other = yield instances("cut-off", "other")
    database = CutOff(cut_off.journal)
    yield cut_off.lead(database).start()
    assert cut_off.held
    yield other.lead().start()
    database.cut = True
    cut = time.monotonic()
    yield eventually(lambda: other.held, 2 * TTL_S, "the other instance took the job over")
    gained_at, gainer, _ = [e for e in other.timeline if e[2] == "gain"][-1]
    stopped_at, loser, _ = [e for e in other.timeline if e[2] == "lose"][-1]
    assert (loser, gainer) == ("cut-off", "other")
    assert stopped_at - cut < TTL_S and stopped_at < gained_at   # it stopped first, in doubt
    database.cut = False                                          # back, it tries on:
    yield other.leadership.stop()
    yield eventually(lambda: cut_off.held, TTL_S, "the job back on the first instance")
    assert most_holders_at_once(other.timeline) == 1


@pytest.mark.postgres
@pytest_twisted.inlineCallbacks
def test_a_graceful_stop_hands_the_job_over_at_once(instances):
    first, second = yield instances("first", "second")
    yield first.lead().start()
    yield second.lead().start()
    assert first.held and not second.held
    yield first.leadership.stop()
    stopped = time.monotonic()
    assert not first.held and first.timeline[-1][1:] == ("first", "lose")
    yield eventually(lambda: second.held, TTL_S, "the second instance took the job")
    assert time.monotonic() - stopped < TTL_S / 3 + 0.5   # its next try, not the lease's end
    assert (yield row(second.journal))[0] == "second"


@pytest.mark.postgres
@pytest_twisted.inlineCallbacks
def test_a_former_holders_late_cursor_save_cannot_rewind_it(instances):
    former, holder = yield instances("former", "holder")
    yield former.journal.save_cursor("x", "1860000000000000100")
    yield holder.journal.save_cursor("x", "1860000000000000250")     # took over, moved on
    yield former.journal.save_cursor("x", "1860000000000000180")     # its late save
    assert (yield holder.journal.load_cursor("x")) == "1860000000000000250"
    yield holder.journal.save_cursor("telegram", "999")
    yield former.journal.save_cursor("telegram", "1000")             # longer is larger
    yield holder.journal.save_cursor("telegram", "998")
    assert (yield holder.journal.load_cursor("telegram")) == "1000"


@pytest_twisted.inlineCallbacks
def test_numeric_cursors_only_move_forward_on_sqlite_too(tmp_path):
    journal = yield open_journal(f"sqlite:///{tmp_path / 'gateway.db'}", reactor)
    try:
        for value in ("41", "100", "99", "100", "7"):
            yield journal.save_cursor("telegram", value)
        yield journal.save_cursor("other", "abc")
        yield journal.save_cursor("other", "abb")                      # not a number: as given
        assert (yield journal.load_cursor("telegram")) == "100"
        assert (yield journal.load_cursor("other")) == "abb"
    finally:
        journal.close()


class Untouchable:
    """A journal that must not be asked: one instance needs no claim."""

    def __getattr__(self, name):
        raise AssertionError(f"the journal was asked {name}")


@pytest_twisted.inlineCallbacks
def test_one_instance_without_a_lease_holds_the_job_at_once_and_asks_nobody():
    told = []
    leadership = Leadership(Untouchable(), JOB, None, reactor, on_gain=lambda: told.append("gain"),
                            on_lose=lambda: told.append("lose"))
    yield leadership.start()
    assert leadership.held and told == ["gain"]
    yield leadership.stop()
    assert not leadership.held and told == ["gain", "lose"]
