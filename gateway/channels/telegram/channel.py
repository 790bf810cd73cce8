"""The Telegram channel: the LAPOR! bot, on python-telegram-bot 22 under Twisted's asyncio reactor.

The gateway drives PTB's `Application` by hand (initialize/start, stop/shutdown; never
`run_polling`, which would own the event loop) and does not use PTB's `Updater`: the
Updater confirms a batch by asking for the next one as soon as it has queued the
updates, before anyone has stored them. Instead each poll here is
    getUpdates(offset) → accept every complaint (one group commit) and send the bot's own
    answers → save the cursor → only then offset = last update_id + 1,
and that offset goes out with the *next* getUpdates, which is what confirms the batch to
Telegram. If the database fails nothing is confirmed and the same batch comes again later.

At start the first getUpdates carries no offset: Telegram then returns every update it
has not had confirmed (never `drop_pending_updates`). The stored cursor is a record of
progress, not sent back, because update ids restart at a random value after a week
without updates, and an old offset above them would confirm — that is, delete — new
updates unseen. The batch a killed process had committed but not confirmed comes again;
the dedup key (chat id and message id) makes it a duplicate, not a second complaint.

The bot starts on every instance (to send replies); getUpdates is called only between
`start_polling` and `stop_polling`, while this instance holds the poller among several
(see gateway/leadership.py). In webhook mode Telegram POSTs updates to
`webhook_resource()` — on any instance —; it answers 200 only after the commit, 503
otherwise (Telegram delivers again), and 403 without the right secret.

The bot's own answers (/start, /bantuan, "stickers are not supported") are stored with
their message and sent by the outbox like any reply: a batch delivered again is not
answered again, and a 429 on one answer neither fails nor refetches the batch.

A 403 (the user blocked the bot, the bot was removed from the group) or "chat not found"
means the chat is gone: the reply fails. When it is the citizen's private chat (its id
is the user's), the address is opted out of status updates (`RecipientGone`), so no
update is ever sent there again; a group's refusal fails only that reply — the citizen
who complained there still hears in their own chat.

Replies: a `retry_after` (429) pauses every send of the bot until it has passed — the
Bot API does not say whether the chat's or the bot's limit was hit — without spending
an attempt, and the pause is stored. A call that got no answer (read timeout) may have
reached the chat: it is uncertain and stays so (the Bot API cannot look a sent message
up), at most one per chat since a chat's replies go one at a time.
"""
from __future__ import annotations

import asyncio
import datetime

import httpx
from telegram import ReplyParameters
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TimedOut
from telegram.ext import Application
from twisted.internet import defer
from twisted.internet.defer import Deferred, inlineCallbacks

from gateway.config_schema import ConfigError
from gateway.channels.base import (Channel, ChannelNotReady, Intake, RecipientGone, ReplyPaused,
                                   ReplyRejected, ReplyUncertain)
from gateway.channels.polling import DeliveryNotices, PollLoop, accept_all
from gateway.channels.telegram.settings import (TOKEN_SECRET, WEBHOOK_SECRET, WEBHOOK_SECRET_NAME,
                                               TelegramSettings)
from gateway.channels.telegram.updates import CHANNEL, read_update
from gateway.logging import get_logger
from gateway.model import Message

log = get_logger(__name__)

ALLOWED_UPDATES = ["message"]


#: where a getUpdates `retry_after` is remembered across restarts
POLL_PAUSE_HINT = "telegram:poll-pause"


class TelegramNotReady(ChannelNotReady):
    """The bot has not started (or has stopped): the reply stays queued and is tried again."""


def as_deferred(coro) -> Deferred:
    """Run a PTB coroutine on the reactor's asyncio loop."""
    return Deferred.fromFuture(asyncio.ensure_future(coro))


class TelegramChannel(Channel):
    name = CHANNEL
    required = False  # Telegram being unreachable must not make the gateway unready
    delivered_on_acceptance = "DELIVERED"

    def __init__(self, application: Application, reactor, settings: TelegramSettings,
                 webhook_secret: str | None = None, clock=None):
        mode = settings.mode
        if mode == "webhook" and not (webhook_secret and WEBHOOK_SECRET.fullmatch(webhook_secret)):
            # A config error, so check-config (which builds the channels) and run refuse alike.
            raise ConfigError("[channels.telegram] webhook mode needs the secret telegram_webhook_secret"
                              " of 1-256 characters A-Z a-z 0-9 _ - (Telegram's rule)")
        self.application = application
        self.bot = application.bot
        self.mode = mode
        self.webhook_secret = webhook_secret
        self.settings = settings
        self._webhook_url = settings.webhook_url
        self._poll_timeout = settings.poll_timeout_s
        self.loop = PollLoop(CHANNEL, self._step, clock or reactor,
                             retry_initial_s=settings.retry_initial_s, retry_max_s=settings.retry_max_s)
        self.deliveries = DeliveryNotices(CHANNEL, reactor)
        self._intake: Intake | None = None
        self._offset: int | None = None
        self._polling = False        # between start_polling and stop_polling
        self._poll_after = 0.0       # a getUpdates retry_after (epoch seconds)
        self.ready = False           # getMe answered and the webhook is set or removed
        self._stopping = False
        self._sending: set[Deferred] = set()
        self._clock = clock or reactor
        #: called when the bot has started (the outbox sends what waited)
        self.ready_listeners: list = []

    # -- Channel ---------------------------------------------------------------------------
    def start(self, intake: Intake):
        self._intake = self.deliveries.intake = intake
        # Not waiting for Telegram here: an unreachable API must not hold up the gateway;
        # the loop's first step starts the bot (for replies, polling or not), and retries
        # with backoff until it can.
        self.loop.start()

    def polls(self) -> bool:
        return self.mode == "polling"

    @inlineCallbacks
    def start_polling(self):
        """Take updates: without an offset at first, as at a start (Telegram then returns
        whatever nobody confirmed, whichever instance polled last; the stored cursor is a
        record, not sent back — see above), after a stored retry_after."""
        paused = yield self._intake.load_hint(POLL_PAUSE_HINT)
        self._poll_after = float((paused or {}).get("until", 0))
        self._offset = None
        self._polling = True
        if not self.loop.running:   # else the bot is still starting: it polls once started
            self.loop.start()

    @inlineCallbacks
    def stop_polling(self):
        self._polling = False
        if self.ready:   # a getUpdates may be under way: cancelled (nothing it held is lost)
            yield self.loop.stop()
        # else the bot is starting: it ends the loop once started, polling no more

    @inlineCallbacks
    def stop(self):
        self._stopping = True
        self._polling = False
        yield self.loop.stop()
        yield defer.DeferredList(list(self._sending), consumeErrors=True)
        if self.ready:
            self.ready = False
            yield as_deferred(self._shut_down())

    def is_up(self) -> bool:
        # Not polling (a webhook, or another instance polls): up once the bot started.
        return self.ready and (not self._polling or self.loop.healthy)

    def can_send(self) -> bool:
        return self.is_up() and not self._stopping

    def conversation(self, reply) -> str:
        return str(reply.reply_context.get("chat_id", reply.recipient))

    def send(self, reply):
        if not self.ready or self._stopping:
            return defer.fail(TelegramNotReady("the bot is not running"))
        chat_id, message_id = reply.reply_context.get("chat_id"), reply.reply_context.get("message_id")
        if chat_id is None:
            return defer.fail(ReplyRejected("no chat to answer in"))
        d = as_deferred(self._send_reply(chat_id, reply.text, message_id))
        self._sending.add(d)
        d.addBoth(self._sent, d)
        return d

    def _started(self) -> None:
        self.ready = True
        log.info("telegram bot started", mode=self.mode, bot=self.bot.username)
        for listener in list(self.ready_listeners):
            listener()

    def _sent(self, result, d):
        self._sending.discard(d)
        if isinstance(result, str):
            self.deliveries.posted(result, "DELIVERED")  # in the chat once the API accepted it
        return result

    def webhook_resource(self):
        """The twisted.web resource Telegram POSTs updates to (mount it at `webhook_path`)."""
        from gateway.channels.telegram.webhook import TelegramWebhook
        return TelegramWebhook(self)

    def http_resources(self) -> dict:
        return {self.settings.webhook_path: self.webhook_resource()} if self.mode == "webhook" else {}

    # -- taking updates --------------------------------------------------------------------
    @inlineCallbacks
    def _step(self):
        if not self.ready:
            yield as_deferred(self._boot())
            self._started()
        if not self._polling:    # a webhook bot, or another instance polls
            return PollLoop.DONE
        if (wait := self._poll_after - self._clock.seconds()) > 0:
            return wait
        try:
            updates = yield as_deferred(self.bot.get_updates(
                offset=self._offset, timeout=self._poll_timeout, allowed_updates=ALLOWED_UPDATES))
        except RetryAfter as flood:
            self._poll_after = self._clock.seconds() + _seconds(flood.retry_after)
            yield self._intake.save_hint(POLL_PAUSE_HINT, {"until": self._poll_after})
            return _seconds(flood.retry_after)
        if not updates:
            return 0
        yield self.take(updates)
        next_offset = updates[-1].update_id + 1
        yield self._intake.save_cursor(CHANNEL, str(next_offset))
        self._offset = next_offset  # the next getUpdates confirms the batch to Telegram
        return 0

    @inlineCallbacks
    def take(self, updates):
        """Commit the messages among `updates` — complaints, and those the bot answers
        itself, with their answers queued; fails (and the caller must not confirm the
        updates) if the database cannot commit."""
        messages: list[Message] = []
        for update in updates:
            try:
                action = read_update(update, self.bot.username)
            except Exception:  # noqa: BLE001 - one odd update must not block the rest forever
                log.exception("telegram update not understood; skipped", update_id=update.update_id)
                continue
            if action is not None:
                messages.append(action)
        yield accept_all(self._intake, messages)
        if messages:
            answers = sum(1 for m in messages if m.answer is not None)
            log.info("telegram updates taken", updates=len(updates),
                     complaints=len(messages) - answers, answers=answers)

    async def _boot(self) -> None:
        if not self.application._initialized:  # noqa: SLF001 - no public flag; a retry must not re-init
            await self.application.initialize()  # getMe: the username groups address us by
        if self.mode == "polling":
            # getUpdates is refused while a webhook is set; pending updates are kept
            await self.bot.delete_webhook(drop_pending_updates=False)
        elif self._webhook_url:
            await self.bot.set_webhook(self._webhook_url, secret_token=self.webhook_secret,
                                       allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
        if not self.application.running:
            await self.application.start()

    async def _shut_down(self) -> None:
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def _send_reply(self, chat_id: int, text: str, message_id: int | None) -> str:
        try:
            sent = await self._send_message(chat_id, text, message_id)
        except RetryAfter as flood:   # nothing was sent: wait as told, no attempt spent
            raise ReplyPaused(self._clock.seconds() + _seconds(flood.retry_after),
                              f"Telegram flood control: retry after {_seconds(flood.retry_after):g} s") from None
        except Forbidden as refusal:   # blocked by the user, removed from the group: the chat is gone
            raise _gone(chat_id, refusal) from refusal
        except BadRequest as refusal:
            if "chat not found" in str(refusal).lower():
                raise _gone(chat_id, refusal) from refusal
            raise ReplyRejected(f"Telegram refused the reply: {refusal}") from refusal
        except TimedOut as timeout:
            if isinstance(timeout.__cause__, (httpx.ReadTimeout, httpx.WriteTimeout)):
                # the request went out and no answer came: it may be in the chat already
                raise ReplyUncertain(f"Telegram did not answer: {timeout}") from timeout
            raise
        return f"{sent.chat_id}:{sent.message_id}"

    async def _send_message(self, chat_id: int, text: str, reply_to: int | None):
        quote = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        try:
            return await self.bot.send_message(chat_id, text, reply_parameters=quote)
        except ChatMigrated as moved:  # the group became a supergroup: a new chat id
            log.info("telegram group migrated; answering in the supergroup", chat_id=moved.new_chat_id)
            return await self.bot.send_message(moved.new_chat_id, text)


def _seconds(retry_after) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, datetime.timedelta) else float(retry_after)


def build_application(token: str, api_base_url: str = "https://api.telegram.org",
                      request_timeout_s: float = 15.0) -> Application:
    """PTB's Application without an Updater, its Bot API calls sent to `api_base_url`."""
    base, t = api_base_url.rstrip("/"), request_timeout_s
    return (Application.builder().token(token).base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
            .updater(None)
            .connect_timeout(t).read_timeout(t).write_timeout(t).pool_timeout(t)
            # get_updates adds the long-poll timeout to this read timeout itself
            .get_updates_connect_timeout(t).get_updates_read_timeout(t)
            .get_updates_write_timeout(t).get_updates_pool_timeout(t)
            .build())


def from_settings(settings: TelegramSettings, secrets, reactor) -> TelegramChannel:
    """The channel as configured; `secrets` is the config's resolver (`Settings.secrets_resolver()`)."""
    token = secrets.get(TOKEN_SECRET).reveal()
    webhook_secret = secrets.get(WEBHOOK_SECRET_NAME).reveal() if settings.mode == "webhook" else None
    return TelegramChannel(build_application(token, settings.api_base_url, settings.request_timeout_s),
                           reactor, settings, webhook_secret)


def _gone(chat_id: int, refusal: Exception) -> ReplyRejected:
    """The refusal of a chat that is gone: the citizen's own (a private chat's id is the
    user's, positive) stops their updates; a group's (negative id) fails the reply only."""
    why = f"Telegram refused the reply: {refusal}"
    return RecipientGone(why) if chat_id > 0 else ReplyRejected(why)
