"""The gateway's own HTTP server for ops: /healthz, /readyz, /metrics — and the place
other rooms mount their resources (the Telegram webhook).

    GET /healthz   200 {"status": "ok"} when the process runs and the database answers a
                   trivial query within a few seconds; 503 otherwise (restart material)
    GET /readyz    200 when every required channel is up, else 503; the body lists each
                   channel's state (a load balancer or a probe takes traffic away on 503)
    GET /metrics   Prometheus text format (see gateway/metrics.py)

It listens on 127.0.0.1 by default: the endpoints tell about the service, not about
citizens, but they are still nobody else's business. No access log: it would hold
client addresses and make the journal noisy with scrapes.

Whoever asks it something else is a probe or an admin with curl, not a browser: an
unknown path gets JSON 404 `{"error": "not found", "paths": [what is served]}` and a
method a path does not take JSON 405 with `Allow`, rather than Twisted's HTML pages.
(A mounted webhook is listed too: it is guarded by its secret header, not its path.)
The case store's events (`POST /case-store/events`, gateway/updates) are mounted here
unless `[http].events_listen` gives them a listener of their own.
"""
from __future__ import annotations

import json

from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from twisted.internet import defer
from twisted.web import resource, server
from twisted.web.error import UnsupportedMethod

from gateway import metrics
from gateway.logging import get_logger
from gateway.web import LimitedRequest, json_response, quiet_site

log = get_logger(__name__)

#: seconds a health or metrics query may wait for the database
DATABASE_TIMEOUT_S = 5.0


class OperationsServer:
    """The twisted.web site on [http].listen:port, for one `GatewayService`."""

    def __init__(self, service, reactor, listen: str = "127.0.0.1", port: int = 8780, heartbeat=None):
        """`heartbeat`: the daemon's (`gateway.notify.Heartbeat`), for the watchdog's metrics."""
        self._service = service
        self._reactor = reactor
        self._listen, self._port = listen, port
        self._listening = None
        self.root = _Folder(self)
        registry, collector = metrics.build_registry(service, heartbeat)
        self.root.putChild(b"healthz", _Health(service, reactor))
        self.root.putChild(b"readyz", _Ready(service))
        self.root.putChild(b"metrics", _Metrics(service, reactor, registry, collector))

    @property
    def port(self) -> int:
        return self._listening.getHost().port

    def mount(self, path: str, child: resource.Resource) -> None:
        """Serve `child` at `path` (e.g. "/telegram/webhook"), making the folders on the way."""
        parts = [p.encode() for p in path.strip("/").split("/") if p]
        if not parts:
            raise ValueError(f"cannot mount at {path!r}")
        parent = self.root
        for part in parts[:-1]:
            existing = parent.children.get(part)
            if existing is None:
                existing = _Folder(self)
                parent.putChild(part, existing)
            parent = existing
        parent.putChild(parts[-1], child)

    def served_paths(self) -> list[str]:
        """Every path something answers at, e.g. ["/healthz", "/metrics", "/readyz"]."""
        found = []

        def walk(folder, prefix):
            for name, child in folder.children.items():
                path = f"{prefix}/{name.decode()}"
                if isinstance(child, _Folder):
                    walk(child, path)
                else:
                    found.append(path)
        walk(self.root, "")
        return sorted(found)

    def start(self) -> None:
        site = quiet_site(self.root)
        site.requestFactory = OpsRequest
        self._listening = self._reactor.listenTCP(self._port, site, interface=self._listen)
        log.info("http server listening", listen=self._listen, port=self.port)

    def stop(self) -> defer.Deferred:
        if self._listening is None:
            return defer.succeed(None)
        listening, self._listening = self._listening, None
        return defer.maybeDeferred(listening.stopListening)


def _json(request, status: int, body) -> bytes:
    request.setHeader(b"cache-control", b"no-store")
    return json_response(request, status, body)


class _Folder(resource.Resource):
    """The root, or a folder made by `mount`: what it does not hold is a JSON 404."""

    def __init__(self, ops: OperationsServer):
        super().__init__()
        self._ops = ops

    def getChild(self, path, request):
        return _NotFound(self._ops.served_paths())


class _NotFound(resource.Resource):
    isLeaf = True

    def __init__(self, paths: list[str]):
        super().__init__()
        self._paths = paths

    def render(self, request):   # whatever the method: there is nothing here
        return _json(request, 404, {"error": "not found", "paths": self._paths})


class OpsRequest(LimitedRequest):
    """A request to the ops server: a method the resource does not take is answered in
    JSON with `Allow`, where Twisted writes an HTML page. Bodies are kept up to 1 MiB
    (webhooks take far less; each says what it accepts)."""

    def render(self, resrc):
        super().render(_MethodsInJson(resrc))


class _MethodsInJson:
    """Renders `wrapped`, turning its refusal of the request's method into JSON 405."""

    def __init__(self, wrapped):
        self._wrapped = wrapped

    def render(self, request):
        try:
            return self._wrapped.render(request)
        except UnsupportedMethod as refused:
            if request.method == b"HEAD" and b"GET" in refused.allowedMethods:
                raise   # Twisted answers a HEAD from GET
            request.setHeader(b"allow", b", ".join(refused.allowedMethods))
            return _json(request, 405, {"error": "method not allowed",
                                        "allowed": [m.decode() for m in refused.allowedMethods]})


def _finish(request, status: int, content_type: bytes, body: bytes) -> None:
    if request._disconnected:
        return
    request.setResponseCode(status)
    request.setHeader(b"content-type", content_type)
    request.write(body)
    request.finish()


class _Health(resource.Resource):
    isLeaf = True

    def __init__(self, service, reactor):
        super().__init__()
        self._service, self._reactor = service, reactor

    def render_GET(self, request):
        journal = self._service.journal
        if journal is None:
            return _json(request, 503, {"status": "starting", "database": "not open"})
        d = journal.ping()
        d.addTimeout(DATABASE_TIMEOUT_S, self._reactor)
        d.addCallbacks(lambda _: (200, {"status": "ok", "database": "ok"}),
                       lambda f: (503, {"status": "unhealthy", "database": f.getErrorMessage()[:200]}))
        d.addCallback(lambda answer: _finish(request, answer[0], b"application/json",
                                             json.dumps(answer[1]).encode()))
        return server.NOT_DONE_YET


class _Ready(resource.Resource):
    isLeaf = True

    def __init__(self, service):
        super().__init__()
        self._service = service

    def render_GET(self, request):
        ready, channels = readiness(self._service)
        body = {"ready": ready, "channels": channels}
        refusal = case_store_refusal(self._service)
        if refusal is not None:
            body["case_store"] = {"refuses_us": refusal}
        return _json(request, 200 if ready else 503, body)


def readiness(service) -> tuple[bool, dict]:
    """(ready, {channel: {"up", "required"}}): ready when started, every required channel
    is up, and the case store does not refuse the gateway itself (a token it does not
    take: nothing can be forwarded until ops act — an outage that is merely passing
    leaves the gateway ready, its intake goes on)."""
    channels = {name: {"up": bool(c.is_up()), "required": bool(c.required)}
                for name, c in sorted(service.channels.items())}
    started = service.pipeline is not None and not getattr(service, "stopping", False)
    ready = (started and all(c["up"] for c in channels.values() if c["required"])
             and case_store_refusal(service) is None)
    return ready, channels


def case_store_refusal(service) -> str | None:
    """Why the case store refuses the gateway (unauthorized, forbidden, tls, dns), or None."""
    forwarder = getattr(service, "forwarder", None)
    return forwarder.health.refusal if forwarder is not None else None


class _Metrics(resource.Resource):
    isLeaf = True

    def __init__(self, service, reactor, registry, collector):
        super().__init__()
        self._service, self._reactor = service, reactor
        self._registry, self._collector = registry, collector

    def render_GET(self, request):
        journal = self._service.journal
        d = metrics.snapshot(journal, self._reactor, DATABASE_TIMEOUT_S) if journal else defer.succeed(None)
        d.addCallback(self._render, request)
        d.addErrback(self._failed, request)
        return server.NOT_DONE_YET

    @staticmethod
    def _failed(failure, request) -> None:
        # A scrape must get an answer, not hang until the scraper's timeout.
        log.error("metrics not rendered", error=failure.getErrorMessage())
        _finish(request, 500, b"text/plain", b"metrics could not be rendered; see the log\n")

    def _render(self, counts, request) -> None:
        # The reactor is single-threaded: nothing else scrapes between these two lines.
        self._collector.store_counts = counts
        _finish(request, 200, CONTENT_TYPE_LATEST.encode(), generate_latest(self._registry))
