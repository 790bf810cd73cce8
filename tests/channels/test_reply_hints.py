"""Replies under server hints and lost answers, over real HTTP to the fake X and Telegram
APIs: a 429 pauses the channel until its reset (no request before it, no attempt spent,
the pause survives a restart); a post whose answer was lost is looked up, not doubled."""
import pytest_twisted
from sqlalchemy import select
from twisted.internet import reactor

from gateway.demo_fakes.fake_telegram import FakeTelegram
from gateway.demo_fakes.fake_x import FakeX
from gateway.service import GatewayService
from gateway.journal.tables import hints, messages, replies
from tests.channels.helpers import epoch_clock, run_until_waiting, step
from tests.channels.test_telegram_channel import telegram_channel
from tests.channels.test_x_channel import burst, x_channel
from tests.logwatch import LogWatch
from tests.support import settings_for

PAUSED = "server asked us to wait; channel sends paused"


def table(service, which):
    return service.journal.database.transact(lambda conn: [dict(r._mapping) for r in conn.execute(select(which))])


@pytest_twisted.inlineCallbacks
def x_service(tmp_path, fake, clock, replies_on_clock=True, **options):
    channel = x_channel(fake, clock, **options)
    service = GatewayService(settings_for(tmp_path), reactor, channels={"x": channel},
                             clock=clock if replies_on_clock else None)
    yield service.start()
    return service, channel


@pytest_twisted.inlineCallbacks
def test_an_x_429_on_posts_holds_every_reply_until_the_reset_even_across_a_restart(tmp_path):
    fake, clock = FakeX(reactor).listen(), epoch_clock()
    burst(fake, 3)
    reset = clock.seconds() + 120
    fake.fail_next_post(429, reset_at=reset)
    try:
        with LogWatch() as logs:
            service, channel = yield x_service(tmp_path, fake, clock)
            try:
                yield run_until_waiting(channel.loop, clock)     # the three mentions are taken
                yield logs.wait_for(PAUSED, channel="x").addTimeout(10, reactor)
                assert len(fake.post_attempts) == 1               # the one answered 429
                yield service.journal.drain()
                stored = {h["key"]: h["value"] for h in (yield table(service, hints))}
                assert stored["pause:x"]["until"] == reset + 1
                assert stored["x:posts-budget"]["blocked_until"] == reset + 1
            finally:
                yield service.stop()

            # A restart before the reset sends nothing either: the pause was remembered.
            service, channel = yield x_service(tmp_path, fake, clock)
            try:
                yield logs.wait_for("channel paused by an earlier server hint", channel="x").addTimeout(10, reactor)
                clock.advance(120)                                # one second short of reset + 1
                assert len(fake.post_attempts) == 1
                clock.advance(1.5)
                yield fake.wait_for_replies(3).addTimeout(20, reactor)
                yield channel.deliveries.wait_for(3).addTimeout(20, reactor)
                assert len(fake.post_attempts) == 4               # 1 refused + 3 posted, none twice
                rows = yield table(service, replies)
                assert sorted((r["state"], r["attempts"]) for r in rows) == [("delivered", 1)] * 3
            finally:
                yield service.stop()
    finally:
        yield fake.stop()   # even when the first run failed


@pytest_twisted.inlineCallbacks
def test_the_mentions_budget_is_respected_across_a_restart(tmp_path):
    fake, clock = FakeX(reactor).listen(), epoch_clock()
    burst(fake, 12)
    try:
        service, channel = yield x_service(tmp_path, fake, clock, False, requests_per_15min=2)
        try:
            yield step(channel.loop, clock)
            yield step(channel.loop, clock)                        # two pages: the budget is spent
            assert len(fake.mention_requests()) == 2
        finally:
            yield service.stop()
        service, channel = yield x_service(tmp_path, fake, clock, False, requests_per_15min=2)
        try:
            wait = yield step(channel.loop, clock)                 # the restarted poller waits
            assert len(fake.mention_requests()) == 2 and 890 <= wait <= 900
            yield step(channel.loop, clock)
            assert len(fake.mention_requests()) == 3
        finally:
            yield service.stop()
    finally:
        yield fake.stop()   # even when the first run failed


@pytest_twisted.inlineCallbacks
def test_a_post_whose_answer_was_lost_is_found_not_posted_twice(tmp_path):
    fake, clock = FakeX(reactor).listen(), epoch_clock()
    burst(fake, 2)
    fake.fail_next_post(drop_after_posting=True)
    with LogWatch() as logs:
        service, channel = yield x_service(tmp_path, fake, clock)
        try:
            yield run_until_waiting(channel.loop, clock)
            settled = yield logs.wait_for("reply in doubt had gone out").addTimeout(10, reactor)
            assert settled["how"] == "found among the account's posts"
            yield channel.deliveries.wait_for(2).addTimeout(20, reactor)
            assert len(fake.replies) == 2 and len(fake.post_attempts) == 2
            rows = yield table(service, replies)
            assert sorted(r["state"] for r in rows) == ["delivered", "delivered"]
        finally:
            yield service.stop()
            yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_a_duplicate_content_403_after_a_resend_is_recorded_as_posted(tmp_path):
    fake, clock = FakeX(reactor).listen(), epoch_clock()
    burst(fake, 1)
    fake.fail_next_post(drop_after_posting=True)
    fake.hide_from_lookup = 1          # the first look-up does not see the post yet: resent
    with LogWatch() as logs:
        service, channel = yield x_service(tmp_path, fake, clock)
        try:
            yield run_until_waiting(channel.loop, clock)
            yield logs.wait_for("reply in doubt had not gone out; sending it again").addTimeout(10, reactor)
            yield channel.deliveries.wait_for(1).addTimeout(20, reactor)
            assert len(fake.replies) == 1 and len(fake.post_attempts) == 2   # the 2nd got a 403
            (row,) = yield table(service, replies)
            assert row["state"] == "delivered" and row["channel_message_id"] == fake.replies[0]["id"]
        finally:
            yield service.stop()
            yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_a_telegram_retry_after_pauses_the_bot_and_nothing_is_answered_twice(tmp_path):
    fake, clock = FakeTelegram(reactor).listen(), epoch_clock()
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 30", {"retry_after": 30})
    fake.say(4201, "/start")
    fake.say(4202, "PekalonganKota Jalan rusak")
    fake.say(4203, "Jateng banjir di pasar")
    channel = telegram_channel(fake, clock)
    service = GatewayService(settings_for(tmp_path), reactor, channels={"telegram": channel}, clock=clock)
    with LogWatch() as logs:
        yield service.start()
        try:
            yield step(channel.loop, clock)                    # boot, take the three updates
            yield logs.wait_for(PAUSED, channel="telegram").addTimeout(10, reactor)
            sends = fake.calls.count("sendMessage")
            assert sends == 1 and fake.sent == []
            yield step(channel.loop, clock)                    # confirms the batch: no refetch
            clock.advance(29)
            assert fake.calls.count("sendMessage") == 1
            clock.advance(2)
            yield fake.wait_for_sent(3).addTimeout(20, reactor)
            yield channel.deliveries.wait_for(3).addTimeout(20, reactor)
            assert sorted(s["chat_id"] for s in fake.sent) == [4201, 4202, 4203]   # once each
            assert logs.count("telegram updates taken") == 1
            rows = yield table(service, replies)
            assert sorted((r["kind"], r["state"], r["attempts"]) for r in rows) == [
                ("answer", "delivered", 1), ("routed", "delivered", 1), ("routed", "delivered", 1)]
        finally:
            yield service.stop()
            yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_a_poll_that_reaches_the_apis_800_mentions_says_some_may_be_missed(tmp_path):
    fake, clock = FakeX(reactor).listen(), epoch_clock()
    burst(fake, 5)
    with LogWatch() as logs:
        service, channel = yield x_service(tmp_path, fake, clock, False, max_results=100,
                                           requests_per_15min=100)
        try:
            yield run_until_waiting(channel.loop, clock)         # the first 5: since_id stored
            burst(fake, 850, first=5)                             # more than X serves
            yield run_until_waiting(channel.loop, clock)
            warned = yield logs.wait_for("x mentions may have been missed: the poll reached the API's"
                                         " limit of 800 before the last since_id").addTimeout(10, reactor)
            assert warned["mentions"] == 800 and channel.missed_polls == 1
            stored = yield table(service, messages)
            assert len(stored) == 805              # the 5, and the 800 the API still served
        finally:
            yield service.stop()
            yield fake.stop()
