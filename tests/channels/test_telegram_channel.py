"""The Telegram channel end to end: python-telegram-bot over real HTTP to the fake Bot API on
127.0.0.1, the real pipeline and store; the poll loop's timers on a task.Clock."""
import pytest_twisted
import treq
from twisted.internet import defer, reactor
from twisted.web import server

from gateway.channels.base import DatabaseUnavailable
from gateway.channels.telegram.channel import TelegramChannel, build_application
from gateway.channels.telegram.settings import TelegramSettings
from gateway.channels.telegram.updates import HELP_TEXT, UNSUPPORTED_TEXT
from gateway.demo_fakes.fake_telegram import FakeTelegram
from gateway.service import GatewayService
from tests.channels.helpers import epoch_clock, step
from tests.support import settings_for

SECRET = "s3cret_webhook-token"


def telegram_channel(fake, clock, **options):
    app = build_application(fake.token, fake.base_url, request_timeout_s=5)
    options = {"poll_timeout_s": 0, "retry_initial_s": 1, "retry_max_s": 30} | options
    webhook_secret = options.pop("webhook_secret", None)
    return TelegramChannel(app, reactor, TelegramSettings(enabled=True, **options), webhook_secret, clock=clock)


@pytest_twisted.inlineCallbacks
def started(tmp_path, fake, clock, **options):
    channel = telegram_channel(fake, clock, **options)
    service = GatewayService(settings_for(tmp_path), reactor, channels={"telegram": channel})
    yield service.start()
    return service, channel


@pytest_twisted.inlineCallbacks
def test_a_message_becomes_a_case_and_the_bot_answers_with_number_and_region(tmp_path):
    fake, clock = FakeTelegram(reactor).listen(), epoch_clock()
    fake.webhook = {"url": "https://old.example/hook", "secret_token": None}  # left over
    said = fake.say(4201, "PekalonganKota Jalan rusak di Jl. Merdeka")  # pending before start
    service, channel = yield started(tmp_path, fake, clock)
    try:
        yield step(channel.loop, clock)  # starts the bot (getMe, deleteWebhook), then takes the update
        assert fake.calls[:2] == ["getMe", "deleteWebhook"] and channel.ready
        assert fake.offsets == [None]  # the first poll confirms nothing
        assert (yield service.journal.load_cursor("telegram")) == str(said["update_id"] + 1)
        yield step(channel.loop, clock)
        assert fake.offsets == [None, said["update_id"] + 1] and fake.pending == []
        (sent,) = yield fake.wait_for_sent(1).addTimeout(20, reactor)
        yield channel.deliveries.wait_for(1).addTimeout(20, reactor)
        (row,) = yield service.journal.list_complaints()
        detail = yield service.journal.show_complaint(row["id"])
        assert detail["channel"] == "telegram" and detail["region"] == "33.75"
        assert sent["chat_id"] == 4201 and sent["reply_to_message_id"] == said["message"]["message_id"]
        assert f"#{detail['tracking_id']}" in sent["text"] and "Kota Pekalongan" in sent["text"]
        assert detail["replies"][0]["state"] == "delivered"
        assert channel.is_up()
    finally:
        yield service.stop()
        yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_commands_and_non_text_get_the_bots_own_answers_and_a_caption_is_a_complaint(tmp_path):
    fake, clock = FakeTelegram(reactor).listen(), epoch_clock()
    fake.say(11, "/start")
    fake.say(12, "/bantuan")
    fake.say(13, sticker=True)
    fake.say(14, location=True)
    fake.say(15, photo=True, caption="KabBanyumas Lampu jalan mati")
    fake.say(-100777, "obrolan biasa di grup", user_id=16, chat_type="supergroup")
    service, channel = yield started(tmp_path, fake, clock)
    try:
        yield step(channel.loop, clock)
        yield fake.wait_for_sent(5).addTimeout(20, reactor)
        answers = {s["chat_id"]: s["text"] for s in fake.sent}
        (row,) = yield service.journal.list_complaints()
        detail = yield service.journal.show_complaint(row["id"])
        assert detail["flags"] == ["with_photo"] and detail["region"] == "33.02"
        assert answers.pop(15).startswith("LAPOR!") and detail["tracking_id"] is not None
        assert answers == {11: HELP_TEXT, 12: HELP_TEXT, 13: UNSUPPORTED_TEXT, 14: UNSUPPORTED_TEXT}
        assert (yield service.journal.count_by_state()) == {"forwarded": 1}  # answers are not stored
    finally:
        yield service.stop()
        yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_the_offset_does_not_advance_while_the_store_fails(tmp_path, monkeypatch):
    fake, clock = FakeTelegram(reactor).listen(), epoch_clock()
    first = fake.say(21, "Jateng Bus ngetem sembarangan")
    service, channel = yield started(tmp_path, fake, clock)
    try:
        real_accept = service.journal.accept
        monkeypatch.setattr(service.journal, "accept", lambda m: defer.fail(DatabaseUnavailable("disk full")))
        wait = yield step(channel.loop, clock)
        assert channel.loop.failures == 1 and wait >= 0.5
        wait = yield step(channel.loop, clock)
        assert channel.loop.failures == 2 and wait >= 1
        assert fake.offsets == [None, None] and len(fake.pending) == 1  # nothing confirmed
        assert (yield service.journal.load_cursor("telegram")) is None
        monkeypatch.setattr(service.journal, "accept", real_accept)
        yield step(channel.loop, clock)
        yield step(channel.loop, clock)
        assert fake.offsets[-1] == first["update_id"] + 1 and fake.pending == []
        yield fake.wait_for_sent(1).addTimeout(20, reactor)
        assert (yield service.journal.count_by_state()) == {"forwarded": 1}
    finally:
        yield service.stop()
        yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_restart_before_the_batch_was_confirmed_gives_it_again_without_a_second_case(tmp_path):
    fake, clock = FakeTelegram(reactor).listen(), epoch_clock()
    for chat in (31, 32, 33):
        fake.say(chat, f"PekalonganKota Jalan rusak RT {chat}")
    service, channel = yield started(tmp_path, fake, clock)
    yield step(channel.loop, clock)  # committed, not yet confirmed to Telegram
    yield fake.wait_for_sent(3).addTimeout(20, reactor)
    yield service.stop()
    late = fake.say(34, "PekalonganKota Lampu mati")

    clock = epoch_clock()
    service, channel = yield started(tmp_path, fake, clock)
    try:
        yield step(channel.loop, clock)
        assert fake.offsets[-1] is None  # a fresh start asks for everything unconfirmed
        assert service.pipeline.duplicates == 3
        yield step(channel.loop, clock)
        assert fake.offsets[-1] == late["update_id"] + 1 and fake.pending == []
        yield fake.wait_for_sent(4).addTimeout(20, reactor)
        assert (yield service.journal.count_by_state()) == {"forwarded": 4}
        assert sorted(s["chat_id"] for s in fake.sent) == [31, 32, 33, 34]
    finally:
        yield service.stop()
        yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_a_failed_start_is_retried_and_refused_replies_are_not(tmp_path):
    fake, clock = FakeTelegram(reactor).listen(), epoch_clock()
    fake.fail_next("getMe", 502, "Bad Gateway")
    fake.blocked.add(41)
    fake.migrated[-500] = -1000500
    fake.say(41, "Jateng Jalan rusak")
    fake.say(-500, "@LaporTestBot Jateng Lampu mati", user_id=42, chat_type="group")
    service, channel = yield started(tmp_path, fake, clock)
    try:
        wait = yield step(channel.loop, clock)
        assert not channel.ready and channel.loop.failures == 1 and 0.5 <= wait <= 1
        yield step(channel.loop, clock)
        assert channel.ready
        migrated = yield fake.wait_for_sent(1).addTimeout(20, reactor)
        assert migrated[0]["chat_id"] == -1000500
        yield channel.deliveries.wait_for(1).addTimeout(20, reactor)
        yield service.outbox.stop()  # waits for the refused reply to be recorded
        states = set()
        for row in (yield service.journal.list_complaints()):
            detail = yield service.journal.show_complaint(row["id"])
            states.add(detail["replies"][0]["state"])
        assert states == {"failed", "delivered"}
    finally:
        yield service.stop()
        yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_webhook_checks_the_secret_and_answers_200_only_after_the_commit(tmp_path, monkeypatch):
    fake, clock = FakeTelegram(reactor).listen(), epoch_clock()
    channel = telegram_channel(fake, clock, mode="webhook", webhook_secret=SECRET,
                               webhook_url="https://lapor.example/telegram/webhook")
    service = GatewayService(settings_for(tmp_path), reactor, channels={"telegram": channel})
    yield service.start()
    site = server.Site(channel.webhook_resource())
    listening = reactor.listenTCP(0, site, interface="127.0.0.1")
    url = f"http://127.0.0.1:{listening.getHost().port}/"
    try:
        yield step(channel.loop, clock)
        assert channel.ready and fake.webhook == {"url": "https://lapor.example/telegram/webhook",
                                                  "secret_token": SECRET}
        assert clock.getDelayedCalls() == []  # no polling in webhook mode
        fake.webhook["url"] = url  # what the public URL reaches
        fake.say(51, "PekalonganKota Jalan rusak")
        fake.webhook["secret_token"] = "wrong"
        assert (yield fake.push_webhook()) == [403]
        response = yield treq.post(url, data=b"{}")
        assert response.code == 403
        fake.webhook["secret_token"] = SECRET
        real_accept = service.journal.accept
        monkeypatch.setattr(service.journal, "accept", lambda m: defer.fail(DatabaseUnavailable("disk full")))
        assert (yield fake.push_webhook()) == [503] and len(fake.pending) == 1
        assert (yield service.journal.count_by_state()) == {}
        monkeypatch.setattr(service.journal, "accept", real_accept)
        assert (yield fake.push_webhook()) == [200] and fake.pending == []
        (sent,) = yield fake.wait_for_sent(1).addTimeout(20, reactor)
        assert sent["chat_id"] == 51 and "#" in sent["text"] and "Kota Pekalongan" in sent["text"]
    finally:
        yield listening.stopListening()
        yield service.stop()
        yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_long_polling_on_the_real_clock_answers_at_once_and_stops_promptly(tmp_path):
    fake = FakeTelegram(reactor).listen()
    channel = telegram_channel(fake, reactor, poll_timeout_s=20)
    service = GatewayService(settings_for(tmp_path), reactor, channels={"telegram": channel})
    yield service.start()
    try:
        yield fake.wait_for_held_poll().addTimeout(20, reactor)  # the bot is waiting for updates
        fake.say(61, "PekalonganKota Jalan rusak")        # wakes the held poll
        (sent,) = yield fake.wait_for_sent(1).addTimeout(20, reactor)
        assert sent["chat_id"] == 61 and "Kota Pekalongan" in sent["text"]
    finally:
        started_stop = reactor.seconds()
        yield service.stop()  # cancels the held long poll rather than waiting 20 s for it
        assert reactor.seconds() - started_stop < 10
        yield fake.stop()
