"""A reply that went out while our database could not record it (a PostgreSQL restart)
is recorded once the database is back — by the running daemon, not left in doubt until
its next start — and is never sent a second time."""
import pytest_twisted
from twisted.internet import defer, reactor, task

from gateway.journal import open_journal
from gateway.outbox import Outbox
from gateway.reply_settings import RepliesSettings
from tests.test_outbox_bound import SlowHandset
from tests.test_reply_claims import replies_queued_by


class DatabaseDown(Exception):
    pass


@pytest_twisted.inlineCallbacks
def test_a_send_the_database_could_not_record_is_recorded_when_it_is_back(tmp_path):
    journal = yield open_journal(f"sqlite:///{tmp_path / 'gateway.db'}", reactor)
    record, failures = journal.record_reply_sent, []

    def failing_twice(*args, **kwargs):   # the database restarting for two tries
        if len(failures) < 2:
            failures.append(args[0])
            return defer.fail(DatabaseDown("connection refused"))
        return record(*args, **kwargs)
    journal.record_reply_sent = failing_twice
    handset = SlowHandset(lambda: 0)
    outbox = Outbox(journal, {"sms": handset}, reactor, RepliesSettings(), rescan_interval_s=0)
    try:
        (reply,) = yield replies_queued_by(journal, [1])
        outbox.send(reply)
        for _ in range(100):
            states = yield journal.count_replies_by_state()
            if states.get("delivered"):
                break
            yield task.deferLater(reactor, 0.1, lambda: None)
        assert states == {"delivered": 1} and failures == [reply.id, reply.id]
        assert handset.sent == [reply.id], "sent once, recorded on the third try"
    finally:
        yield outbox.stop()
        journal.close()
