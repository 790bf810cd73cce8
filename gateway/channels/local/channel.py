"""The local channel: messages posted over HTTP on this machine, replies read back the same way.

For demos, ops drills and end-to-end tests where no SMSC, X or Telegram is at hand:

    POST /messages   {"from": "+6281234567890", "text": "...", "id": "optional upstream id"}
                     → 202 {"complaint_id", "duplicate", "tracking_id"} once committed,
                       503 when the database cannot commit (post again), 400 on bad input
    GET  /replies    → the replies "sent" so far (newest 10,000), each reported delivered

It follows the same contract as every channel: answer only after the commit.
"""
from __future__ import annotations

import collections
import hashlib
import hmac
import itertools
import json

from twisted.internet import defer
from twisted.web import resource, server

from gateway.channels.base import Channel, Intake, DatabaseUnavailable
from gateway.channels.polling import DeliveryNotices
from gateway.logging import get_logger
from gateway.model import Message, Reply
from gateway.web import json_response, quiet_site

log = get_logger(__name__)


class LocalChannel(Channel):
    delivered_on_acceptance = "DELIVRD"
    name = "local"

    def __init__(self, reactor, listen: str = "127.0.0.1", port: int = 8708, token: str | None = None):
        self._reactor = reactor
        self._listen, self._port = listen, port
        self._token = token
        self._listening = None
        self._intake: Intake | None = None
        self._ids = itertools.count(1)
        self.replies: collections.deque = collections.deque(maxlen=10_000)
        self.deliveries = DeliveryNotices(self.name, reactor)

    @property
    def port(self) -> int:
        return self._listening.getHost().port

    def start(self, intake: Intake):
        self._intake = self.deliveries.intake = intake
        root = resource.Resource()
        root.putChild(b"messages", _Messages(self))
        root.putChild(b"replies", _Replies(self))
        self._listening = self._reactor.listenTCP(self._port, quiet_site(root), interface=self._listen)
        log.info("local channel listening", listen=self._listen, port=self.port)

    def stop(self):
        if self._listening is None:
            return None
        listening, self._listening = self._listening, None
        return defer.maybeDeferred(listening.stopListening)

    def is_up(self) -> bool:
        return self._listening is not None

    def send(self, reply: Reply):
        channel_message_id = f"local-{next(self._ids)}"
        self.replies.append({"reply_id": reply.id, "complaint_id": reply.complaint_id,
                             "to": reply.recipient, "text": reply.text,
                             "channel_message_id": channel_message_id})
        # A local "handset" receives at once; report it as a real channel's receipt would.
        self.deliveries.posted(channel_message_id, "DELIVRD")
        return defer.succeed(channel_message_id)

    def authorised(self, request) -> bool:
        if self._token is None:
            return True
        given = (request.getHeader("authorization") or "").removeprefix("Bearer ")
        return hmac.compare_digest(given.encode(), self._token.encode())

    def message_from(self, payload: dict) -> Message:
        sender, text = payload.get("from"), payload.get("text")
        if not isinstance(sender, str) or not sender.strip():
            raise ValueError("'from' must be a non-empty string")
        if not isinstance(text, str):
            raise ValueError("'text' must be a string")
        upstream_id = payload.get("id")
        if upstream_id is not None and not isinstance(upstream_id, str):
            raise ValueError("'id' must be a string")
        # Without an upstream id, the same sender and text are the same message.
        key = upstream_id or hashlib.sha256(f"{sender}\0{text}".encode()).hexdigest()
        return Message(channel=self.name, sender=sender.strip(), text=text, dedup_key=key,
                       recipient=payload.get("to"),
                       channel_message_ids=(upstream_id,) if upstream_id else ())


class _Messages(resource.Resource):
    isLeaf = True

    def __init__(self, channel: LocalChannel):
        super().__init__()
        self._channel = channel

    def render_POST(self, request):
        if not self._channel.authorised(request):
            return json_response(request, 401, {"error": "bad or missing bearer token"})
        try:
            message = self._channel.message_from(json.loads(request.content.read()))
        except (ValueError, AttributeError) as e:  # JSONDecodeError is a ValueError
            return json_response(request, 400, {"error": f"bad message: {e}"})
        d = self._channel._intake.accept(message)
        d.addCallbacks(self._committed, self._not_committed, callbackArgs=(request,),
                       errbackArgs=(request,))
        return server.NOT_DONE_YET

    def _committed(self, result, request):
        self._finish(request, 202, {"complaint_id": result.complaint_id, "duplicate": result.duplicate,
                                    "tracking_id": result.tracking_id})

    def _not_committed(self, failure, request):
        if not failure.check(DatabaseUnavailable):
            log.error("accept failed", error=failure.getErrorMessage())
        self._finish(request, 503, {"error": "not stored; send again"})

    @staticmethod
    def _finish(request, status: int, body) -> None:
        if request._disconnected:
            return
        request.write(json_response(request, status, body))
        request.finish()


class _Replies(resource.Resource):
    isLeaf = True

    def __init__(self, channel: LocalChannel):
        super().__init__()
        self._channel = channel

    def render_GET(self, request):
        return json_response(request, 200, list(self._channel.replies))
