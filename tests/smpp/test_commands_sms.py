"""Issue 16 over SMPP to the simulator: commands are answered on SMS — with the delivery
receipt followed like any reply — and none of them becomes a complaint or a case."""
import pytest_twisted
from sqlalchemy import func, select

from gateway.command_texts import CommandTexts
from gateway.journal.tables import complaints, local_cases, opt_outs
from tests.smpp.gateway_harness import gateway, simulator

TEXTS = CommandTexts()
FILER, OTHER = "6281234567890", "6281299999999"


def counts(service):
    def read(conn):
        return {"complaints": conn.execute(select(func.count()).select_from(complaints)).scalar(),
                "cases": conn.execute(select(func.count()).select_from(local_cases)).scalar(),
                "stopped": [(r.channel, r.address) for r in conn.execute(select(opt_outs))]}
    return service.journal.database.transact(read)


def answers_to(sim, number: str) -> list[str]:
    return [s.short_message.decode("latin-1") for s in sim.submitted if s.destination_addr == number]


@pytest_twisted.inlineCallbacks
def test_commands_by_sms_are_answered_and_are_never_complaints(tmp_path):
    sim = simulator()
    service = gateway(tmp_path, sim)
    yield service.start()
    try:
        sim.enqueue_mo(FILER, "PekalonganKota Jalan rusak di Jl. Merdeka")
        yield sim.wait_until_receipts_acknowledged(1)
        (complaint,) = yield service.journal.list_complaints()
        tracking = complaint["tracking_id"]
        sim.enqueue_mo(OTHER, f"CEK {tracking}")          # someone else's number: not told
        sim.enqueue_mo(FILER, "BANTUAN")
        sim.enqueue_mo(FILER, "stop!")
        yield sim.wait_until_receipts_acknowledged(4)
        assert answers_to(sim, OTHER) == [TEXTS.not_found.format(tracking=tracking)]
        assert answers_to(sim, FILER)[1:] == [TEXTS.help, TEXTS.stopped]
        assert (yield counts(service)) == {"complaints": 1, "cases": 1, "stopped": [("sms", "+" + FILER)]}
        sim.enqueue_mo(FILER, "MULAI")
        sim.enqueue_mo(FILER, "Cek")                      # my cases
        yield sim.wait_until_receipts_acknowledged(6)
        mine = answers_to(sim, FILER)[3:]
        assert mine[0] == TEXTS.started
        assert mine[1] == TEXTS.mine.format(cases=f"#{tracking} menunggu verifikasi")
        assert (yield counts(service)) == {"complaints": 1, "cases": 1, "stopped": []}
        sim.enqueue_mo(FILER, f"cek #{tracking}")          # my own case: its status
        yield sim.wait_until_receipts_acknowledged(7)
        assert answers_to(sim, FILER)[-1].startswith(f"LAPOR! Aduan #{tracking}: menunggu verifikasi (")
        replies = yield service.journal.count_replies_by_state()
        assert replies == {"delivered": 7}, "every answer's receipt followed"
        assert (yield counts(service))["complaints"] == 1
    finally:
        yield service.stop()
        yield sim.stop()


@pytest_twisted.inlineCallbacks
def test_a_cek_while_the_case_store_hangs_is_answered_unavailable_within_the_timeout(tmp_path):
    """The central case store (the fake, over HTTP) takes the complaint, then never answers
    a status look-up: the citizen still hears, in time — "coba lagi nanti", never silence."""
    import dataclasses

    from twisted.internet import reactor

    from gateway.config import GivenSecrets, with_channels
    from gateway.forwarder.settings import HttpCaseStoreSettings
    from gateway.service import GatewayService
    from tests.forwarder.fake_case_store import FakeCaseStore
    from tests.smpp.gateway_harness import smpp_settings
    from tests.support import settings_for
    store = FakeCaseStore(reactor).start()
    sim = simulator()
    base = with_channels(settings_for(tmp_path), smpp=smpp_settings(sim))
    settings = dataclasses.replace(base, forwarder=dataclasses.replace(
        base.forwarder, adapter="http", status_timeout_s=0.5,
        http=HttpCaseStoreSettings(base_url=store.base_url)))
    service = GatewayService(settings, reactor, secrets=GivenSecrets(
        {"smpp_password": "secret", "case_store_token": store.token}))
    yield service.start()
    try:
        sim.enqueue_mo(FILER, "PekalonganKota Jalan rusak di Jl. Merdeka")
        yield sim.wait_until_receipts_acknowledged(1)
        (complaint,) = yield service.journal.list_complaints()
        store.status_fault = "hang"
        sim.enqueue_mo(FILER, f"CEK {complaint['tracking_id']}")
        yield sim.wait_until_acknowledged(2)
        asked_at = reactor.seconds()
        yield sim.wait_until_submitted(2)
        answered_at = sim.submitted[-1].at
        assert answers_to(sim, FILER)[-1] == TEXTS.unavailable
        assert answered_at - asked_at < 1.5, "within status_timeout_s (0.5 s), well inside the desk's bound"
    finally:
        yield service.stop()
        yield sim.stop()
        yield store.stop()
