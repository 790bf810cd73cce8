"""The X and Telegram part of `lapor-gateway demo`: the fake servers, the two channels pointed
at them, citizens' sample messages, and the rows to print once the replies are back.

    social = SocialDemo(reactor)                      # fake X and Telegram on 127.0.0.1
    settings = with_channels(settings, **social.sections())
    service = GatewayService(settings, reactor, secrets=GivenSecrets(social.secrets()))
    yield service.start()
    social.post_samples()                              # a mention on X, messages to the bot
    yield social.wait_for_replies(service.channels, timeout_s=30)
    rows = yield social.rows(service.journal)            # same shape as the demo's SMS rows
    asked = yield social.ask_status(service, rows)              # each citizen asks for their case's status
    yield social.wait_for_updates(service)                    # once their cases moved: each update delivered
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
        self._delivered = {"x": 0, "telegram": 0}   # replies each channel is to have delivered
        self._citizens: dict[str, tuple[object, str]] = {}   # channel: (author or chat, complaint text)

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
                self._delivered["x"] += 1
                self._citizens.setdefault("x", (f"warga_pkl{i}", text))
            else:
                self.telegram.say(880_000 + i, text)
                self._delivered["telegram"] += 1   # a complaint's reply, or the bot's own answer
                if not text.startswith("/"):
                    self._citizens.setdefault("telegram", (880_000 + i, text))

    def wait_for_replies(self, channels: dict, timeout_s: float = 30):
        """Fires once every sample complaint's reply is stored as delivered (and /bantuan answered);
        `channels` are the service's."""
        waits = [channels[name].deliveries.wait_for(n) for name, n in self._delivered.items()]
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

    @inlineCallbacks
    def ask_status(self, service, rows):
        """The citizen of the first X and the first Telegram complaint asks for its status
        there (`@lapor1708 cek #<nomor>`, `/cek <nomor>`): [{"row", "asked", "answer"}]
        once both answers are stored as delivered."""
        x_row, tg_row = (self._row_of(rows, channel) for channel in ("x", "telegram"))
        x_asked, tg_asked = f"@lapor1708 cek #{x_row['tracking_id']}", f"/cek {tg_row['tracking_id']}"
        self.x.mention(self._citizens["x"][0], x_asked)
        self.telegram.say(self._citizens["telegram"][0], tg_asked)
        yield self._one_more_each(service.channels).addTimeout(30, self._reactor)
        return [{"row": x_row, "asked": x_asked, "answer": self.x.replies[-1]["text"]},
                {"row": tg_row, "asked": tg_asked, "answer": self.telegram.sent[-1]["text"]}]

    def wait_for_updates(self, service):
        """Fires once one more reply on X and on Telegram — the update of each case asked
        about — is stored as delivered. Call it before the cases move."""
        return self._one_more_each(service.channels)

    def _one_more_each(self, channels: dict):
        for channel in self._delivered:
            self._delivered[channel] += 1
        return defer.gatherResults([channels[name].deliveries.wait_for(n) for name, n in self._delivered.items()],
                                   consumeErrors=True)

    def _row_of(self, rows, channel: str) -> dict:
        return next(r for r in rows if r["channel"] == channel and r["text"] in self._citizens[channel][1])

    def bot_answers(self) -> list[dict]:
        """What the bot said that was not a complaint's reply (e.g. the /bantuan help)."""
        own = {HELP_TEXT, UNSUPPORTED_TEXT}
        return [s for s in self.telegram.sent if s["text"] in own]

    def stop(self):
        return defer.gatherResults([self.x.stop(), self.telegram.stop()], consumeErrors=True)
