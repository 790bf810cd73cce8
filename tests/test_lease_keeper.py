"""The lease keeper knows how long each claim surely lasts, so that no work starts under
a claim that may have run out (another instance may be doing it): such work waits for a
renewal, which is asked for at once — and, while renewals fail, for the next one."""
import pytest
import pytest_twisted
from twisted.internet import defer
from twisted.internet.task import Clock

from gateway.journal import Lease
from gateway.lease_keeper import LeaseKeeper


class Claims:
    """Held keys and a database that renews them (or fails, or has lost some)."""

    def __init__(self, held):
        self.held = set(held)
        self.lost: set = set()
        self.busy: set = set()     # rows a write has locked: held, not extended this round
        self.failing = False
        self.asked: list[list] = []

    def renew(self, ids):
        self.asked.append(ids)
        if self.failing:
            return defer.fail(RuntimeError("database down"))
        held = [i for i in ids if i not in self.lost]
        return defer.succeed((held, [i for i in held if i not in self.busy]))


def keeper_at(claims: Claims, wall: list[float], ttl_s: float = 3.0) -> LeaseKeeper:
    keeper = LeaseKeeper(Lease("a", ttl_s), Clock(), claims.renew, lambda: claims.held,
                         lambda lost: claims.held.difference_update(lost), "complaints")
    keeper._wall = lambda: wall[0]
    return keeper


def test_a_claim_is_fresh_for_two_thirds_of_its_life_from_when_it_was_written():
    wall = [1000.0]
    keeper = keeper_at(Claims({"c1"}), wall)
    keeper.claimed("c1", 1000.0)
    assert keeper.fresh("c1")
    wall[0] = 1001.9
    assert keeper.fresh("c1")
    wall[0] = 1002.1
    assert not keeper.fresh("c1"), "less than a third of the claim left: renew first"
    assert not keeper.fresh("never-claimed")


def test_a_stale_claim_is_renewed_at_once_and_the_waiting_work_resumes_after():
    wall, claims, resumed = [1000.0], Claims({"c1"}), []
    keeper = keeper_at(claims, wall)
    keeper.claimed("c1", 990.0)
    assert not keeper.fresh("c1")
    keeper.renew_then(lambda: resumed.append(wall[0]))
    assert claims.asked == [["c1"]] and resumed == [1000.0] and keeper.fresh("c1")


def test_while_renewals_fail_the_work_keeps_waiting_without_a_hot_loop():
    wall, claims, resumed = [1000.0], Claims({"c1"}), []
    keeper = keeper_at(claims, wall)
    claims.failing = True
    keeper.renew_then(lambda: resumed.append(1))
    keeper.renew_then(lambda: resumed.append(1))
    assert resumed == [] and len(claims.asked) == 2 and not keeper.fresh("c1")
    claims.failing = False
    keeper._renew()           # the keeper's next round
    assert resumed == [1, 1] and keeper.fresh("c1")


def test_a_claim_another_instance_took_over_is_given_up_not_made_fresh():
    wall, claims = [1000.0], Claims({"c1", "c2"})
    keeper = keeper_at(claims, wall)
    claims.lost = {"c2"}
    keeper.renew_then(lambda: None)
    assert claims.held == {"c1"} and keeper.fresh("c1") and not keeper.fresh("c2")


def test_with_one_instance_there_is_nothing_to_claim_and_everything_is_fresh():
    keeper = LeaseKeeper(None, Clock(), lambda ids: defer.succeed((ids, ids)), lambda: {"c1"}, lambda lost: None,
                         "complaints")
    assert keeper.fresh("c1")


def test_a_claim_a_write_had_locked_stays_held_but_is_not_taken_as_renewed():
    wall, claims = [1000.0], Claims({"c1", "c2"})
    keeper = keeper_at(claims, wall)
    keeper.claimed("c1", 990.0)
    keeper.claimed("c2", 990.0)
    claims.busy = {"c2"}
    keeper.renew_then(lambda: None)
    assert claims.held == {"c1", "c2"}, "not lost"
    assert keeper.fresh("c1") and not keeper.fresh("c2"), "c2 waits for the next renewal"


@pytest.mark.postgres
@pytest_twisted.inlineCallbacks
def test_a_renewal_skips_a_row_a_write_holds_instead_of_waiting_for_it(postgres_url):
    """Waiting could deadlock with a group commit locking the same rows in another order."""
    import psycopg
    from twisted.internet import reactor

    from gateway.journal import open_journal
    from gateway.model import Message, Routing, RoutingStatus
    journal = yield open_journal(postgres_url, reactor, lease=Lease("a", 30.0))
    try:
        ids = []
        for n in range(2):
            accepted = yield journal.accept(Message("sms", f"+62812000000{n}", "Jalan rusak", f"k{n}"),
                                            Routing(RoutingStatus.UNROUTED, "Jalan rusak"))
            ids.append(accepted.complaint_id)
        with psycopg.connect(postgres_url) as writer:    # a write under way holds ids[0]
            writer.execute("SELECT id FROM complaints WHERE id = %s FOR UPDATE", (ids[0],))
            held, renewed = yield journal.renew_leases(ids).addTimeout(10, reactor)
            writer.rollback()
        assert sorted(held) == sorted(ids) and renewed == [ids[1]]
    finally:
        journal.close()
