"""Telegram updates → complaint, the bot's own answer, or nothing: the rules as a table."""
import pytest
from telegram import Update

from gateway.channels.telegram.updates import HELP_TEXT, UNSUPPORTED_TEXT, read_update
from gateway.demo_fakes.fake_telegram import FakeTelegram
from gateway.model import Message

BOT = "LaporTestBot"
fake = FakeTelegram(reactor=None, username=BOT)
GROUP = -1001234


def update(chat_id=42, text=None, **kwargs):
    return Update.de_json(fake.say(chat_id, text, **kwargs), None)


@pytest.mark.parametrize("made, outcome", [
    # private chats: every text is a complaint, commands are the bot's own
    (dict(text="PekalonganKota Jalan rusak"), "PekalonganKota Jalan rusak"),
    (dict(text="/start"), HELP_TEXT),
    (dict(text="/bantuan"), HELP_TEXT),
    (dict(text="/start@LaporTestBot"), HELP_TEXT),
    (dict(text="/lapor KabBanyumas Lampu mati"), "KabBanyumas Lampu mati"),
    (dict(text="/lapor"), HELP_TEXT),
    (dict(text="🚧🚧 @LaporTestBot Jateng jalan 🕳️ rusak"), "🚧🚧 Jateng jalan 🕳️ rusak"),
    # non-text: a caption is a complaint, the rest gets told what is supported
    (dict(photo=True, caption="PekalonganKota Sampah menumpuk"), "PekalonganKota Sampah menumpuk"),
    (dict(photo=True), UNSUPPORTED_TEXT),
    (dict(sticker=True), UNSUPPORTED_TEXT),
    (dict(location=True), UNSUPPORTED_TEXT),
    # groups: only what is addressed to the bot
    (dict(chat_id=GROUP, user_id=7, chat_type="supergroup", text="ada yang tahu jadwal posyandu?"), None),
    (dict(chat_id=GROUP, user_id=7, chat_type="group", text="@LaporTestBot PekalonganKota Jalan rusak"),
     "PekalonganKota Jalan rusak"),
    (dict(chat_id=GROUP, user_id=7, chat_type="group", text="Jalan rusak, tolong @laportestbot ya"),
     "Jalan rusak, tolong ya"),
    (dict(chat_id=GROUP, user_id=7, chat_type="supergroup", text="Jateng bus ngetem", reply_to_bot=True),
     "Jateng bus ngetem"),
    (dict(chat_id=GROUP, user_id=7, chat_type="supergroup", text="/start@OtherBot"), None),
    (dict(chat_id=GROUP, user_id=7, chat_type="supergroup", text="/bantuan"), HELP_TEXT),
    (dict(chat_id=GROUP, user_id=7, chat_type="supergroup", text="/lapor jalan rusak"), None),
    (dict(chat_id=GROUP, user_id=7, chat_type="supergroup", sticker=True), None),
    (dict(chat_id=GROUP, user_id=7, chat_type="supergroup", photo=True, caption="@LaporTestBot banjir"),
     "banjir"),
    (dict(chat_id=GROUP, user_id=7, chat_type="supergroup", text="@LaporTestBot"), HELP_TEXT),
])
def test_what_each_update_means(made, outcome):
    action = read_update(update(**made), BOT)
    if outcome is None:
        assert action is None
    elif outcome in (HELP_TEXT, UNSUPPORTED_TEXT):
        assert isinstance(action, Message) and action.answer == outcome
    else:
        assert isinstance(action, Message) and action.text == outcome and action.answer is None


def test_a_complaint_carries_what_the_reply_needs_and_keys_on_chat_and_message():
    u = update(GROUP, "@LaporTestBot Jateng Bus ngetem", user_id=77, chat_type="supergroup")
    m = read_update(u, BOT)
    tg = u.message
    assert (m.channel, m.sender, m.dedup_key) == ("telegram", "77", f"{GROUP}:{tg.message_id}")
    assert m.reply_context == {"chat_id": GROUP, "message_id": tg.message_id}
    assert m.channel_message_ids == (str(u.update_id),)
    photo = read_update(update(caption="PekalonganKota banjir", photo=True), BOT)
    assert photo.flags == ("with_photo",)


def test_answers_fit_telegram_and_name_an_example():
    for text in (HELP_TEXT, UNSUPPORTED_TEXT):
        assert len(text) < 4096 and "PekalonganKota Jalan rusak" in text


def test_the_bots_help_says_how_to_check_a_case_and_stop_updates():
    """Issue 16: /start and /bantuan tell what BANTUAN tells by SMS — the commands as the
    bot takes them, each of which reaches the citizen desk."""
    for command in ("/cek", "/stop", "/mulai"):
        assert f"{command} " in HELP_TEXT or f"{command}," in HELP_TEXT
        assert read_update(update(text=f"{command} 1000001"), BOT).answer is None
