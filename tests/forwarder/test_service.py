"""The assembled gateway with the HTTP case store chosen in config: a citizen's message over
the local channel → the fake central store → the reply with the store's tracking number;
and what a repeated message gets back."""
import dataclasses

import pytest
import pytest_twisted
import treq
from twisted.internet import reactor

from gateway.channels.local.channel import LocalChannel
from gateway.config import ConfigError
from gateway.service import GatewayService
from tests.forwarder.fake_case_store import TOKEN, FakeCaseStore
from tests.support import settings_for


def gateway(tmp_path, fake, adapter="http", secret_files=None, **replies):
    base = settings_for(tmp_path)
    forwarder = dataclasses.replace(base.forwarder, adapter=adapter, timeout_s=5.0,
                                    http=dataclasses.replace(base.forwarder.http, base_url=fake.base_url),
                                    lapor_xml=dataclasses.replace(base.forwarder.lapor_xml,
                                                                  base_url=fake.base_url))
    settings = dataclasses.replace(base, forwarder=forwarder,
                                   replies=dataclasses.replace(base.replies, **replies),
                                   secrets=dataclasses.replace(base.secrets, files=secret_files or {}))
    channel = LocalChannel(reactor, "127.0.0.1", 0)
    return GatewayService(settings, reactor, channels={"local": channel}), channel


@pytest_twisted.inlineCallbacks
def post(channel, sender, text, upstream_id):
    response = yield treq.post(f"http://127.0.0.1:{channel.port}/messages",
                               json={"from": sender, "text": text, "id": upstream_id})
    return (yield response.json())


@pytest.mark.parametrize("adapter", ["http", "lapor-xml"])
@pytest_twisted.inlineCallbacks
def test_the_citizen_gets_the_central_stores_tracking_number(tmp_path, monkeypatch, adapter):
    monkeypatch.setenv("LAPOR_CASE_STORE_TOKEN", TOKEN)
    fake = FakeCaseStore(reactor).start()
    service, channel = gateway(tmp_path, fake, adapter)
    yield service.start()
    try:
        accepted = yield post(channel, "+6281200000031", "PekalonganKota Jalan rusak", "mo-1")
        yield channel.deliveries.wait_for(1).addTimeout(20, reactor)
        tracking = fake.cases[accepted["complaint_id"]]
        (sent,) = channel.replies
        assert f"#{tracking}" in sent["text"] and "Kota Pekalongan" in sent["text"]
        detail = yield service.journal.show_complaint(accepted["complaint_id"])
        assert (detail["state"], detail["tracking_id"]) == ("forwarded", tracking)
    finally:
        yield service.stop()
        yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_a_repeated_message_gets_the_same_number_again_but_not_an_immediate_redelivery(tmp_path,
                                                                                        monkeypatch):
    monkeypatch.setenv("LAPOR_CASE_STORE_TOKEN", TOKEN)
    fake = FakeCaseStore(reactor).start()
    # quiet 0: a repeat is answered at once (the policy under test); then the cap applies.
    service, channel = gateway(tmp_path, fake, duplicate_quiet_s=0.0, duplicate_max_replies=1)
    yield service.start()
    try:
        first = yield post(channel, "+6281200000032", "KabBanyumas Lampu mati", "mo-2")
        # Before the case exists a repeat gets nothing: the first reply, with the number, is coming.
        early = yield post(channel, "+6281200000032", "KabBanyumas Lampu mati", "mo-2")
        assert early["duplicate"] is True
        yield channel.deliveries.wait_for(1).addTimeout(20, reactor)
        tracking = fake.cases[first["complaint_id"]]

        again = yield post(channel, "+6281200000032", "KabBanyumas Lampu mati", "mo-2")
        assert (again["duplicate"], again["tracking_id"]) == (True, tracking)
        yield channel.deliveries.wait_for(2).addTimeout(20, reactor)
        assert [r["to"] for r in channel.replies] == ["+6281200000032"] * 2
        assert f"#{tracking}" in channel.replies[1]["text"] and "sudah" in channel.replies[1]["text"]

        yield post(channel, "+6281200000032", "KabBanyumas Lampu mati", "mo-2")
        yield service.journal.drain()
        assert len(channel.replies) == 2, "at most duplicate_max_replies per complaint"
        assert len(fake.cases) == 1
    finally:
        yield service.stop()
        yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_within_the_quiet_period_a_redelivery_gets_no_second_reply(tmp_path, monkeypatch):
    monkeypatch.setenv("LAPOR_CASE_STORE_TOKEN", TOKEN)
    fake = FakeCaseStore(reactor).start()
    service, channel = gateway(tmp_path, fake)  # the defaults: 600 s quiet
    yield service.start()
    try:
        yield post(channel, "+6281200000033", "Jateng Bus ngetem", "mo-3")
        yield channel.deliveries.wait_for(1).addTimeout(20, reactor)
        redelivered = yield post(channel, "+6281200000033", "Jateng Bus ngetem", "mo-3")
        assert redelivered["duplicate"] is True
        yield service.journal.drain()
        assert len(channel.replies) == 1
    finally:
        yield service.stop()
        yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_the_http_adapter_without_its_token_is_a_config_error(tmp_path, monkeypatch):
    monkeypatch.delenv("LAPOR_CASE_STORE_TOKEN", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    fake = FakeCaseStore(reactor).start()
    try:
        # Refused when the service is made, before the database is opened.
        with pytest.raises(ConfigError, match="missing secret case_store_token"):
            gateway(tmp_path, fake)
        assert not (tmp_path / "gateway.db").exists()
    finally:
        yield fake.stop()


@pytest_twisted.inlineCallbacks
def test_a_refused_token_is_an_outage_ops_see_and_a_reloaded_token_ends(tmp_path, monkeypatch):
    """Issue 14: the case store answering 401 makes no dead letter and sends no citizen
    a failure; /readyz says 503 and why, the metric says unauthorized; a corrected token
    taken by a reload (what SIGHUP runs) drains every complaint."""
    from gateway.daemon import status_line
    from gateway.http_server import OperationsServer
    monkeypatch.delenv("LAPOR_CASE_STORE_TOKEN", raising=False)
    token_file = tmp_path / "case_store_token"      # as a credentials file ops can fix
    token_file.write_text("an-old-token")
    fake = FakeCaseStore(reactor).start()
    service, channel = gateway(tmp_path, fake, secret_files={"case_store_token": token_file})
    yield service.start()
    ops = OperationsServer(service, reactor, "127.0.0.1", 0)
    ops.start()
    try:
        accepted = []
        for n in range(3):
            accepted.append((yield post(channel, f"+62812000000{n}", "PekalonganKota Jalan rusak", f"mo-{n}")))
        yield fake.when(lambda: len(fake.requests) >= 3).addTimeout(10, reactor)
        ready = yield treq.get(f"http://127.0.0.1:{ops.port}/readyz")
        assert ready.code == 503
        assert (yield ready.json())["case_store"] == {"refuses_us": "unauthorized"}
        scrape = yield (yield treq.get(f"http://127.0.0.1:{ops.port}/metrics")).text()
        assert 'lapor_case_store_up{reason="unauthorized"} 0.0' in scrape
        counts = yield service.journal.count_by_state()
        assert counts == {"parsed": 3} and not channel.replies      # pending: no dead letter
        assert "case store refuses us (unauthorized): forwarding paused" in status_line(service)

        token_file.write_text(TOKEN)                                    # ops fix the secret ...
        service.reload()                                                # ... and send SIGHUP
        yield channel.deliveries.wait_for(3).addTimeout(20, reactor)
        assert sorted(fake.cases) == sorted(a["complaint_id"] for a in accepted)
        assert (yield treq.get(f"http://127.0.0.1:{ops.port}/readyz")).code == 200
        scrape = yield (yield treq.get(f"http://127.0.0.1:{ops.port}/metrics")).text()
        assert 'lapor_case_store_up{reason="up"} 1.0' in scrape
        assert "case store" not in status_line(service)
    finally:
        yield ops.stop()
        yield service.stop()
        yield fake.stop()
