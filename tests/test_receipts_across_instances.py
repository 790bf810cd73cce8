"""Issue 15: a delivery receipt may reach another instance than the one that sent its
reply — even before that one has recorded the send. Parked receipts are rows, so the
receipt finds its reply through the database, and a sweep settles what two instances'
transactions crossing each other left parked."""
import pytest
import pytest_twisted
from sqlalchemy import select, update
from twisted.internet import defer, reactor

from gateway.journal import Lease, open_journal
from gateway.journal.tables import parked_receipts, replies
from gateway.model import DeliveryReport, Message, Routing, RoutingStatus


@pytest_twisted.inlineCallbacks
def queued_replies(journal, count: int) -> list:
    out = []
    for n in range(count):
        accepted = yield journal.accept(Message("sms", f"+62812{n:07d}", "Jalan rusak", f"r-{n}"),
                                        Routing(RoutingStatus.UNROUTED, "Jalan rusak"))
        out.append((yield journal.record_forwarded(accepted.complaint_id, f"{n}", "unrouted", f"#{n}")))
    return out


def receipt(n: int) -> DeliveryReport:
    return DeliveryReport("sms", f"ID{n:06d}", "DELIVRD", True, address=f"+62812{n:07d}", snippet="#")


def states(journal):
    def read(conn):
        return ([r.state for r in conn.execute(select(replies.c.state).order_by(replies.c.id))],
                conn.execute(select(parked_receipts.c.id)).all())
    return journal.database.transact(read)


@pytest_twisted.inlineCallbacks
def test_a_receipt_parked_while_its_send_was_recorded_elsewhere_is_settled_by_the_sweep(database_url):
    journal = yield open_journal(database_url, reactor)
    try:
        (reply,) = yield queued_replies(journal, 1)
        yield journal.record_delivery(receipt(0))            # parked: no reply has the id yet
        # what a crossing of two instances' transactions leaves: the send recorded, the
        # receipt parked, neither having seen the other
        yield journal.database.transact(lambda conn: conn.execute(
            update(replies).where(replies.c.id == reply.id).values(state="sent", channel_message_id="ID000000")))
        assert (yield states(journal))[0] == ["sent"]
        assert (yield journal.match_parked_reports()) == 1
        assert (yield states(journal)) == (["delivered"], [])
        assert (yield journal.match_parked_reports()) == 0
    finally:
        journal.close()


@pytest.mark.postgres
@pytest_twisted.inlineCallbacks
def test_receipts_on_one_instance_for_sends_recorded_by_another_are_all_matched(postgres_url):
    a = yield open_journal(postgres_url, reactor, lease=Lease("a", 30.0))
    b = yield open_journal(postgres_url, reactor, lease=Lease("b", 30.0))
    try:
        queued = yield queued_replies(a, 150)
        for reply in queued:
            yield a.record_reply_sending(reply.id)
        # a records each send while b stores its receipt, at the same time
        yield defer.gatherResults(
            [d for n, reply in enumerate(queued)
             for d in (a.record_reply_sent(reply.id, f"ID{n:06d}"), b.record_delivery(receipt(n)))])
        yield b.match_parked_reports()
        assert (yield states(a)) == (["delivered"] * 150, [])
    finally:
        a.close()
        b.close()
