"""X counts posts per account, not per process: `posts_per_15min` is one budget for every
instance on the database, spent in a transaction that locks it (issue 15's leftover: each
instance used to keep its own and overwrite the other's). On SQLite and PostgreSQL; the
channel over real HTTP to the fake X."""
import pytest_twisted
from twisted.internet import defer, reactor

from gateway.channels.x.channel import POST_WINDOW_S, POSTS_BUDGET_HINT
from gateway.demo_fakes.fake_x import FakeX
from gateway.journal import open_journal
from tests.channels.helpers import epoch_clock, run_until_waiting
from tests.channels.test_reply_hints import x_service
from tests.channels.test_x_channel import burst
from tests.logwatch import LogWatch

NOW = 1_790_000_000.0


@pytest_twisted.inlineCallbacks
def test_two_instances_spending_at_once_never_go_over_the_budget_together(database_url):
    first = yield open_journal(database_url, reactor)
    second = None
    try:
        second = yield open_journal(database_url, reactor)   # another instance on the same database
        waits = yield defer.gatherResults([(first if n % 2 else second).spend_budget("x:test", 3, 900.0, NOW + n)
                                           for n in range(10)])
        assert sum(1 for w in waits if w == 0.0) == 3
        assert all(w > 890.0 for w in waits if w)          # until the first spend leaves the window
        assert (yield second.spend_budget("x:test", 3, 900.0, NOW + 901)) == 0.0, "one slot free again"
        yield first.block_budget("x:test", NOW + 2000)
        assert (yield second.spend_budget("x:test", 3, 900.0, NOW + 1000)) == 1000.0
    finally:
        first.close()
        if second is not None:
            second.close()


@pytest_twisted.inlineCallbacks
def test_posts_another_instance_made_count_against_this_ones_budget(tmp_path):
    fake, clock = FakeX(reactor).listen(), epoch_clock()
    burst(fake, 3)
    try:
        with LogWatch() as logs:
            service, channel = yield x_service(tmp_path, fake, clock, posts_per_15min=3)
            other = None
            try:
                other = yield open_journal(service.settings.database_url, reactor)   # another instance
                for _ in range(2):   # it posted twice this quarter hour
                    assert (yield other.spend_budget(POSTS_BUDGET_HINT, 3, POST_WINDOW_S, clock.seconds())) == 0.0
                yield run_until_waiting(channel.loop, clock)                   # three mentions taken
                yield logs.wait_for("server asked us to wait; channel sends paused",
                                    channel="x").addTimeout(10, reactor)
                assert len(fake.replies) == 1, "one post left in the account's budget"
                clock.advance(POST_WINDOW_S + 1)
                yield fake.wait_for_replies(3).addTimeout(20, reactor)
                assert len(fake.post_attempts) == 3, "no post refused, none twice"
            finally:
                if other is not None:
                    other.close()
                yield service.stop()
    finally:
        yield fake.stop()
