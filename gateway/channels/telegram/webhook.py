"""The Telegram webhook: a twisted.web resource Telegram POSTs each update to.

Thin on purpose: it checks the secret Telegram sends in `X-Telegram-Bot-Api-Secret-Token`
(403 without it, compared in constant time), hands the update to the channel, and
answers 200 only once the update is committed. 503 asks Telegram to deliver again later
(database down, bot not started yet); a redelivery is deduplicated by the database.
"""
from __future__ import annotations

import hmac
import json

from telegram import Update
from twisted.web import resource, server

from gateway.channels.base import DatabaseUnavailable
from gateway.logging import get_logger

log = get_logger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramWebhook(resource.Resource):
    isLeaf = True

    def __init__(self, channel):
        super().__init__()
        self._channel = channel

    def render_POST(self, request):
        given = (request.getHeader(SECRET_HEADER) or "").encode()
        if not hmac.compare_digest(given, self._channel.webhook_secret.encode()):
            log.warning("telegram webhook call without the right secret refused")
            return _answer(request, 403, {"ok": False, "description": "Forbidden"})
        if not self._channel.ready:
            return _answer(request, 503, {"ok": False, "description": "bot starting; deliver again"})
        try:
            update = Update.de_json(json.loads(request.content.read()), self._channel.bot)
        except (ValueError, TypeError, KeyError) as bad:
            log.error("telegram webhook body is not an update", error=str(bad)[:200])
            return _answer(request, 400, {"ok": False, "description": "not an update"})
        d = self._channel.take([update])
        d.addCallbacks(self._taken, self._not_taken, callbackArgs=(request,), errbackArgs=(request,))
        return server.NOT_DONE_YET

    def _taken(self, _, request) -> None:
        _finish(request, 200, {"ok": True})

    def _not_taken(self, failure, request) -> None:
        if not failure.check(DatabaseUnavailable):
            log.error("telegram update not taken; Telegram delivers it again",
                      error=f"{failure.type.__name__}: {failure.getErrorMessage()}"[:300])
        _finish(request, 503, {"ok": False, "description": "not stored; deliver again"})


def _answer(request, status: int, body: dict) -> bytes:
    request.setResponseCode(status)
    request.setHeader(b"content-type", b"application/json")
    return json.dumps(body).encode()


def _finish(request, status: int, body: dict) -> None:
    if request._disconnected:
        return
    request.write(_answer(request, status, body))
    request.finish()
