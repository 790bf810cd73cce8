"""The ops HTTP server answers every scrape, even one it cannot render (in-process, real
HTTP on 127.0.0.1): a scrape that hung would look like a dead gateway to Prometheus; and
what it does not serve is answered in JSON, naming what it does."""
import pytest_twisted
import treq
from twisted.internet import reactor
from twisted.web import resource

from gateway.http_server import OperationsServer
from gateway.service import GatewayService
from tests.support import settings_for


class BrokenChannel:
    """A channel whose metrics raise (a bug in a channel's collector)."""

    name, required = "broken", False

    def is_up(self):
        return True

    def metrics(self):
        raise RuntimeError("collector bug")


@pytest_twisted.inlineCallbacks
def test_a_scrape_that_cannot_be_rendered_gets_500_not_silence(tmp_path):
    service = GatewayService(settings_for(tmp_path), reactor, channels={})
    service.channels = {"broken": BrokenChannel()}
    ops = OperationsServer(service, reactor, "127.0.0.1", 0)
    ops.start()
    try:
        response = yield treq.get(f"http://127.0.0.1:{ops.port}/metrics").addTimeout(10, reactor)
        assert response.code == 500
        assert b"see the log" in (yield response.content())
    finally:
        yield ops.stop()


class Webhook(resource.Resource):
    """A channel's mounted resource that takes POST only (as the Telegram webhook)."""

    isLeaf = True

    def render_POST(self, request):
        return b"{}"


@pytest_twisted.inlineCallbacks
def test_unknown_paths_and_methods_get_json_naming_what_is_served(tmp_path):
    service = GatewayService(settings_for(tmp_path), reactor, channels={})
    ops = OperationsServer(service, reactor, "127.0.0.1", 0)
    ops.mount("/telegram/webhook", Webhook())
    ops.start()
    served = ["/healthz", "/metrics", "/readyz", "/telegram/webhook"]

    def ask(method, path):
        return treq.request(method, f"http://127.0.0.1:{ops.port}{path}").addTimeout(10, reactor)
    try:
        for method, path in [("GET", "/health"), ("GET", "/"), ("POST", "/nope/deeper"),
                             ("GET", "/telegram/other")]:
            response = yield ask(method, path)
            assert response.code == 404, (method, path)
            assert response.headers.getRawHeaders("content-type") == ["application/json"]
            assert (yield response.json()) == {"error": "not found", "paths": served}

        for method, path, allowed in [("POST", "/healthz", "GET"), ("DELETE", "/metrics", "GET"),
                                      ("GET", "/telegram/webhook", "POST")]:
            response = yield ask(method, path)
            assert response.code == 405, (method, path)
            answer = yield response.json()
            assert answer["error"] == "method not allowed" and allowed in answer["allowed"]
            assert response.headers.getRawHeaders("allow") == [", ".join(answer["allowed"])]

        response = yield ask("HEAD", "/readyz")   # still answered as GET, without the body
        assert response.code == 503 and (yield response.content()) == b""
    finally:
        yield ops.stop()
