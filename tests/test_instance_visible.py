"""Issue 15: ops see which instance they look at, and what it holds claimed — on
/metrics and in the systemd status line — and `single` where nothing is claimed; and
which instance polls which channel (`lapor_leader{job}`, `polls …`)."""
import dataclasses

import pytest_twisted
import treq
from twisted.internet import reactor

from gateway.channels.base import Channel
from gateway.channels.local.channel import LocalChannel
from gateway.daemon import status_line
from gateway.http_server import OperationsServer
from gateway.service import GatewayService
from tests.support import settings_for


class Poller(Channel):
    """A channel that polls (fetching nothing): polling while its instance holds the job."""
    name = "poller"

    def __init__(self):
        self.polling = False

    def start(self, intake):
        pass

    def stop(self):
        pass

    def send(self, reply):
        raise NotImplementedError

    def polls(self) -> bool:
        return True

    def start_polling(self):
        self.polling = True

    def stop_polling(self):
        self.polling = False


def with_id(settings, instance_id: str):
    gateway = dataclasses.replace(settings.gateway, instance_id=instance_id)
    return dataclasses.replace(settings, gateway=gateway)


@pytest_twisted.inlineCallbacks
def scrape_and_status(settings, channel=None):
    channel = channel or LocalChannel(reactor, "127.0.0.1", 0)
    service = GatewayService(settings, reactor, channels={channel.name: channel})
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
    scrape, status = yield scrape_and_status(with_id(settings_for(tmp_path, postgres_url), "gateway-a"))
    assert 'lapor_instance_info{instance_id="gateway-a"} 1.0' in scrape
    assert 'lapor_claims_held{work="complaints"} 0.0' in scrape
    assert 'lapor_claims_held{work="replies"} 0.0' in scrape
    assert status.endswith("instance gateway-a")


@pytest_twisted.inlineCallbacks
def test_one_instance_on_sqlite_is_single(tmp_path):
    scrape, status = yield scrape_and_status(settings_for(tmp_path))
    assert 'lapor_instance_info{instance_id="single"} 1.0' in scrape
    assert "instance" not in status


@pytest_twisted.inlineCallbacks
def test_of_two_instances_on_postgresql_one_polls_and_both_say_which(tmp_path, postgres_url):
    first = GatewayService(with_id(settings_for(tmp_path / "a", postgres_url), "gateway-a"), reactor,
                           channels={"poller": Poller()})
    yield first.start()
    try:
        scrape, status = yield scrape_and_status(
            with_id(settings_for(tmp_path / "b", postgres_url), "gateway-b"), Poller())
        assert 'lapor_leader{job="poller:poller"} 0.0' in scrape
        assert status.endswith("polls none; instance gateway-b")
        assert first.channels["poller"].polling
        assert status_line(first).endswith("polls poller; instance gateway-a")
    finally:
        yield first.stop()


@pytest_twisted.inlineCallbacks
def test_one_instance_on_sqlite_polls_every_channel(tmp_path):
    channel = Poller()
    scrape, status = yield scrape_and_status(settings_for(tmp_path), channel)
    assert 'lapor_leader{job="poller:poller"} 1.0' in scrape
    assert "polls" not in status and not channel.polling   # stopped with the service
