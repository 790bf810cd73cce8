"""The X channel end to end: tweepy over real HTTP to the fake X API on 127.0.0.1, the real
pipeline and store, the poller's timers on a task.Clock."""
import pytest_twisted
from twisted.internet import reactor

from gateway.channels.base import DatabaseUnavailable
from gateway.channels.x.channel import XChannel
from gateway.channels.x.settings import XSettings
from gateway.channels.x.api import XApi, make_client
from gateway.demo_fakes.fake_x import FakeX
from gateway.service import GatewayService
from tests.channels.helpers import epoch_clock, next_delay, run_until_waiting, step
from tests.support import settings_for


def x_channel(fake, clock, **options):
    client = make_client(bearer_token="app-bearer", consumer_key="ck", consumer_secret="cs",
                         access_token="at", access_token_secret="ats", base_url=fake.base_url,
                         timeout_s=5)
    options = {"account_id": fake.account["id"], "poll_interval_s": 60, "requests_per_15min": 100,
               "max_results": 5, "retry_initial_s": 2, "retry_max_s": 64} | options
    return XChannel(XApi(client, reactor), reactor, XSettings(enabled=True, **options), clock=clock)


@pytest_twisted.inlineCallbacks
def started(tmp_path, fake, clock, **options):
    channel = x_channel(fake, clock, **options)
    service = GatewayService(settings_for(tmp_path), reactor, channels={"x": channel})
    yield service.start()
    return service, channel


def burst(fake, count, first=0):
    return [fake.mention(f"warga{i}", f"@lapor1708 PekalonganKota Jalan rusak no {i}")
            for i in range(first, first + count)]


@pytest_twisted.inlineCallbacks
def test_a_burst_across_pages_is_taken_whole_and_each_mention_gets_a_reply(tmp_path):
    fake, clock = FakeX(reactor).listen(), epoch_clock()
    ids = burst(fake, 12)
    service, channel = yield started(tmp_path, fake, clock)
    try:
        wait = yield run_until_waiting(channel.loop, clock)
        assert wait == 60
        pages = fake.mention_requests()
        assert len(pages) == 3 and [p.get("pagination_token") is None for p in pages] == [True, False, False]
        assert (yield service.journal.load_cursor("x")) == ids[-1]  # the first page's newest_id
        yield fake.wait_for_replies(12).addTimeout(20, reactor)
        yield channel.deliveries.wait_for(12).addTimeout(20, reactor)
        assert (yield service.journal.count_by_state()) == {"forwarded": 12}
        assert sorted(r["in_reply_to_tweet_id"] for r in fake.replies) == sorted(ids)
        posted = {r["id"]: r for r in fake.replies}
        for row in (yield service.journal.list_complaints(None, 100)):
            detail = yield service.journal.show_complaint(row["id"])
            (reply,) = detail["replies"]
            assert reply["state"] == "delivered" and reply["delivery_status"] == "POSTED"
            text = posted[reply["channel_message_id"]]["text"]
            assert f"#{detail['tracking_id']}" in text and "Kota Pekalongan" in text and len(text) <= 280
            assert detail["text"].startswith("PekalonganKota Jalan rusak")
        # The next poll asks only for what is newer: since_id on every page.
        newer = burst(fake, 2, first=100)
        yield step(channel.loop, clock)
        last = fake.mention_requests()[-1]
        assert last["since_id"] == ids[-1]
        assert (yield service.journal.load_cursor("x")) == newer[-1]
    finally:
        yield service.stop()
        yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_restart_in_the_middle_of_paging_leaves_no_gap_and_no_duplicate(tmp_path):
    fake, clock = FakeX(reactor).listen(), epoch_clock()
    older = burst(fake, 3)
    service, channel = yield started(tmp_path, fake, clock)
    yield run_until_waiting(channel.loop, clock)
    assert (yield service.journal.load_cursor("x")) == older[-1]
    ids = burst(fake, 13, first=10)  # three pages newer than since_id
    assert (yield step(channel.loop, clock)) == 0  # first page committed, two to go
    assert sum((yield service.journal.count_by_state()).values()) == 3 + 5
    assert (yield service.journal.load_cursor("x")) == older[-1], "since_id moved before the walk ended"
    yield service.stop()

    clock = epoch_clock()
    service, channel = yield started(tmp_path, fake, clock)
    try:
        yield run_until_waiting(channel.loop, clock)
        walk = fake.mention_requests()[-3:]
        assert all(p["since_id"] == older[-1] for p in walk)  # paged again from the top
        assert (yield service.journal.load_cursor("x")) == ids[-1]
        yield fake.wait_for_replies(16).addTimeout(20, reactor)
        counts = yield service.journal.count_by_state()
        assert sum(counts.values()) == 16 and service.pipeline.duplicates == 5
        assert sorted(r["in_reply_to_tweet_id"] for r in fake.replies) == sorted(older + ids)
    finally:
        yield service.stop()
        yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_a_429_waits_until_the_reset_and_errors_back_off_without_stopping_the_poller(tmp_path):
    fake, clock = FakeX(reactor).listen(), epoch_clock()
    burst(fake, 2)
    service, channel = yield started(tmp_path, fake, clock)
    try:
        reset_at = clock.seconds() + 300
        fake.fail_next(429, reset_at=reset_at)
        wait = yield step(channel.loop, clock)
        assert wait == reset_at + 1 - clock.seconds() and channel.loop.failures == 0
        fake.fail_next(503, times=2)
        fake.fail_next(drop=True)
        waits = []
        for _ in range(3):
            waits.append((yield step(channel.loop, clock)))
        assert channel.loop.failures == 3
        assert 1 <= waits[0] <= 2 <= waits[1] <= 4 <= waits[2] <= 8  # exponential, with jitter
        assert (yield step(channel.loop, clock)) == 60 and channel.loop.failures == 0
        yield fake.wait_for_replies(2).addTimeout(20, reactor)
        assert len(fake.mention_requests()) == 5
    finally:
        yield service.stop()
        yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_the_request_budget_spaces_pages_within_fifteen_minutes(tmp_path):
    fake, clock = FakeX(reactor).listen(), epoch_clock()
    burst(fake, 12)
    service, channel = yield started(tmp_path, fake, clock, requests_per_15min=2)
    try:
        started_at = clock.seconds()
        assert (yield step(channel.loop, clock)) == 0
        assert (yield step(channel.loop, clock)) == 0
        wait = yield step(channel.loop, clock)  # third page: over budget, no request
        assert len(fake.mention_requests()) == 2 and wait == started_at + 900 - clock.seconds()
        assert (yield run_until_waiting(channel.loop, clock)) == 60
        assert len(fake.mention_requests()) == 3
        assert (yield service.journal.load_cursor("x")) is not None
    finally:
        yield service.stop()
        yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_since_id_does_not_advance_while_the_store_fails(tmp_path, monkeypatch):
    fake, clock = FakeX(reactor).listen(), epoch_clock()
    ids = burst(fake, 3)
    service, channel = yield started(tmp_path, fake, clock)
    try:
        real_accept = service.journal.accept
        from twisted.internet import defer
        monkeypatch.setattr(service.journal, "accept", lambda m: defer.fail(DatabaseUnavailable("disk full")))
        wait = yield step(channel.loop, clock)
        assert channel.loop.failures == 1 and wait > 0
        assert (yield service.journal.load_cursor("x")) is None
        monkeypatch.setattr(service.journal, "accept", real_accept)
        assert (yield step(channel.loop, clock)) == 60
        assert fake.mention_requests()[-1].get("since_id") is None  # the same page again
        assert (yield service.journal.load_cursor("x")) == ids[-1]
        yield fake.wait_for_replies(3).addTimeout(20, reactor)
    finally:
        yield service.stop()
        yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_own_posts_and_reposts_are_not_complaints_and_the_account_id_can_be_asked(tmp_path):
    fake, clock = FakeX(reactor).listen(), epoch_clock()
    first = fake.mention("warga", "@lapor1708 KabBanyumas Lampu jalan mati")
    fake.mention("warga2", "RT @warga: @lapor1708 KabBanyumas Lampu jalan mati", repost_of=first)
    fake.mention("lapor1708", "@warga terima kasih", author_id=fake.account["id"])
    service, channel = yield started(tmp_path, fake, clock, account_id="")
    try:
        yield run_until_waiting(channel.loop, clock)
        yield fake.wait_for_replies(1).addTimeout(20, reactor)
        yield channel.deliveries.wait_for(1).addTimeout(20, reactor)
        assert (yield service.journal.count_by_state()) == {"forwarded": 1}
        assert fake.replies[0]["in_reply_to_tweet_id"] == first
        assert next_delay(clock) == 60
    finally:
        yield service.stop()
        yield fake.stop()
