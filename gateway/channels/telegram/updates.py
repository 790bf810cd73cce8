"""What a Telegram update means for LAPOR!: a complaint, an answer the bot gives itself, or nothing.

A pure function of the update (plus the bot's username), so the rules read as a table
in the tests:
* `/start` and `/bantuan` (and `/help`) get the how-to with an example, how to check a
  case and how to stop updates — not complaints;
* `/cek <nomor>`, `/status`, `/stop` and `/mulai` are passed on as written: the
  citizen's commands, recognised by the pipeline as the same words sent by SMS;
* any other text is a complaint; so is the caption of a photo (or a document or video);
* other messages (stickers, locations, voice, a photo without caption) get a polite
  answer saying what the bot accepts — nothing is silently ignored;
* in groups only messages addressed to the bot count: a mention of it, a command
  addressed to it, or a reply to one of its messages. The mention is taken out of the body.

Entity offsets are UTF-16 code units, so text is cut in UTF-16, never with `str` slices
(which go wrong after the first emoji).
"""
from __future__ import annotations

import re
from telegram import Message as TgMessage
from telegram import MessageEntity, Update

from gateway.model import Message

CHANNEL = "telegram"
HELP_COMMANDS = frozenset({"start", "bantuan", "help"})
#: the citizen's commands (gateway/parsers/citizen_commands.py): passed on as written, for
#: the pipeline to recognise like the same words sent by SMS
CITIZEN_COMMANDS = frozenset({"cek", "status", "stop", "berhenti", "mulai"})
GROUP_CHATS = frozenset({"group", "supergroup"})
_SPACES = re.compile(r"[ \t]{2,}")  # left where a mention was cut out; newlines stay

HELP_TEXT = (
    "Selamat datang di LAPOR! (SP4N-LAPOR!), layanan aduan pelayanan publik.\n\n"
    "Tulis aduan Anda dalam satu pesan, diawali nama daerah, misalnya:\n"
    "PekalonganKota Jalan rusak di Jl. Merdeka depan SDN 2\n\n"
    "Anda akan menerima nomor aduan untuk memantau tindak lanjutnya. Foto boleh dikirim"
    " dengan keterangan (caption) berisi aduan.\n\n"
    "Cek status aduan: /cek nomor (atau /cek saja untuk daftar aduan Anda). Kabar perkembangan"
    " aduan dikirim ke sini; kirim /stop untuk berhenti, /mulai untuk menerima lagi."
)
UNSUPPORTED_TEXT = (
    "Maaf, LAPOR! hanya dapat menerima aduan berupa pesan teks, atau foto dengan keterangan"
    " (caption) berisi aduan. Stiker, lokasi, pesan suara dan foto tanpa keterangan belum"
    " dapat diproses.\n\nContoh: PekalonganKota Jalan rusak di Jl. Merdeka"
)


def read_update(update: Update, bot_username: str) -> Message | None:
    """The complaint, a message the bot answers itself (`Message.answer` set: help, "what
    is supported"), or None (not for us: group chatter, other updates).

    Both kinds are stored under the same key (chat and message id), so a batch Telegram
    delivers again is neither a second complaint nor a second answer."""
    tg = update.message
    if tg is None or tg.chat.type not in GROUP_CHATS | {"private"}:
        return None  # edits, channel posts, ...: not asked for (allowed_updates=["message"])
    if tg.from_user is not None and tg.from_user.is_bot:
        return None
    in_group = tg.chat.type in GROUP_CHATS
    content, entities = (tg.text, tg.entities) if tg.text is not None else (tg.caption,
                                                                             tg.caption_entities)
    if in_group and not _addressed_to_bot(tg, content, entities, bot_username):
        return None
    command = _leading_command(content, entities)
    if command is not None:
        name, _, addressee = command.partition("@")
        if addressee and addressee.lower() != bot_username.lower():
            return None  # "/start@OtherBot"
        if name.lower() in HELP_COMMANDS:
            return _message(update, content or "", answer=HELP_TEXT)
        if name.lower() in CITIZEN_COMMANDS:
            return _message(update, (content or "").strip())
    if content is None:
        return _message(update, "", answer=UNSUPPORTED_TEXT)
    body = _without_bot_and_command(content, entities, bot_username).strip()
    if not body:
        return _message(update, content, answer=HELP_TEXT)  # only "@LaporBot" or a bare command
    return _message(update, body)


def _message(update: Update, text: str, answer: str | None = None) -> Message:
    tg = update.message
    sender = tg.from_user.id if tg.from_user is not None else tg.chat.id
    return Message(channel=CHANNEL, sender=str(sender), text=text,
                   # chat and message id, not the update id: update ids restart at a random
                   # value after a week without updates, message ids never repeat in a chat
                   dedup_key=f"{tg.chat.id}:{tg.message_id}",
                   channel_message_ids=(str(update.update_id),),
                   flags=_attachment_flags(tg),
                   reply_context={"chat_id": tg.chat.id, "message_id": tg.message_id},
                   answer=answer)


def _attachment_flags(tg: TgMessage) -> tuple[str, ...]:
    for kind in ("photo", "document", "video"):
        if getattr(tg, kind):
            return (f"with_{kind}",)
    return ()


def _units(text: str) -> bytes:
    return text.encode("utf-16-le")


def _entity_text(text: str, entity: MessageEntity) -> str:
    return _units(text)[2 * entity.offset:2 * (entity.offset + entity.length)].decode("utf-16-le")


def _leading_command(content: str | None, entities) -> str | None:
    """"start" or "start@LaporBot" when the message begins with a bot command."""
    for entity in entities or ():
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            return _entity_text(content, entity)[1:]
    return None


def _is_bot_mention(content: str, entity: MessageEntity, bot_username: str) -> bool:
    return (entity.type == MessageEntity.MENTION
            and _entity_text(content, entity).lower() == f"@{bot_username.lower()}")


def _addressed_to_bot(tg: TgMessage, content: str | None, entities, bot_username: str) -> bool:
    replied = tg.reply_to_message
    if replied is not None and replied.from_user is not None and \
            (replied.from_user.username or "").lower() == bot_username.lower():
        return True
    if content is None:
        return False
    if any(_is_bot_mention(content, e, bot_username) for e in entities or ()):
        return True
    command = _leading_command(content, entities)
    if command is not None:
        name, _, addressee = command.partition("@")
        # a bare command in a group goes to every bot; only our own are ours
        return addressee.lower() == bot_username.lower() or (not addressee and name.lower() in HELP_COMMANDS)
    return False


def _without_bot_and_command(content: str, entities, bot_username: str) -> str:
    """The text without mentions of the bot and without a leading command (UTF-16 cuts)."""
    units = _units(content)
    cuts = [e for e in entities or () if _is_bot_mention(content, e, bot_username)
            or (e.type == MessageEntity.BOT_COMMAND and e.offset == 0)]
    for entity in sorted(cuts, key=lambda e: e.offset, reverse=True):
        units = units[:2 * entity.offset] + units[2 * (entity.offset + entity.length):]
    return _SPACES.sub(" ", units.decode("utf-16-le"))
