"""Issue 15: ops see which instance they look at, and what it holds claimed — on
/metrics and in the systemd status line — and `single` where nothing is claimed."""
import dataclasses

import pytest_twisted
import treq
from twisted.internet import reactor

from gateway.channels.local.channel import LocalChannel
from gateway.daemon import status_line
from gateway.http_server import OperationsServer
from gateway.service import GatewayService
from tests.support import settings_for


@pytest_twisted.inlineCallbacks
def scrape_and_status(settings):
    service = GatewayService(settings, reactor, channels={"local": LocalChannel(reactor, "127.0.0.1", 0)})
    yield service.start()
    ops = OperationsServer(service, reactor, "127.0.0.1", 0)
    ops.start()
    try:
        scrape = yield (yield treq.get(f"http://127.0.0.1:{ops.port}/metrics")).text()
        return scrape, status_line(service)
    finally:
        yield ops.stop()
        yield service.stop()


@pytest_twisted.inlineCallbacks
def test_an_instance_on_postgresql_names_itself_and_its_claims(tmp_path, postgres_url):
    base = settings_for(tmp_path, postgres_url)
    settings = dataclasses.replace(base, gateway=dataclasses.replace(base.gateway, instance_id="gateway-a"))
    scrape, status = yield scrape_and_status(settings)
    assert 'lapor_instance_info{instance_id="gateway-a"} 1.0' in scrape
    assert 'lapor_claims_held{work="complaints"} 0.0' in scrape
    assert 'lapor_claims_held{work="replies"} 0.0' in scrape
    assert status.endswith("instance gateway-a")


@pytest_twisted.inlineCallbacks
def test_one_instance_on_sqlite_is_single(tmp_path):
    scrape, status = yield scrape_and_status(settings_for(tmp_path))
    assert 'lapor_instance_info{instance_id="single"} 1.0' in scrape
    assert "instance" not in status
