"""The X and Telegram part of `lapor-gateway demo`: the fake servers, the two channels pointed
at them, citizens' sample messages, and the rows to print once the replies are back.

    social = SocialDemo(reactor)                      # fake X and Telegram on 127.0.0.1
    settings = with_channels(settings, **social.sections())
    service = GatewayService(settings, reactor, secrets=GivenSecrets(social.secrets()))
    yield service.start()
    social.post_samples()                              # a mention on X, messages to the bot
    yield social.wait_for_replies(service.channels, timeout_s=30)
    rows = yield social.rows(service.journal)            # same shape as the demo's SMS rows
    yield social.stop()                                # after service.stop()
"""
from __future__ import annotations

from twisted.internet import defer
from twisted.internet.defer import inlineCallbacks

from gateway.channels.telegram.settings import TelegramSettings
from gateway.channels.telegram.updates import HELP_TEXT, UNSUPPORTED_TEXT
from gateway.channels.x.settings import SECRETS as X_SECRETS
from gateway.channels.x.settings import XSettings
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
        self._complaints = {"x": 0, "telegram": 0}

    def sections(self) -> dict:
        """The `[channels.x]` and `[channels.telegram]` sections pointing at the fakes, polling
        briskly (the channels are built from them as `run` builds them)."""
        return {"x": XSettings(enabled=True, account_id=self.x.account["id"], poll_interval_s=0.5,
                               requests_per_15min=10_000, request_timeout_s=10,
                               api_base_url=self.x.base_url),
                "telegram": TelegramSettings(enabled=True, poll_timeout_s=10, request_timeout_s=10,
                                             api_base_url=self.telegram.base_url)}

    def secrets(self) -> dict[str, str]:
        """What the fakes take for credentials."""
        return {**{name: "demo" for name in X_SECRETS}, "telegram_token": self.telegram.token}

    intro = "a mention of @lapor1708 on a fake X and messages to the bot on a fake Telegram (both on 127.0.0.1)"

    @inlineCallbacks
    def feed(self, service):
        """Post the samples; once every reply is delivered, their complaints as rows."""
        self.post_samples()
        yield self.wait_for_replies(service.channels, 30)
        return (yield self.rows(service.journal))

    def epilogue(self) -> list[str]:
        return [f"The bot's answer to /bantuan:\n  {answer['text']}" for answer in self.bot_answers()]

    def post_samples(self) -> None:
        for i, (channel, text) in enumerate(SAMPLES):
            if channel == "x":
                self.x.mention(f"warga_pkl{i}", text)
                self._complaints["x"] += 1
            else:
                self.telegram.say(880_000 + i, text)
                self._complaints["telegram"] += 1   # a complaint's reply, or the bot's own answer

    def wait_for_replies(self, channels: dict, timeout_s: float = 30):
        """Fires once every sample complaint's reply is stored as delivered (and /bantuan answered);
        `channels` are the service's."""
        waits = [channels[name].deliveries.wait_for(n) for name, n in self._complaints.items()]
        waits.append(self.telegram.wait_for_sent(len([s for s in SAMPLES if s[0] == "telegram"])))
        d = defer.gatherResults(waits, consumeErrors=True)
        d.addTimeout(timeout_s, self._reactor)
        return d

    @inlineCallbacks
    def rows(self, journal):
        """The X and Telegram complaints as the demo prints them (show_complaint + text)."""
        rows = []
        for summary in reversed((yield journal.list_complaints(None, 1000))):
            if summary["channel"] in ("x", "telegram"):
                detail = yield journal.show_complaint(summary["id"])
                rows.append(detail | {"duplicate": False})
        return rows

    def bot_answers(self) -> list[dict]:
        """What the bot said that was not a complaint's reply (e.g. the /bantuan help)."""
        own = {HELP_TEXT, UNSUPPORTED_TEXT}
        return [s for s in self.telegram.sent if s["text"] in own]

    def stop(self):
        return defer.gatherResults([self.x.stop(), self.telegram.stop()], consumeErrors=True)
