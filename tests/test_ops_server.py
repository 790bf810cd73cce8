"""The ops HTTP server answers every scrape, even one it cannot render (in-process, real
HTTP on 127.0.0.1): a scrape that hung would look like a dead gateway to Prometheus."""
import pytest_twisted
import treq
from twisted.internet import reactor

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
