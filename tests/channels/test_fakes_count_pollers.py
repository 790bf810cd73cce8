"""The fakes see a second poller (so the failover drill's "one at a time" could fail): the
fake Telegram ends a getUpdates in flight with 409 when another comes, as the Bot API
does, and both fakes count the most polls they had in flight at once."""
import pytest_twisted
import treq
from twisted.internet import defer, reactor

from gateway.demo_fakes.fake_telegram import FakeTelegram
from gateway.demo_fakes.fake_x import FakeX

CONFLICT = ("Conflict: terminated by other getUpdates request; make sure that only one bot"
            " instance is running")


@pytest_twisted.inlineCallbacks
def get_json(url: str, **options):
    response = yield treq.get(url, **options)
    return response.code, (yield response.json())


@pytest_twisted.inlineCallbacks
def test_a_second_getupdates_ends_the_one_in_flight_with_409_and_is_counted():
    fake = FakeTelegram(reactor).listen()
    fake.response_delay_s = 0.3
    url = f"{fake.base_url}/bot{fake.token}/getUpdates?timeout=1"
    try:
        yield get_json(url)                          # one at a time: no conflict
        assert fake.max_concurrent_polls == 1
        first = get_json(url)
        yield fake.wait_for_held_poll()
        second = get_json(url)
        (code1, body1), (code2, body2) = yield defer.gatherResults([first, second])
        assert (code1, body1) == (409, {"ok": False, "error_code": 409, "description": CONFLICT})
        assert code2 == 200 and body2["ok"]
        assert fake.max_concurrent_polls == 2 and fake.conflicts == 1
    finally:
        yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_mention_requests_in_flight_together_are_counted():
    fake = FakeX(reactor).listen()
    fake.response_delay_s = 0.3
    url = f"{fake.base_url}/2/users/{fake.account['id']}/mentions"
    auth = {"Authorization": ["Bearer t"]}
    try:
        yield get_json(url, headers=auth)
        assert fake.max_concurrent_mentions == 1
        answers = yield defer.gatherResults([get_json(url, headers=auth), get_json(url, headers=auth)])
        assert [code for code, _ in answers] == [200, 200]
        assert fake.max_concurrent_mentions == 2 and fake.mentions_in_flight == 0
    finally:
        yield fake.stop()
