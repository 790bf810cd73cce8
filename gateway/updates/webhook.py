"""`POST /case-store/events`: the twisted.web resource the case store pushes status events
to, and the listener of its own it may have (`[http].events_listen`).

Thin on purpose, and in this order, so that nothing unauthenticated is parsed and
nothing is stored that the case store was not told about:

    body over 64 KiB            413  (not read further)
    signature missing or wrong  401  bad_signature
    timestamp outside ±300 s    401  stale
    body not an event           400  malformed (the reason in the answer)
    tracking id nobody has      422  unknown_tracking
    our database failed         503  (nothing stored: send it again)
    stored now / before         200  {"outcome": "accepted" | "replay"}

The 200 goes out only once the event (and the citizen's notification) is committed:
a gateway killed right after it has both; a replay is 200 and does nothing. Off unless
the secret `case_store_webhook_secret` is configured (the endpoint is not served then).
"""
from __future__ import annotations

from typing import Callable

from twisted.internet import defer
from twisted.web import resource, server

from gateway import instruments
from gateway.http_server import OpsRequest
from gateway.logging import get_logger
from gateway.model import DatabaseUnavailable
from gateway.updates.event_body import MAX_BODY_BYTES, MalformedEvent, read_event
from gateway.updates.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, check
from gateway.web import json_response, quiet_site

log = get_logger(__name__)

EVENTS_PATH = "/case-store/events"
SECRET_NAME = "case_store_webhook_secret"


class CaseEventsWebhook(resource.Resource):
    isLeaf = True

    def __init__(self, desk_of: Callable[[], object], secret: str, clock):
        """`desk_of()` is the service's `CaseEventDesk` (None until it has started)."""
        super().__init__()
        self._desk_of = desk_of
        self._secret = secret
        self._clock = clock

    def render_POST(self, request):
        body = request.content.read(MAX_BODY_BYTES + 1)
        if getattr(request, "body_too_large", False) or len(body) > MAX_BODY_BYTES:
            return self._refused(request, 413, "too_large", f"the body is over {MAX_BODY_BYTES} bytes")
        why = check(self._secret, _header(request, TIMESTAMP_HEADER), _header(request, SIGNATURE_HEADER),
                    body, self._clock.seconds())
        if why is not None:
            log.warning("case event refused", outcome=why)
            return self._refused(request, 401, why, "signature missing or wrong" if why == "bad_signature"
                                 else f"{TIMESTAMP_HEADER} is more than 300 s from our clock")
        try:
            event = read_event(body)
        except MalformedEvent as bad:
            log.warning("case event refused", outcome="malformed", reason=str(bad))
            return self._refused(request, 400, "malformed", str(bad))
        desk = self._desk_of()
        if desk is None:
            return _json(request, 503, {"error": "the gateway is starting; send the event again"})
        d = desk.receive(event)
        d.addCallbacks(self._recorded, self._not_stored, callbackArgs=(request,), errbackArgs=(request, event))
        return server.NOT_DONE_YET

    @staticmethod
    def _refused(request, status: int, outcome: str, reason: str) -> bytes:
        instruments.observe_case_event(outcome)
        return _json(request, status, {"error": reason})

    @staticmethod
    def _recorded(record, request) -> None:
        if record.outcome == "unknown_tracking":
            _finish(request, 422, {"error": "no complaint has this tracking_id"})
        else:
            _finish(request, 200, {"outcome": record.outcome})

    @staticmethod
    def _not_stored(failure, request, event) -> None:
        instruments.observe_case_event("not_stored")
        (log.warning if failure.check(DatabaseUnavailable) else log.error)(
            "case event not stored; the case store sends it again", event_id=event.event_id,
            error=f"{failure.type.__name__}: {failure.getErrorMessage()}"[:300])
        _finish(request, 503, {"error": "not stored; send the event again"})


def _json(request, status: int, body: dict) -> bytes:
    request.setHeader(b"cache-control", b"no-store")
    return json_response(request, status, body)


def _finish(request, status: int, body: dict) -> None:
    if not request._disconnected:
        request.write(_json(request, status, body))
        request.finish()


class _EventsRequest(OpsRequest):
    """As on the ops server (a refused method in JSON), bodies kept up to the limit."""

    max_body = MAX_BODY_BYTES


class _Elsewhere(resource.Resource):
    """Every other path of the events listener: JSON 404 naming the one it serves."""

    isLeaf = True

    def render(self, request):
        return _json(request, 404, {"error": "not found", "paths": [EVENTS_PATH]})


class _Folder(resource.Resource):
    """A folder of the events listener holding `children`; nothing else is there."""

    def __init__(self, children: dict[bytes, resource.Resource]):
        super().__init__()
        for name, child in children.items():
            self.putChild(name, child)

    def getChild(self, path, request):
        return _Elsewhere()

    def render(self, request):   # the folder itself serves nothing
        return _Elsewhere().render(request)


def _root(webhook: CaseEventsWebhook) -> resource.Resource:
    parts = [p.encode() for p in EVENTS_PATH.strip("/").split("/")]   # case-store / events
    return _Folder({parts[0]: _Folder({parts[1]: webhook})})


class EventsServer:
    """A listener serving only the case store's events (`[http].events_listen`): the case
    store is remote, so it may reach this address while /metrics stays on 127.0.0.1."""

    def __init__(self, reactor, host: str, port: int, webhook: CaseEventsWebhook):
        self._reactor = reactor
        self._host, self._port = host, port
        self._webhook = webhook
        self._listening = None

    @property
    def port(self) -> int:
        return self._listening.getHost().port

    def start(self) -> None:
        site = quiet_site(_root(self._webhook))
        site.requestFactory = _EventsRequest
        self._listening = self._reactor.listenTCP(self._port, site, interface=self._host)
        log.info("case-store events listening", listen=self._host, port=self.port, path=EVENTS_PATH)

    def stop(self) -> defer.Deferred:
        if self._listening is None:
            return defer.succeed(None)
        listening, self._listening = self._listening, None
        return defer.maybeDeferred(listening.stopListening)


def where_served(http, has_secret: bool) -> str:
    """Where `POST /case-store/events` is served under the `[http]` settings `http`, in a
    few words for check-config (and why not, when it is not)."""
    if not has_secret:
        return "off: no secret case_store_webhook_secret"
    if http.events_address is not None:
        return f"on its own listener, http://{http.events_listen}{EVENTS_PATH}"
    if not http.enabled:
        return "off: [http] is disabled and [http].events_listen is not set"
    return f"on the ops server, http://{http.listen}:{http.port}{EVENTS_PATH}"


def _header(request, name: str) -> str | None:
    """The header's value, or None when missing or not ASCII (no signature of ours is)."""
    raw = request.requestHeaders.getRawHeaders(name.encode())
    if not raw:
        return None
    try:
        return raw[-1].decode("ascii")
    except UnicodeDecodeError:
        return None
