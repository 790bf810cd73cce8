"""The bundled SMSC against a tiny test ESME over real TCP on 127.0.0.1."""
import pytest
import pytest_twisted
from twisted.internet import defer, task

from gateway.channels.smpp.concat import Reassembler, segment_of
from gateway.channels.smpp.constants import (
    ESME_RINVBNDSTS, ESME_RINVPASWD, ESME_RINVSYSID, ESME_ROK, ESME_RTHROTTLED, ESME_RX_T_APPN)
from gateway.channels.smpp.dlr import ids_match, is_receipt, parse_receipt
from gateway.smsc_sim.mo import MoSpec

from .esme import connect

LONG = ("PekalonganKota Jalan rusak di Jl. Merdeka, lubangnya makin lebar setiap hujan "
        "turun dan sudah ada pengendara motor yang jatuh minggu lalu. Mohon segera "
        "diperbaiki sebelum ada korban jiwa. Terima kasih 🙏")


@pytest_twisted.inlineCallbacks
def bound_esme(sim, mode="transceiver", **kwargs):
    esme = yield connect(sim.port, **kwargs)
    resp = yield esme.bind(mode=mode)
    assert resp.status == ESME_ROK and resp.system_id == "LAPORSIM"
    return esme


@pytest.mark.parametrize("system_id, password, status", [
    ("nobody", "secret", ESME_RINVSYSID), ("lapor", "wrong", ESME_RINVPASWD)])
@pytest_twisted.inlineCallbacks
def test_bad_credentials_refused_and_closed(sim_factory, system_id, password, status):
    sim = sim_factory()
    esme = yield connect(sim.port)
    resp = yield esme.bind(system_id, password)
    assert resp.status == status
    yield esme.closed
    assert sim.bound == []


@pytest_twisted.inlineCallbacks
def test_submit_before_bind_refused(sim_factory):
    sim = sim_factory()
    esme = yield connect(sim.port)
    resp = yield esme.send_request("submit_sm", destination_addr="+62811", short_message=b"x")
    assert resp.status == ESME_RINVBNDSTS
    enq = yield esme.send_request("enquire_link")
    assert enq.status == ESME_ROK


@pytest_twisted.inlineCallbacks
def test_mos_delivered_and_acknowledged(sim_factory):
    sim = sim_factory()
    sim.enqueue_mo("+6281234567", "PekalonganKota Jalan rusak di Jl. Merdeka")
    sim.enqueue_mo("+6281234568", LONG, coding="ucs2", concat="udh16")
    sim.enqueue_mo("+6281234569", "Semarang harga naik 10€ {pungli}", concat="sar")
    esme = yield bound_esme(sim)
    yield sim.wait_until_acknowledged(3)
    reassembler = Reassembler()
    texts = {m.sender: m.text for m in
             (reassembler.add(segment_of(p.fields, "sim"), now=0) for p in esme.received) if m}
    assert texts == {"+6281234567": "PekalonganKota Jalan rusak di Jl. Merdeka",
                     "+6281234568": LONG, "+6281234569": "Semarang harga naik 10€ {pungli}"}
    assert {a.sender for a in sim.acknowledged} == set(texts)
    assert next(a for a in sim.acknowledged if a.sender == "+6281234568").parts == 4
    assert sim.unacknowledged == 0


@pytest_twisted.inlineCallbacks
def test_unacknowledged_and_error_answered_mos_are_delivered_again(sim_factory):
    sim = sim_factory(response_timeout=0.2)
    answers = iter([ESME_RX_T_APPN, None, ESME_ROK])     # temp error, silence, then ok
    esme = yield bound_esme(sim, answer=lambda pdu: next(answers))
    sim.enqueue_mo("+6281111", "Sleman Sampah menumpuk")
    yield sim.wait_until_acknowledged(1)
    assert len(esme.received) == 3 and sim.acknowledged[0].attempts == 3
    assert len({p.short_message for p in esme.received}) == 1


@pytest_twisted.inlineCallbacks
def test_mo_survives_reconnect(sim_factory):
    sim = sim_factory()
    first = yield bound_esme(sim, answer=None)            # never answers
    sim.enqueue_mo("+6282222", "Bogor Banjir setiap hujan")
    yield first.wait_received(1)
    first.transport.loseConnection()
    yield first.closed
    second = yield bound_esme(sim)
    yield sim.wait_until_acknowledged(1)
    assert second.received[0].short_message == first.received[0].short_message


@pytest_twisted.inlineCallbacks
def test_submit_gets_message_id_and_receipt(sim_factory):
    sim = sim_factory(receipt_delay=0.01, receipt_id_decimal=True)
    esme = yield bound_esme(sim)
    resp = yield esme.send_request("submit_sm", source_addr="1708", destination_addr="+62811",
                                   short_message=b"Aduan diterima: LAPOR-1", registered_delivery=1)
    assert resp.status == ESME_ROK and resp.message_id == sim.submitted[0].message_id
    (receipt_pdu,) = yield esme.wait_received(1)
    assert is_receipt(receipt_pdu.esm_class)
    receipt = parse_receipt(receipt_pdu.fields)
    assert receipt.delivered and receipt.final and ids_match(resp.message_id, receipt.message_id)
    assert receipt.message_id != resp.message_id                # decimal vs hex
    yield sim.wait_until_receipts_acknowledged(1)


@pytest_twisted.inlineCallbacks
def test_receipt_before_response(sim_factory):
    sim = sim_factory(receipt_before_response=True)
    esme = yield bound_esme(sim)
    order = []
    esme.answer = lambda pdu: order.append("receipt") or ESME_ROK
    d = esme.send_request("submit_sm", destination_addr="+62811", short_message=b"x",
                          registered_delivery=1)
    d.addCallback(lambda r: order.append("resp"))
    yield d
    assert order == ["receipt", "resp"]


@pytest_twisted.inlineCallbacks
def test_throttling(sim_factory):
    sim = sim_factory(throttle_per_second=2, clock=task.Clock())   # frozen second
    esme = yield bound_esme(sim)
    statuses = yield defer.gatherResults([
        esme.send_request("submit_sm", destination_addr="+62811", short_message=b"x")
        for _ in range(4)])
    assert [r.status for r in statuses] == [ESME_ROK, ESME_ROK, ESME_RTHROTTLED, ESME_RTHROTTLED]


@pytest_twisted.inlineCallbacks
def test_drop_after_n_pdus(sim_factory):
    sim = sim_factory(drop_after_pdus=2)
    esme = yield bound_esme(sim)
    d = esme.send_request("enquire_link")
    yield esme.closed
    with pytest.raises(Exception):
        yield d


@pytest_twisted.inlineCallbacks
def test_black_hole_never_answers(sim_factory):
    clock = task.Clock()
    sim = sim_factory(black_hole=True)
    esme = yield connect(sim.port, clock=clock, response_timeout=5)
    bind = esme.bind()
    resp = yield bind
    assert resp.status == ESME_ROK
    sim.enqueue_mo("+6283333", "Medan Jembatan ambrol")
    d = esme.send_request("enquire_link")
    failures = []
    d.addErrback(failures.append)
    clock.advance(5)
    assert failures and esme.received == []


@pytest.mark.parametrize("fields", [dict(sender="6" * 21), dict(sender="62812\x00"),
                                    dict(sender="Pak \u4e2d"), dict(recipient="1" * 21)])
def test_an_mo_whose_address_cannot_be_written_is_refused_when_read(fields):
    # deliver_sm addresses are C-strings of 21 octets at most: the codec refuses longer
    # ones, and the simulator would retry that deliver_sm forever.
    spec = dict(dict(sender="6281200000001", text="Jateng jalan rusak"), **fields)
    with pytest.raises(ValueError):
        MoSpec(**spec)
    MoSpec(**dict(spec, sender="6" * 20, recipient="1708"))   # the longest that fits
