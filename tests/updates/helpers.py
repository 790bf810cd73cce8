"""The gateway in one process with the case store's events served (real HTTP on
127.0.0.1): the local channel for citizens (or the channels of the `[channels.*]`
sections a test gives, built as `run` builds them), the embedded case store, the ops
server with `POST /case-store/events` — or the events' own listener — wired as `run`
wires them (`gateway.daemon.events_server`)."""
from __future__ import annotations

import dataclasses

import pytest_twisted
import treq
from twisted.internet import reactor

from gateway.channels.local.channel import LocalChannel
from gateway.config import GivenSecrets, with_channels
from gateway.daemon import events_server, ops_server
from gateway.http_settings import HttpSettings
from gateway.service import GatewayService
from tests.forwarder.case_store_events import case_event, post_event
from tests.support import settings_for

SECRET = "case-store-shared-secret"


class EventsGateway:
    def __init__(self, tmp_path, database_url: str = "", sections: dict | None = None,
                 secret: str | None = SECRET, events_listen: str = "", secrets: dict | None = None, **replies):
        """`sections`: `[channels.*]` settings by name (else the local channel alone);
        `secrets`: theirs; `replies`: `[replies]` keys."""
        base = settings_for(tmp_path, database_url)
        if sections:
            base = with_channels(base, **sections)
        self.settings = dataclasses.replace(
            base, http=HttpSettings(port=0, events_listen=events_listen),
            replies=dataclasses.replace(base.replies, **replies),
            forwarder=dataclasses.replace(base.forwarder, rescan_interval_s=0.2))
        self.local = LocalChannel(reactor, "127.0.0.1", 0)
        given = dict(secrets or {}) | ({"case_store_webhook_secret": secret} if secret else {})
        self.service = GatewayService(self.settings, reactor, secrets=GivenSecrets(given),
                                      channels=None if sections else {"local": self.local})
        self.ops = ops_server(self.settings, self.service, reactor)
        self.events = events_server(self.settings, self.service, reactor, self.ops)
        self.secret = secret

    @pytest_twisted.inlineCallbacks
    def start(self):
        """Listening and started; a start that fails closes what it opened (the test's
        `finally` never sees this gateway)."""
        self.ops.start()
        if self.events is not None:
            self.events.start()
        try:
            yield self.service.start()
        except BaseException:
            yield self.stop()
            raise
        return self

    @property
    def url(self) -> str:
        port = self.events.port if self.events is not None else self.ops.port
        return f"http://127.0.0.1:{port}/case-store/events"

    @pytest_twisted.inlineCallbacks
    def complaint(self, sender: str = "+6281200000001", text: str = "PekalonganKota Jalan rusak"):
        """A complaint over the local channel, forwarded and answered: (its id, its tracking number)."""
        sent = len(self.local.replies)
        response = yield treq.post(f"http://127.0.0.1:{self.local.port}/messages",
                                   json={"from": sender, "text": text})
        body = yield response.json()
        yield self.local.deliveries.wait_for(sent + 1).addTimeout(20, reactor)
        detail = yield self.service.journal.show_complaint(body["complaint_id"])
        return body["complaint_id"], detail["tracking_id"]

    def post(self, event: dict | bytes, **options):
        return post_event(self.url, self.secret or "", event, **options).addTimeout(20, reactor)

    @pytest_twisted.inlineCallbacks
    def stop(self):
        yield self.service.stop()
        if self.events is not None:
            yield self.events.stop()
        yield self.ops.stop()


__all__ = ["EventsGateway", "SECRET", "case_event"]
