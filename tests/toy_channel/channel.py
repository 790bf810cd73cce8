"""The toy channel: POST /toy/inbox {"from", "text"} with the bearer token → a complaint
(202 once committed); GET /toy/outbox → the replies it was given."""
import hmac
import itertools
import json

from prometheus_client.core import CounterMetricFamily
from twisted.internet import defer
from twisted.web import resource, server

from gateway.channels.base import Channel
from gateway.model import Message
from gateway.web import json_response


class ToyChannel(Channel):
    name = "toy"
    delivered_on_acceptance = "DELIVRD"

    def __init__(self, settings, token: str):
        self.settings = settings
        self._token = token
        self.intake = None
        self.received = 0
        self.replies: list[dict] = []
        self._ids = itertools.count(1)

    def start(self, intake):
        self.intake = intake

    def stop(self):
        self.intake = None

    def is_up(self) -> bool:
        return self.intake is not None

    def status(self) -> str:
        return f"{self.settings.greeting}, {self.received} received"

    def send(self, reply):
        self.replies.append({"to": reply.recipient, "text": reply.text})
        return defer.succeed(f"toy-{next(self._ids)}")

    def metrics(self):
        yield CounterMetricFamily("lapor_toy_received", "Messages the toy channel took.",
                                  value=self.received)

    def http_resources(self) -> dict:
        return {"/toy/inbox": _Inbox(self), "/toy/outbox": _Outbox(self)}

    def authorised(self, request) -> bool:
        given = (request.getHeader("authorization") or "").removeprefix("Bearer ")
        return hmac.compare_digest(given.encode(), self._token.encode())


class _Inbox(resource.Resource):
    isLeaf = True

    def __init__(self, channel: ToyChannel):
        super().__init__()
        self._channel = channel

    def render_POST(self, request):
        if not self._channel.authorised(request):
            return json_response(request, 401, {"error": "bad token"})
        body = json.loads(request.content.read())
        if len(body["text"]) > self._channel.settings.max_text:
            return json_response(request, 400, {"error": "too long"})
        message = Message(channel="toy", sender=body["from"], text=body["text"],
                          dedup_key=f"{body['from']}:{body['text']}")
        d = self._channel.intake.accept(message)
        d.addCallback(self._committed, request)
        return server.NOT_DONE_YET

    def _committed(self, result, request):
        self._channel.received += 1
        request.write(json_response(request, 202, {"complaint_id": result.complaint_id}))
        request.finish()


class _Outbox(resource.Resource):
    isLeaf = True

    def __init__(self, channel: ToyChannel):
        super().__init__()
        self._channel = channel

    def render_GET(self, request):
        return json_response(request, 200, self._channel.replies)
