"""Issue 15: an SMSC spreads the parts of one long SMS over the binds of an account, and
with several gateway instances those binds belong to different processes. Here two
gateways on one PostgreSQL are bound to the same simulator; parts are dealt by hand to
both binds, so each message's parts reach the database through both instances."""
import dataclasses

import pytest
import pytest_twisted
from twisted.internet import defer, reactor, task

from gateway.channels.smpp.concat import GAP_MARKER
from gateway.smsc_sim.mo import MoSpec, deliver_sm_fields
from tests.smpp.gateway_harness import gateway, simulator, smpp_settings
from tests.smpp.test_channel import texts_of


def instance(tmp_path, sim, url: str, name: str, concat_timeout_s: float = 60.0):
    smpp = dataclasses.replace(smpp_settings(sim), concat_timeout_s=concat_timeout_s)
    service = gateway(tmp_path / name, sim, database_url=url, smpp=smpp)
    settings = service.settings
    service.settings = dataclasses.replace(settings, gateway=dataclasses.replace(
        settings.gateway, instance_id=name, lease_ttl_s=2.0))
    return service


def long_text(n: int) -> str:
    return f"KabBanyumas pesan {n}: " + "jalan desa kami rusak parah sejak banjir tahun lalu " * 6 + f"AKHIR-{n}"


@pytest_twisted.inlineCallbacks
def until(condition, timeout_s: float = 15.0):
    """Fires once `condition()` (a Deferred's result) is true; fails after `timeout_s`."""
    for _ in range(int(timeout_s / 0.1)):
        if (yield condition()):
            return
        yield task.deferLater(reactor, 0.1, lambda: None)
    raise AssertionError("condition not met in time")


@pytest.mark.postgres
@pytest_twisted.inlineCallbacks
def test_parts_spread_over_two_instances_make_one_complaint_each(tmp_path, postgres_url):
    sim = simulator()
    services = [instance(tmp_path, sim, postgres_url, name) for name in ("a", "b")]
    yield services[0].start()
    yield services[1].start()
    try:
        yield sim.wait_until_bound(2)
        binds = sim.bound
        deliveries = []
        for n in range(40):
            parts = deliver_sm_fields(MoSpec(f"62812000{n:05d}", long_text(n)), reference=n)
            assert len(parts) == 3
            # every message's parts go to both instances, in varying order
            for i, fields in enumerate(parts if n % 2 else reversed(parts)):
                deliveries.append(binds[(n + i) % 2].send_request("deliver_sm", **fields))
        answers = yield defer.gatherResults(deliveries)
        assert {r.status for r in answers} == {0}
        stored = yield texts_of(services[1])
        assert sorted((s, t) for s, t, _, _ in stored) == sorted(
            (f"+62812000{n:05d}", long_text(n)) for n in range(40))
        assert all(flags == () for _, _, flags, _ in stored)
        assert (yield services[0].journal.held_parts("sms")) == []
    finally:
        for service in services:
            yield service.stop()
        yield sim.stop()


@pytest.mark.postgres
@pytest_twisted.inlineCallbacks
def test_a_dead_instances_parts_are_forwarded_partial_by_the_survivor(tmp_path, postgres_url):
    sim = simulator()
    a, b = (instance(tmp_path, sim, postgres_url, name, concat_timeout_s=1.0) for name in ("a", "b"))
    yield a.start()
    yield sim.wait_until_bound(1)
    a_bind = sim.bound[0]
    yield b.start()
    try:
        yield sim.wait_until_bound(2)
        b_bind = next(p for p in sim.bound if p is not a_bind)
        text = long_text(1)
        first, second, _third = deliver_sm_fields(MoSpec("6281200000001", text), reference=9)
        answers = yield defer.gatherResults([a_bind.send_request("deliver_sm", **first),
                                             b_bind.send_request("deliver_sm", **second)])
        assert {r.status for r in answers} == {0}
        yield a.stop()          # a goes; the third part never comes

        def one_partial():
            return texts_of(b).addCallback(lambda rows: len(rows) == 1)
        yield until(one_partial)
        ((sender, stored, flags, _),) = yield texts_of(b)
        assert "partial" in flags and stored.endswith(GAP_MARKER.rstrip())
        assert text.startswith(stored[:-len(GAP_MARKER.rstrip())])
        assert (yield b.journal.held_parts("sms")) == []
    finally:
        yield b.stop()
        yield sim.stop()


@pytest_twisted.inlineCallbacks
def test_parts_that_stop_coming_are_forwarded_partial_once(tmp_path, database_url):
    sim = simulator()
    service = instance(tmp_path, sim, database_url, "one", concat_timeout_s=1.0)
    yield service.start()
    try:
        yield sim.wait_until_bound(1)
        first, _second, third = deliver_sm_fields(MoSpec("6281200000002", long_text(2)), reference=4)
        answers = yield defer.gatherResults([sim.bound[0].send_request("deliver_sm", **f)
                                             for f in (third, first)])
        assert {r.status for r in answers} == {0}

        def stored():
            return texts_of(service).addCallback(lambda rows: len(rows) == 1)
        yield until(stored)
        ((_, text, flags, _),) = yield texts_of(service)
        assert "partial" in flags and GAP_MARKER in text and text.endswith("AKHIR-2")
        # a late copy of a part after that is recognised, not a second partial message
        late = yield sim.bound[0].send_request("deliver_sm", **first)
        assert late.status == 0
        assert (yield service.journal.held_parts("sms")) == [], "nothing held for a second partial"
        assert len((yield texts_of(service))) == 1
    finally:
        yield service.stop()
        yield sim.stop()


@pytest_twisted.inlineCallbacks
def test_parts_spread_over_two_binds_of_one_account_join(tmp_path, database_url):
    """Two binds of one system_id (named differently) in one instance: the SMSC spreads
    parts over both, and they still make one message."""
    from gateway.channels.smpp.settings import SmppBindSettings, SmppSettings
    from tests.smpp.gateway_harness import FAST
    sim = simulator()
    binds = tuple(SmppBindSettings(name=name, port=sim.port, **FAST) for name in ("one", "two"))
    service = gateway(tmp_path, sim, database_url=database_url, smpp=SmppSettings(enabled=True, binds=binds))
    yield service.start()
    try:
        yield sim.wait_until_bound(2)
        parts = deliver_sm_fields(MoSpec("6281200000003", long_text(3)), reference=5)
        answers = yield defer.gatherResults([sim.bound[i % 2].send_request("deliver_sm", **f)
                                             for i, f in enumerate(parts)])
        assert {r.status for r in answers} == {0}
        ((_, text, flags, _),) = yield texts_of(service)
        assert (text, flags) == (long_text(3), ())
    finally:
        yield service.stop()
        yield sim.stop()
