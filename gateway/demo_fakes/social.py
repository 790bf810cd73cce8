"""The X and Telegram part of `lapor-gateway demo`: the fake servers, the two channels pointed
at them, citizens' sample messages, and the rows to print once the replies are back.

    social = SocialDemo(reactor)                      # fake X and Telegram on 127.0.0.1
    service = GatewayService(settings, reactor, channels={"local": local, **social.channels()})
    yield service.start()
    social.post_samples()                              # a mention on X, messages to the bot
    yield social.wait_for_replies(timeout_s=30)        # the answers reached the fakes and the store
    rows = yield social.rows(service.store)            # same shape as the demo's SMS rows
    yield social.stop()                                # after service.stop()
"""
from __future__ import annotations

from twisted.internet import defer
from twisted.internet.defer import inlineCallbacks

from gateway.channels.telegram import TelegramChannel, build_application
from gateway.channels.telegram.updates import HELP_TEXT, UNSUPPORTED_TEXT
from gateway.channels.x import XChannel
from gateway.channels.x.api import XApi, make_client
from gateway.demo_fakes.fake_telegram import FakeTelegram
from gateway.demo_fakes.fake_x import FakeX

#: (channel, what the citizen sends)
SAMPLES = (
    ("x", "@lapor1708 #PekalonganKota Lampu PJU mati sepanjang Jl. Hayam Wuruk"),
    ("telegram", "KabBanyumas Jembatan di Desa Kalisalak retak, mohon segera diperbaiki"),
    ("telegram", "/bantuan"),
)


class SocialDemo:
    def __init__(self, reactor):
        self._reactor = reactor
        self.x = FakeX(reactor).listen()
        self.telegram = FakeTelegram(reactor).listen()
        self._channels: dict = {}
        self._complaints = {"x": 0, "telegram": 0}

    def channels(self) -> dict:
        """The X and Telegram channels, talking to the fakes, polling briskly."""
        client = make_client(bearer_token="demo", consumer_key="demo", consumer_secret="demo",
                             access_token="demo", access_token_secret="demo",
                             base_url=self.x.base_url, timeout_s=10)
        self._channels = {
            "x": XChannel(XApi(client, self._reactor), self._reactor, account_id=self.x.account["id"],
                          poll_interval_s=0.5, requests_per_15min=10_000),
            "telegram": TelegramChannel(build_application(self.telegram.token, self.telegram.base_url,
                                                          request_timeout_s=10),
                                        self._reactor, poll_timeout_s=10),
        }
        return self._channels

    def post_samples(self) -> None:
        for i, (channel, text) in enumerate(SAMPLES):
            if channel == "x":
                self.x.mention(f"warga_pkl{i}", text)
                self._complaints["x"] += 1
            else:
                self.telegram.say(880_000 + i, text)
                self._complaints["telegram"] += 1   # a complaint's reply, or the bot's own answer

    def wait_for_replies(self, timeout_s: float = 30):
        """Fires once every sample complaint's reply is stored as delivered (and /bantuan answered)."""
        waits = [self._channels[name].deliveries.wait_for(n) for name, n in self._complaints.items()]
        waits.append(self.telegram.wait_for_sent(len([s for s in SAMPLES if s[0] == "telegram"])))
        d = defer.gatherResults(waits, consumeErrors=True)
        d.addTimeout(timeout_s, self._reactor)
        return d

    @inlineCallbacks
    def rows(self, store):
        """The X and Telegram complaints as the demo prints them (show_complaint + text)."""
        rows = []
        for summary in reversed((yield store.list_complaints(None, 1000))):
            if summary["channel"] in ("x", "telegram"):
                detail = yield store.show_complaint(summary["id"])
                rows.append(detail | {"duplicate": False})
        return rows

    def bot_answers(self) -> list[dict]:
        """What the bot said that was not a complaint's reply (e.g. the /bantuan help)."""
        own = {HELP_TEXT, UNSUPPORTED_TEXT}
        return [s for s in self.telegram.sent if s["text"] in own]

    def stop(self):
        return defer.gatherResults([self.x.stop(), self.telegram.stop()], consumeErrors=True)
