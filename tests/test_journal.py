"""The store: commit-then-acknowledge, group commit, deduplication, migrations — on
SQLite and on a real PostgreSQL."""
import pytest
import pytest_twisted
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from twisted.internet import defer, reactor

from gateway.channels.base import DatabaseUnavailable
from gateway.model import Message, Region, RegionLevel, Routing, RoutingStatus
from gateway.journal import migrate, open_journal
from gateway.journal.database import make_engine
from gateway.journal.tables import metadata


def sms(n: int, text: str = "KabBanyumas Jalan rusak") -> Message:
    return Message(channel="sms", sender=f"+62812000{n:05d}", text=text, dedup_key=f"key-{n}")


@pytest_twisted.inlineCallbacks
def test_accepts_that_arrive_together_share_transactions(database_url):
    store = yield open_journal(database_url, reactor)
    try:
        results = yield defer.gatherResults([store.accept(sms(n)) for n in range(300)])
        assert len({r.complaint_id for r in results}) == 300
        assert not any(r.duplicate for r in results)
        # 300 commits would mean no group commit; the first goes alone, the rest batch up.
        assert store.committer.batches <= 5
        counts = yield store.count_by_state()
        assert counts == {"received": 300}
    finally:
        store.close()


@pytest_twisted.inlineCallbacks
def test_redelivered_message_is_the_same_complaint(database_url):
    store = yield open_journal(database_url, reactor)
    try:
        first = yield store.accept(sms(1))
        again, same_batch = yield defer.gatherResults([store.accept(sms(1)), store.accept(sms(1))])
        assert again.duplicate and same_batch.duplicate
        assert again.complaint_id == same_batch.complaint_id == first.complaint_id
        routing = Routing(RoutingStatus.ROUTED, "Jalan rusak",
                          Region("33.02", "Kabupaten Banyumas", RegionLevel.KABUPATEN))
        yield store.record_routing(first.complaint_id, routing)
        yield store.record_forwarded(first.complaint_id, "1000001", "routed", "nomor #1000001")
        later = yield store.accept(sms(1))
        assert later.duplicate and later.tracking_id == "1000001"
        assert (yield store.count_by_state()) == {"forwarded": 1}
    finally:
        store.close()


@pytest_twisted.inlineCallbacks
def test_a_complaint_keeps_the_place_its_text_names(database_url):
    """Routing v2: `complaints.place` (migration 0008) holds the finest place, accepted with
    the routing or recorded after it, and comes back with the complaint."""
    from gateway.model import Place
    store = yield open_journal(database_url, reactor)
    try:
        region = Region("33.26", "Kabupaten Pekalongan", RegionLevel.KABUPATEN)
        talun = Place("33.26.05", "Talun", "kecamatan")
        at_once = yield store.accept(sms(1, "Kec. Talun Kab Pekalongan"),
                                     Routing(RoutingStatus.ROUTED, "x", region, (), talun))
        later = yield store.accept(sms(2, "Ds. Jatibaru"))
        village = Place("33.26.05.2003", "Jatibaru", "desa")
        yield store.record_routing(later.complaint_id, Routing(RoutingStatus.ROUTED, "y", region, (), village))
        unplaced = yield store.accept(sms(3, "Jalan rusak"), Routing(RoutingStatus.UNROUTED, "Jalan rusak"))
        complaints, _ = yield store.unfinished_complaints()
        places = {c.id: c.routing.place for c in complaints}
        assert places == {at_once.complaint_id: talun, later.complaint_id: village, unplaced.complaint_id: None}
    finally:
        store.close()


@pytest_twisted.inlineCallbacks
def test_one_bad_write_does_not_fail_its_batch(database_url):
    store = yield open_journal(database_url, reactor)
    try:
        def broken(conn):
            raise RuntimeError("bad write")
        outcomes = yield defer.DeferredList(
            [store.accept(sms(1)), store.committer.submit(broken), store.accept(sms(2))], consumeErrors=True)
        assert [ok for ok, _ in outcomes] == [True, False, True]
        assert (yield store.count_by_state()) == {"received": 2}
    finally:
        store.close()


@pytest_twisted.inlineCallbacks
def test_store_that_cannot_commit_reports_unavailable(tmp_path):
    db = tmp_path / "gateway.db"
    store = yield open_journal(f"sqlite:///{db}", reactor)
    try:
        # Another writer holds the database: our commit cannot happen.
        store.database.engine.dispose()
        import sqlite3
        blocker = sqlite3.connect(db, timeout=0)
        blocker.execute("BEGIN EXCLUSIVE")
        from sqlalchemy import event

        @event.listens_for(store.database.engine, "connect")
        def short_timeout(dbapi_conn, _):
            dbapi_conn.execute("PRAGMA busy_timeout=50")
        with pytest.raises(DatabaseUnavailable):
            yield store.accept(sms(1))
        blocker.rollback()
        blocker.close()
        result = yield store.accept(sms(1))
        assert not result.duplicate
    finally:
        store.close()


def test_migrations_build_exactly_the_declared_tables(database_url):
    engine = make_engine(database_url)
    assert migrate.ensure_schema(engine, migrate=True).startswith("upgraded")
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    assert migrate.ensure_schema(engine, migrate=True) == "current"
    engine.dispose()


def test_run_refuses_an_old_schema_when_told_not_to_migrate(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'gateway.db'}")
    with pytest.raises(migrate.SchemaMismatch, match="lapor-gateway db upgrade"):
        migrate.ensure_schema(engine, migrate=False)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(migrate.SchemaMismatch, match="newer"):
        migrate.ensure_schema(engine, migrate=True)
    engine.dispose()


@pytest_twisted.inlineCallbacks
def test_held_parts_survive_until_their_message_commits(database_url):
    from gateway.model import HeldPart, PartOutcome
    store = yield open_journal(database_url, reactor)
    try:
        first = yield store.hold_part(HeldPart("sms", "k", 1, {"payload": "aa"}))
        again = yield store.hold_part(HeldPart("sms", "k", 1, {"payload": "aa"}))
        yield store.hold_part(HeldPart("sms", "other", 1, {"payload": "bb"}))
        assert (first, again) == (PartOutcome.HELD, PartOutcome.ALREADY_HELD)
        assert [(p.parts_key, p.part_no) for p in (yield store.held_parts("sms"))] == [("k", 1), ("other", 1)]
        whole = Message("sms", "+6281", "part one part two", "content#5", parts_key="k")
        yield store.accept(whole)
        assert [p.parts_key for p in (yield store.held_parts("sms"))] == ["other"]
    finally:
        store.close()


@pytest_twisted.inlineCallbacks
def test_dedup_also_finds_the_copy_stored_under_an_earlier_key(database_url):
    store = yield open_journal(database_url, reactor)
    try:
        first = yield store.accept(Message("sms", "+6281", "Jalan rusak", "h#100"))
        again = yield store.accept(Message("sms", "+6281", "Jalan rusak", "h#101", dedup_also=("h#100",)))
        later = yield store.accept(Message("sms", "+6281", "Jalan rusak", "h#103", dedup_also=("h#102",)))
        assert again.duplicate and again.complaint_id == first.complaint_id
        assert not later.duplicate
    finally:
        store.close()


@pytest_twisted.inlineCallbacks
def test_delivery_reports_match_alternate_ids_and_late_ones_do_not_undo_final(database_url):
    from gateway.model import DeliveryReport
    store = yield open_journal(database_url, reactor)
    try:
        accepted = yield store.accept(sms(1))
        routing = Routing(RoutingStatus.UNROUTED, "x")
        yield store.record_routing(accepted.complaint_id, routing)
        reply = yield store.record_forwarded(accepted.complaint_id, "1000001", "unrouted", "nomor #1000001")
        yield store.record_reply_sent(reply.id, "a1b")
        unmatched = yield store.record_delivery(DeliveryReport("sms", "ffff", "DELIVRD", True))
        matched = yield store.record_delivery(DeliveryReport("sms", "2587", "DELIVRD", True,
                                                             alternate_ids=("a1b", "9607")))
        late = yield store.record_delivery(DeliveryReport("sms", "a1b", "ENROUTE", False, final=False))
        assert (unmatched, late) == (None, None)
        assert (matched.reply_id, matched.complaint_id, matched.settled_now) == (reply.id, accepted.complaint_id,
                                                                                 True)
        detail = yield store.show_complaint(accepted.complaint_id)
        assert [(r["state"], r["delivery_status"]) for r in detail["replies"]] == [("delivered", "DELIVRD")]
    finally:
        store.close()


@pytest_twisted.inlineCallbacks
def test_a_reply_in_doubt_is_settled_by_a_parked_report_and_resumes_as_uncertain(database_url):
    from datetime import timedelta

    from gateway.model import DeliveryReport, utcnow
    store = yield open_journal(database_url, reactor)
    try:
        accepted = yield store.accept(sms(1))
        yield store.record_routing(accepted.complaint_id, Routing(RoutingStatus.UNROUTED, "x"))
        reply = yield store.record_forwarded(accepted.complaint_id, "1000001", "unrouted", "LAPOR! nomor #1000001")
        assert (yield store.record_reply_sending(reply.id)) is True
        assert (yield store.record_reply_sending(reply.id)) is False      # not queued any more
        (resumed,) = yield store.resume_replies()                          # as after a crash
        assert resumed.id == reply.id and resumed.sending_at is not None
        # A receipt naming an id no reply has is parked, with whom it is about.
        report = DeliveryReport("sms", "beef", "DELIVRD", True, address="6281200000001",
                                snippet="LAPOR! nomor #100000")
        assert (yield store.record_delivery(report)) is None
        yield store.record_delivery(report)                                # again: parked once
        since = resumed.sending_at - timedelta(seconds=1)
        assert (yield store.find_parked_report("sms", "6281299999999", since, "LAPOR! nomor #100000")) is None
        assert (yield store.find_parked_report("sms", "6281200000001", since, "Lain teks")) is None
        parked = yield store.find_parked_report("sms", "6281200000001", since, "LAPOR! nomor #100000")
        assert (yield store.settle_reply(reply.id, parked)) is True
        detail = yield store.show_complaint(accepted.complaint_id)
        assert [(r["state"], r["channel_message_id"]) for r in detail["replies"]] == [("delivered", "beef")]
        assert (yield store.find_parked_report("sms", "6281200000001", since, None)) is None  # used up
        yield store.record_delivery(DeliveryReport("sms", "cafe", "DELIVRD", True, address="62899"))
        assert (yield store.forget_parked_reports(utcnow() + timedelta(seconds=1))) == 1
    finally:
        store.close()


@pytest_twisted.inlineCallbacks
def test_replies_sent_together_are_one_statement_not_one_transaction_each(database_url):
    """Several replies recorded sent in one group commit take one executemany (an
    expanding IN in it would fail the batch, which then runs one transaction per reply)."""
    from gateway.journal import reply_journal
    store = yield open_journal(database_url, reactor)
    try:
        ids = []
        for n in range(3):
            accepted = yield store.accept(sms(n))
            yield store.record_routing(accepted.complaint_id, Routing(RoutingStatus.UNROUTED, "x"))
            reply = yield store.record_forwarded(accepted.complaint_id, f"100000{n}", "unrouted", "t")
            ids.append(reply.id)

        def together(conn):
            return reply_journal.record_replies_sent(conn, [(i, f"m{i}", None) for i in ids])
        yield store.database.transact(together)
        states = yield store.count_replies_by_state()
        assert states == {"sent": 3}
    finally:
        store.close()


@pytest_twisted.inlineCallbacks
def test_a_receipt_parked_before_its_send_was_recorded_settles_the_reply_with_the_record(database_url):
    """Some SMSCs send the receipt before submit_sm_resp; and a parked receipt's retry timer
    dies with its process (or lives in another instance): recording the send claims it."""
    from gateway.model import DeliveryReport
    store = yield open_journal(database_url, reactor)
    try:
        replies = []
        for n in (1, 2):
            accepted = yield store.accept(sms(n), Routing(RoutingStatus.UNROUTED, "x"))
            replies.append((yield store.record_forwarded(accepted.complaint_id, f"100000{n}", "unrouted",
                                                         f"nomor #100000{n}")))
        early = yield store.record_delivery(DeliveryReport("sms", "a1b", "UNDELIV", False,
                                                           address="6281200000001", snippet="LAPOR!"))
        other_channel = yield store.record_delivery(DeliveryReport("telegram", "c3d", "DELIVERED", True,
                                                                   address="42"))
        assert (early, other_channel) == (None, None)                      # parked, both
        outcomes = yield defer.gatherResults([store.record_reply_sent(replies[0].id, "a1b"),
                                              store.record_reply_sent(replies[1].id, "c3d")])
        assert outcomes == [("UNDELIV", False), None]    # the SMS receipt settles its reply at once
        states = yield store.count_replies_by_state()
        assert states == {"failed": 1, "sent": 1}
        again = yield store.record_delivery(DeliveryReport("sms", "a1b", "UNDELIV", False))
        assert again is not None and not again.settled_now              # no longer parked: matched
    finally:
        store.close()
