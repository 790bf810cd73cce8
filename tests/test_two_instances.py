"""Issue 15's drills: two gateway daemons on one PostgreSQL, one SMSC spreading 3,000
MOs (single and long, the parts of one message over both binds) and their receipts over
the two binds. Every MO becomes exactly one complaint, one case and one reply whose
receipt is matched — and so when one daemon is SIGKILLed mid-burst and never comes back.
The case store notes whether each request's complaint was claimed at that moment."""
import pytest

from tests.instances import Drill, burst, case_store_stats
from tests.support import stop_all

pytestmark = pytest.mark.postgres
N = 3000


def assert_every_mo_once(drill: Drill) -> None:
    texts = drill.stored_texts()
    assert set(texts) == {mo["text"] for mo in drill.mos}, "every MO stored, long ones whole"
    assert max(texts.values()) == 1, "no MO stored twice"
    stats = case_store_stats(drill.case_store_url)
    assert stats["cases"] == N, "one case per complaint"
    assert stats["without_claim"] == 0, f"requests for unclaimed complaints: {stats['first_without_claim']}"
    assert drill.replies_per_complaint() == {1: N}, "one reply per complaint"


def test_two_instances_share_a_burst_and_each_mo_is_one_complaint_case_and_reply(tmp_path, postgres_url):
    drill = Drill(tmp_path, postgres_url, burst(N))
    try:
        drill.start()
        drill.wait_done(150, "every MO forwarded and its reply delivered")
        assert len(drill.acknowledged()) == N
        assert_every_mo_once(drill)
        to = drill.submitted_to()
        assert len(to) == N and set(to.values()) == {1}, "each citizen answered once"
        both = [ack for ack in drill.acknowledged() if len(set(ack["connections"])) > 1]
        assert both, "some long MOs had parts on both binds (instances)"
        owners = {owner for (owner,) in drill.query("SELECT DISTINCT lease_owner FROM complaints")}
        assert owners == {None}, "forwarded complaints keep no claim"
    finally:
        stop_all(list(drill.daemons.values()), drill.sim, drill.case_store)


def test_the_survivor_finishes_what_a_sigkilled_instance_held(tmp_path, postgres_url):
    drill = Drill(tmp_path, postgres_url, burst(N))
    a, b = drill.daemons["a"], drill.daemons["b"]
    try:
        drill.start()
        for _ in range(300):
            a.wait_for("message accepted")
        a.kill()
        at_kill = drill.stored_texts()
        acked = {ack["text"] for ack in drill.acknowledged()}
        assert acked <= set(at_kill), "every MO acknowledged before the kill is stored"
        assert len(at_kill) < N, "the kill came mid-burst"
        sent_by_a = {to for (to,) in drill.query(
            "SELECT recipient FROM replies WHERE state IN ('sent', 'delivered')")}
        in_doubt = {to for (to,) in drill.query("SELECT recipient FROM replies WHERE state = 'sending'")}

        drill.wait_done(150, "the survivor forwarded and answered everything")
        assert_every_mo_once(drill)
        to = drill.submitted_to()
        assert len(to) == N, "every citizen answered"
        twice = {n for n, count in to.items() if count > 1}
        assert not {"+" + n for n in twice} & sent_by_a, "no reply the dead one had sent is sent again"
        assert {"+" + n for n in twice} <= in_doubt, "only a send caught mid-way by the kill may double"
    finally:
        stop_all(list(drill.daemons.values()), drill.sim, drill.case_store)


def test_a_postgresql_restart_mid_burst_loses_no_acknowledged_mo_and_both_recover(tmp_path):
    from tests.own_postgres import own_postgres
    with own_postgres() as server:
        drill = Drill(tmp_path, server.url, burst(N))
        try:
            drill.start()
            for _ in range(500):
                drill.daemons["a"].wait_for("message accepted")
            server.restart()
            acked_by_then = {ack["text"] for ack in drill.acknowledged()}
            assert len(acked_by_then) < N, "the restart came mid-burst"
            drill.wait_done(150, "both daemons recovered and finished the burst")
            assert acked_by_then <= set(drill.stored_texts()), "nothing acknowledged was lost"
            assert all(d.proc.poll() is None for d in drill.daemons.values()), "both still running"
            texts = drill.stored_texts()
            assert set(texts) == {mo["text"] for mo in drill.mos} and max(texts.values()) == 1
            stats = case_store_stats(drill.case_store_url)
            assert stats["cases"] == N and stats["without_claim"] == 0
            assert drill.replies_per_complaint() == {1: N}
            to = drill.submitted_to()
            assert len(to) == N and set(to.values()) == {1}, "each citizen answered once"
        finally:
            stop_all(list(drill.daemons.values()), drill.sim, drill.case_store)


def test_a_url_listing_several_hosts_reaches_the_one_that_answers(postgres_url):
    """The HA set-up's URL (docs/operations.md): a list of hosts, the writable one taken."""
    from sqlalchemy import text

    from gateway.journal.database import make_engine
    server = postgres_url.split("@", 1)[1].split("/", 1)[0]
    database = postgres_url.rsplit("/", 1)[1]
    url = f"postgresql://lapor@/{database}?host=127.0.0.1:1&host={server}&target_session_attrs=read-write"
    with make_engine(url).connect() as conn:
        assert conn.execute(text("select 1")).scalar() == 1
