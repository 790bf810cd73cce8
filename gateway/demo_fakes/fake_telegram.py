"""A fake Telegram Bot API on 127.0.0.1, for tests and the demo.

Real paths (`/bot<token>/<method>`), real envelopes (`{"ok": true, "result": ...}` or
`{"ok": false, "error_code", "description", "parameters"}`) and the semantics the
gateway relies on: `getUpdates` long-polls, returns the unconfirmed updates from
`offset` on and forgets (confirms) those below it, and is refused (409) while a webhook
is set; like Telegram's, a getUpdates arriving while another is in flight ends that one
with 409 Conflict ("terminated by other getUpdates request"), and the fake counts the
most getUpdates it ever had in flight at once (`max_concurrent_polls`: 1 while one bot
instance polls; `response_delay_s` holds every answer a while, so that two pollers could
not slip past each other); `setWebhook` / `deleteWebhook` keep pending updates unless
told to drop them; `sendMessage` answers with the sent Message. Messages made by `say` carry entities with
UTF-16 offsets as Telegram's do. In webhook mode `push_webhook` POSTs the pending
updates to the webhook with its secret, as Telegram does, keeping any not answered 2xx.
"""
from __future__ import annotations

import itertools
import json
import re
import time

from twisted.internet import defer
from twisted.web import resource, server

from gateway.web import quiet_site

_RAW_PARAMS = frozenset({"text", "url", "secret_token", "caption"})
_MENTION = re.compile(r"@\w{5,32}")
_COMMAND = re.compile(r"^/\w+(?:@\w+)?")


class FakeTelegram:
    def __init__(self, reactor, token: str = "123456:TEST-token", username: str = "LaporTestBot"):
        self._reactor = reactor
        self.token = token
        self.bot_user = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "LAPOR!",
                         "username": username, "can_join_groups": True,
                         "can_read_all_group_messages": False, "supports_inline_queries": False}
        self.pending: list[dict] = []          # updates not yet confirmed
        self.offsets: list[int | None] = []    # the offset of every getUpdates, in order
        self.sent: list[dict] = []             # sendMessage calls that succeeded
        self.on_sent: list = []                # called with each of them (serve.py's log)
        self.calls: list[str] = []             # every method called, in order
        self.webhook: dict = {"url": "", "secret_token": None}
        self.blocked: set[int] = set()         # chats whose users blocked the bot (403)
        self.migrated: dict[int, int] = {}     # group id → supergroup id (400 with migrate_to_chat_id)
        self._update_ids = itertools.count(700_000_001)
        self._message_ids = itertools.count(1)
        self._failures: dict[str, list[tuple]] = {}
        self._held: list = []                  # (getUpdates request, its timer), in flight
        self.response_delay_s = 0.0            # every getUpdates answered no sooner than this
        self.max_concurrent_polls = 0          # the most getUpdates in flight at once
        self.conflicts = 0                     # getUpdates ended by a later one (409)
        self._sent_waiters: list[tuple[int, defer.Deferred]] = []
        self._held_waiters: list[defer.Deferred] = []
        self._port = None

    # -- serving ---------------------------------------------------------------------------
    def listen(self, port: int = 0) -> "FakeTelegram":
        self._port = self._reactor.listenTCP(port, quiet_site(_BotApi(self)), interface="127.0.0.1")
        return self

    @property
    def base_url(self) -> str:
        """What `[channels.telegram].api_base_url` should be (the channel adds /bot<token>)."""
        return f"http://127.0.0.1:{self._port.getHost().port}"

    def stop(self):
        for request, timer in self._held:
            if timer.active():
                timer.cancel()
            if not request._disconnected:
                request.transport.abortConnection()
        self._held = []
        return defer.maybeDeferred(self._port.stopListening)

    # -- scripting -------------------------------------------------------------------------
    def say(self, chat_id: int, text: str | None = None, *, user_id: int | None = None,
            chat_type: str = "private", caption: str | None = None, photo: bool = False,
            sticker: bool = False, location: bool = False, reply_to_bot: bool = False,
            username: str | None = None) -> dict:
        """A citizen's message arrives: queue its update (and wake a waiting getUpdates)."""
        user_id = user_id or chat_id
        chat = ({"id": chat_id, "type": "private", "first_name": "Warga"} if chat_type == "private"
                else {"id": chat_id, "type": chat_type, "title": "Forum Warga"})
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                   "from": {"id": user_id, "is_bot": False, "first_name": "Warga",
                            **({"username": username} if username else {})}}
        if text is not None:
            message["text"] = text
            if entities := _entities(text):
                message["entities"] = entities
        if caption is not None:
            message["caption"] = caption
            if entities := _entities(caption):
                message["caption_entities"] = entities
        if photo:
            message["photo"] = [{"file_id": "AgACphoto", "file_unique_id": "AQADphoto", "width": 90,
                                 "height": 90, "file_size": 1000}]
        if sticker:
            message["sticker"] = {"file_id": "CAACsticker", "file_unique_id": "AgADsticker", "width": 512,
                                  "height": 512, "is_animated": False, "is_video": False, "type": "regular"}
        if location:
            message["location"] = {"latitude": -6.8886, "longitude": 109.6753}
        if reply_to_bot:
            message["reply_to_message"] = {"message_id": 1, "date": int(time.time()), "chat": chat,
                                           "from": self.bot_user, "text": "LAPOR! ..."}
        update = {"update_id": next(self._update_ids), "message": message}
        self.pending.append(update)
        self._wake_held()
        return update

    def fail_next(self, method: str, error_code: int = 502, description: str = "Bad Gateway",
                  parameters: dict | None = None) -> None:
        self._failures.setdefault(method, []).append((error_code, description, parameters))

    def wait_for_sent(self, count: int) -> defer.Deferred:
        if len(self.sent) >= count:
            return defer.succeed(self.sent)
        d = defer.Deferred()
        self._sent_waiters.append((count, d))
        return d

    def wait_for_held_poll(self) -> defer.Deferred:
        """Fires when a getUpdates is waiting for updates (the bot is long polling)."""
        d = defer.Deferred()
        if self._held:
            d.callback(None)
        else:
            self._held_waiters.append(d)
        return d

    @defer.inlineCallbacks
    def push_webhook(self):
        """POST each pending update to the webhook, as Telegram does; returns the statuses.
        An update answered with 2xx is confirmed, any other stays pending."""
        import treq
        statuses = []
        for update in list(self.pending):
            headers = {"Content-Type": ["application/json"]}
            if self.webhook["secret_token"]:
                headers["X-Telegram-Bot-Api-Secret-Token"] = [self.webhook["secret_token"]]
            response = yield treq.post(self.webhook["url"], data=json.dumps(update).encode(),
                                       headers=headers)
            yield response.content()
            statuses.append(response.code)
            if 200 <= response.code < 300:
                self.pending.remove(update)
        return statuses

    # -- the API ---------------------------------------------------------------------------
    def call(self, method: str, params: dict, request):
        self.calls.append(method)
        failures = self._failures.get(method)
        if failures:
            code, description, parameters = failures.pop(0)
            return _error(code, description, parameters)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found")
        return handler(params, request)

    def _api_getMe(self, params, request):
        return _ok(self.bot_user)

    def _api_deleteWebhook(self, params, request):
        self.webhook = {"url": "", "secret_token": None}
        if params.get("drop_pending_updates"):
            self.pending.clear()
        return _ok(True)

    def _api_setWebhook(self, params, request):
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        if params.get("drop_pending_updates"):
            self.pending.clear()
        return _ok(True)

    def _api_getWebhookInfo(self, params, request):
        return _ok({"url": self.webhook["url"], "has_custom_certificate": False,
                    "pending_update_count": len(self.pending)})

    def _api_getUpdates(self, params, request):
        if self.webhook["url"]:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active;"
                               " use deleteWebhook to delete the webhook first")
        self.max_concurrent_polls = max(self.max_concurrent_polls, len(self._held) + 1)
        self._end_other_polls()
        offset = params.get("offset")
        self.offsets.append(offset)
        if offset is not None:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]  # confirmed: gone
        limit = params.get("limit") or 100
        if (self.pending or not params.get("timeout")) and not self.response_delay_s:
            return _ok(self.pending[:limit])
        wait = 0 if self.pending else (params.get("timeout") or 0)   # a long poll waits for updates
        timer = self._reactor.callLater(max(wait, self.response_delay_s), self._release, request, limit)
        self._held.append((request, timer))
        request.notifyFinish().addErrback(lambda _: self._forget_held(request))
        if wait:
            waiters, self._held_waiters = self._held_waiters, []
            for d in waiters:
                d.callback(None)
        return server.NOT_DONE_YET

    def _end_other_polls(self) -> None:
        """What Telegram does to a getUpdates in flight when another comes: ends it, 409."""
        held, self._held = self._held, []
        for request, timer in held:
            if timer.active():
                timer.cancel()
            if not request._disconnected:
                self.conflicts += 1
                code, body = _error(409, "Conflict: terminated by other getUpdates request; make"
                                         " sure that only one bot instance is running")
                request.setResponseCode(code)
                request.write(body)
                request.finish()

    def _api_sendMessage(self, params, request):
        chat_id = params["chat_id"]
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.migrated:
            return _error(400, "Bad Request: group chat was upgraded to a supergroup chat",
                          {"migrate_to_chat_id": self.migrated[chat_id]})
        reply_to = (params.get("reply_parameters") or {}).get("message_id")
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup",
                **({"first_name": "Warga"} if chat_id > 0 else {"title": "Forum Warga"})}
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                   "from": self.bot_user, "text": params["text"]}
        self.sent.append({"chat_id": chat_id, "text": params["text"], "reply_to_message_id": reply_to,
                          "message_id": message["message_id"]})
        for listener in self.on_sent:
            listener(self.sent[-1])
        ready = [d for n, d in self._sent_waiters if n <= len(self.sent)]
        self._sent_waiters = [(n, d) for n, d in self._sent_waiters if n > len(self.sent)]
        for d in ready:
            d.callback(self.sent)
        return _ok(message)

    # -- long polling ----------------------------------------------------------------------
    def _wake_held(self) -> None:
        """New updates end the long polls waiting for some (not the answers held back
        by `response_delay_s`: those come when their time is up)."""
        if not self._held:
            return
        now = self._reactor.seconds()
        for request, timer in list(self._held):
            if not timer.active() or timer.getTime() - now <= self.response_delay_s:
                continue
            if self.response_delay_s:
                timer.reset(self.response_delay_s)
            else:
                timer.cancel()
                self._release(request, 100)

    def _release(self, request, limit: int) -> None:
        self._held = [(r, t) for r, t in self._held if r is not request]
        if not request._disconnected:
            request.write(_ok(self.pending[:limit]))
            request.finish()

    def _forget_held(self, request) -> None:
        for r, timer in self._held:
            if r is request and timer.active():
                timer.cancel()
        self._held = [(r, t) for r, t in self._held if r is not request]


def _entities(text: str) -> list[dict]:
    """Telegram's entities for commands and mentions, with offsets in UTF-16 code units."""
    def units(s: str) -> int:
        return len(s.encode("utf-16-le")) // 2

    found = []
    if command := _COMMAND.match(text):
        found.append({"type": "bot_command", "offset": 0, "length": units(command.group())})
    for mention in _MENTION.finditer(text):
        found.append({"type": "mention", "offset": units(text[:mention.start()]),
                      "length": units(mention.group())})
    return found


def _ok(result) -> bytes:
    return json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode()


def _error(code: int, description: str, parameters: dict | None = None):
    body = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return code, json.dumps(body).encode()


def _params(request) -> dict:
    params = {}
    if (request.getHeader("content-type") or "").startswith("application/json"):
        params = json.loads(request.content.read() or b"{}")
    for key, values in request.args.items():
        name, value = key.decode(), values[-1].decode()
        if name in _RAW_PARAMS:
            params[name] = value
        else:
            try:
                params[name] = json.loads(value)
            except ValueError:
                params[name] = value
    return params


class _BotApi(resource.Resource):
    isLeaf = True

    def __init__(self, fake: FakeTelegram):
        super().__init__()
        self._fake = fake

    def render(self, request):
        request.setHeader(b"content-type", b"application/json")
        parts = request.path.decode().strip("/").split("/")
        if len(parts) != 2 or parts[0] != f"bot{self._fake.token}":
            request.setResponseCode(401 if len(parts) == 2 and parts[0].startswith("bot") else 404)
            return json.dumps({"ok": False, "error_code": 401, "description": "Unauthorized"}).encode()
        answer = self._fake.call(parts[1], _params(request), request)
        if isinstance(answer, tuple):
            request.setResponseCode(answer[0])
            return answer[1]
        return answer
