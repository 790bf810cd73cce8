"""Issue 16 over SMPP to the simulator: commands are answered on SMS — with the delivery
receipt followed like any reply — and none of them becomes a complaint or a case."""
import dataclasses

import pytest_twisted
from sqlalchemy import func, select
from twisted.internet import reactor

from gateway.command_texts import CommandTexts
from gateway.config import GivenSecrets, with_channels
from gateway.forwarder.settings import HttpCaseStoreSettings, LaporXmlCaseStoreSettings
from gateway.journal.tables import complaints, local_cases, opt_outs
from gateway.service import GatewayService
from tests.forwarder.fake_case_store import FakeCaseStore
from tests.smpp.gateway_harness import gateway, simulator, smpp_settings
from tests.support import settings_for

TEXTS = CommandTexts()
FILER, OTHER = "6281234567890", "6281299999999"


def counts(service):
    def read(conn):
        return {"complaints": conn.execute(select(func.count()).select_from(complaints)).scalar(),
                "cases": conn.execute(select(func.count()).select_from(local_cases)).scalar(),
                "stopped": [(r.channel, r.address) for r in conn.execute(select(opt_outs))]}
    return service.journal.database.transact(read)


def receipts(sim, n: int):
    """Fires once the simulator has `n` receipts acknowledged; fails after 30 s."""
    return sim.wait_until_receipts_acknowledged(n).addTimeout(30, reactor)


def answers_to(sim, number: str) -> list[str]:
    return [s.short_message.decode("latin-1") for s in sim.submitted if s.destination_addr == number]


@pytest_twisted.inlineCallbacks
def test_commands_by_sms_are_answered_and_are_never_complaints(tmp_path):
    sim = simulator()
    service = gateway(tmp_path, sim)
    try:
        yield service.start()
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
def test_a_command_sent_again_after_something_else_is_acted_on_again(tmp_path):
    """SMS carries no id an SMSC keeps when it delivers again, so the same words from the
    same number look alike: a command is a redelivery only when nothing else came from
    the number in between (and within minutes). STOP, MULAI, STOP stops; a CEK asked
    again after BANTUAN is answered again."""
    sim = simulator()
    service = gateway(tmp_path, sim)
    try:
        yield service.start()
        sim.enqueue_mo(FILER, "PekalonganKota Jalan rusak di Jl. Merdeka")
        yield receipts(sim, 1)
        (complaint,) = yield service.journal.list_complaints()
        tracking = complaint["tracking_id"]
        for n, text in enumerate(["STOP", "MULAI", "STOP", f"CEK {tracking}", "BANTUAN", f"CEK {tracking}"], 2):
            sim.enqueue_mo(FILER, text)
            yield receipts(sim, n)   # one at a time, as a citizen types
        status = answers_to(sim, FILER)[4]
        assert status.startswith(f"LAPOR! Aduan #{tracking}: menunggu verifikasi (")
        assert answers_to(sim, FILER)[1:] == [TEXTS.stopped, TEXTS.started, TEXTS.stopped, status,
                                              TEXTS.help, status]
        assert (yield counts(service)) == {"complaints": 1, "cases": 1, "stopped": [("sms", "+" + FILER)]}
    finally:
        yield service.stop()
        yield sim.stop()


def central_gateway(tmp_path, sim, store: FakeCaseStore, adapter: str = "http", status_timeout_s: float = 5.0):
    """The gateway on SMPP to `sim`, forwarding to the central case store `store` (the
    fake, over HTTP) through `adapter` (http: the JSON contract; lapor-xml: the legacy API)."""
    base = with_channels(settings_for(tmp_path), smpp=smpp_settings(sim))
    where = ({"http": HttpCaseStoreSettings(base_url=store.base_url)} if adapter == "http"
             else {"lapor_xml": LaporXmlCaseStoreSettings(base_url=store.base_url)})
    settings = dataclasses.replace(base, forwarder=dataclasses.replace(
        base.forwarder, adapter=adapter, status_timeout_s=status_timeout_s, **where))
    return GatewayService(settings, reactor, secrets=GivenSecrets(
        {"smpp_password": "secret", "case_store_token": store.token}))


@pytest_twisted.inlineCallbacks
def test_a_cek_while_the_case_store_hangs_is_answered_unavailable_within_the_timeout(tmp_path):
    """The central case store (the fake, over HTTP) takes the complaint, then never answers
    a status look-up: the citizen still hears, in time — "coba lagi nanti", never silence."""
    store = FakeCaseStore(reactor).start()
    sim = simulator()
    service = central_gateway(tmp_path, sim, store, status_timeout_s=0.5)
    try:
        yield service.start()
        sim.enqueue_mo(FILER, "PekalonganKota Jalan rusak di Jl. Merdeka")
        yield receipts(sim, 1)
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


@pytest_twisted.inlineCallbacks
def test_cek_alone_lists_a_case_the_store_lost_and_cek_takes_a_lettered_number_in_any_case(tmp_path):
    """The case store numbers cases with letters ("LPR5000001"): the citizen typing
    "cek lpr5000001" is told its status. CEK alone lists each case — one the store no
    longer knows as "tidak ditemukan", never a silence."""
    store = FakeCaseStore(reactor, tracking_prefix="LPR").start()
    sim = simulator()
    service = central_gateway(tmp_path, sim, store)
    try:
        yield service.start()
        sim.enqueue_mo(FILER, "PekalonganKota Jalan rusak di Jl. Merdeka")
        sim.enqueue_mo(FILER, "KabBanyumas Lampu jalan mati")
        yield receipts(sim, 2)
        first, second = sorted(c["tracking_id"] for c in (yield service.journal.list_complaints()))
        assert first == "LPR5000001"
        sim.enqueue_mo(FILER, f"cek {first.lower()}")
        yield receipts(sim, 3)
        assert answers_to(sim, FILER)[-1].startswith(f"LAPOR! Aduan #{first}: menunggu verifikasi (")
        del store.statuses[first]
        sim.enqueue_mo(FILER, "CEK")
        yield receipts(sim, 4)
        assert answers_to(sim, FILER)[-1] == TEXTS.mine.format(
            cases=f"#{second} menunggu verifikasi; #{first} tidak ditemukan")
    finally:
        yield service.stop()
        yield sim.stop()
        yield store.stop()


@pytest_twisted.inlineCallbacks
def test_on_the_legacy_case_store_cek_says_where_to_look_instead(tmp_path):
    """The legacy XML API has no status look-up: "try again later" would never come true,
    so the citizen is told where to follow the case (`not_offered`)."""
    store = FakeCaseStore(reactor).start()
    sim = simulator()
    service = central_gateway(tmp_path, sim, store, adapter="lapor-xml")
    try:
        yield service.start()
        sim.enqueue_mo(FILER, "PekalonganKota Jalan rusak di Jl. Merdeka")
        yield receipts(sim, 1)
        (complaint,) = yield service.journal.list_complaints()
        sim.enqueue_mo(FILER, f"CEK {complaint['tracking_id']}")
        sim.enqueue_mo(OTHER, f"CEK {complaint['tracking_id']}")
        yield receipts(sim, 3)
        assert answers_to(sim, FILER)[-1] == TEXTS.not_offered
        assert answers_to(sim, OTHER) == [TEXTS.not_found.format(tracking=complaint["tracking_id"])]
    finally:
        yield service.stop()
        yield sim.stop()
        yield store.stop()
