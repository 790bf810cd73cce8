"""The bundled SMSC deals its deliver_sm over every receiving bind of its system_id, as
real SMSCs do: MOs in turn, the parts of one long MO on different binds, receipts on
any bind, and what a lost bind left unacknowledged on the binds that remain — each MO
and receipt counted once, whichever bind answered it. Test ESMEs over real TCP."""
import argparse
import json

import pytest
import pytest_twisted

from gateway.channels.smpp.concat import Reassembler, segment_of
from gateway.channels.smpp.constants import ESM_SMSC_DELIVERY_RECEIPT, ESME_ROK
from gateway.channels.smpp.dlr import ids_match, parse_receipt
from gateway.smsc_sim import command as sim_command

from .test_simulator import bound_esme

SENDERS = [f"+628120000000{n}" for n in range(6)]
LONG = ("Sleman Jalan rusak di depan pasar Godean sudah tiga bulan, lubangnya makin lebar "
        "setiap hujan turun dan sudah ada pengendara motor yang jatuh minggu lalu. Mohon "
        "segera diperbaiki sebelum ada korban jiwa. Terima kasih banyak.")


def senders(esme):
    return [pdu.source_addr for pdu in esme.received if not is_receipt(pdu)]


def is_receipt(pdu):
    return bool(pdu.esm_class & ESM_SMSC_DELIVERY_RECEIPT)


@pytest_twisted.inlineCallbacks
def two_binds(sim, **first):
    """Two transceiver binds, the first bound first: (esme, its connection number) each."""
    a = yield bound_esme(sim, **first)
    b = yield bound_esme(sim)
    (a_no, b_no) = [proto.number for proto in sim.bound]
    return (a, a_no), (b, b_no)


@pytest_twisted.inlineCallbacks
def test_two_binds_get_the_mos_in_turn(sim_factory):
    sim = sim_factory()
    (a, a_no), (b, b_no) = yield two_binds(sim)
    for sender in SENDERS:
        sim.enqueue_mo(sender, "Bogor Banjir setiap hujan")
    yield sim.wait_until_acknowledged(len(SENDERS))
    assert senders(a) == SENDERS[0::2] and senders(b) == SENDERS[1::2]
    assert sim.acknowledged_on == {a_no: 3, b_no: 3}
    on = {acked.sender: acked.connections for acked in sim.acknowledged}
    assert on == {sender: ((a_no,) if i % 2 == 0 else (b_no,)) for i, sender in enumerate(SENDERS)}


@pytest_twisted.inlineCallbacks
def test_without_spread_the_first_bind_gets_everything(sim_factory):
    sim = sim_factory(spread=False)
    (a, a_no), (b, _b_no) = yield two_binds(sim)
    for sender in SENDERS:
        sim.enqueue_mo(sender, "Bogor Banjir setiap hujan")
    yield sim.wait_until_acknowledged(len(SENDERS))
    assert senders(a) == SENDERS and b.received == []
    assert sim.acknowledged_on == {a_no: len(SENDERS)}


@pytest_twisted.inlineCallbacks
def test_the_parts_of_a_long_mo_land_on_different_binds(sim_factory):
    sim = sim_factory()
    (a, a_no), (b, b_no) = yield two_binds(sim)
    sim.enqueue_mo(SENDERS[0], LONG, parts=3)
    yield sim.wait_until_acknowledged(1)
    assert (len(a.received), len(b.received)) == (2, 1)
    segments = [segment_of(pdu.fields, "sim") for pdu in a.received + b.received]
    assert sorted(s.seqnum for s in segments) == [1, 2, 3]
    reassembler = Reassembler()
    (whole,) = [m for m in (reassembler.add(s, now=0) for s in segments) if m]
    assert whole.text == LONG
    (acked,) = sim.acknowledged
    assert (acked.parts, acked.connections, acked.attempts) == (3, (a_no, b_no, a_no), 1)


@pytest_twisted.inlineCallbacks
def test_receipts_are_spread_so_a_submit_on_one_bind_is_reported_on_another(sim_factory):
    sim = sim_factory(receipt_delay=0.01)
    (a, a_no), (b, b_no) = yield two_binds(sim)
    sender_only = yield bound_esme(sim, mode="transmitter")   # receives nothing
    answers = []
    for n in range(4):
        answers.append((yield a.send_request(
            "submit_sm", source_addr="1708", destination_addr=SENDERS[n], registered_delivery=1,
            short_message=b"LAPOR! Aduan diterima, nomor #500000%d" % n)))
    yield sim.wait_until_receipts_acknowledged(4)
    assert {s.connection for s in sim.submitted} == {a_no}
    reported_on = {}
    for esme, number in ((a, a_no), (b, b_no)):
        for pdu in esme.received:
            assert is_receipt(pdu)
            reported_on[parse_receipt(pdu.fields).message_id] = number
    assert sorted(reported_on.values()) == [a_no, a_no, b_no, b_no]
    assert all(any(ids_match(r.message_id, reported) for reported in reported_on) for r in answers)
    assert sorted(sim.acknowledged_receipts) == sorted(r.message_id for r in answers)
    assert sim.acknowledged_on == {a_no: 2, b_no: 2} and sender_only.received == []


@pytest_twisted.inlineCallbacks
def test_what_a_lost_bind_left_unanswered_goes_to_the_other_bind(sim_factory):
    sim = sim_factory()
    answers = iter([ESME_ROK])            # the first MO it gets, then silence
    (a, a_no), (b, b_no) = yield two_binds(sim, answer=lambda pdu: next(answers, None))
    for sender in SENDERS:
        sim.enqueue_mo(sender, "Medan Jembatan ambrol")
    yield a.wait_received(3)
    yield sim.wait_until_acknowledged(4)   # the first on a, all three on b
    a.transport.loseConnection()
    yield a.closed
    yield sim.wait_until_acknowledged(len(SENDERS))
    assert senders(b) == SENDERS[1::2] + SENDERS[2::2]   # its own, then a's unanswered
    assert sorted(acked.sender for acked in sim.acknowledged) == SENDERS   # each once
    attempts = {acked.sender: (acked.attempts, acked.connections) for acked in sim.acknowledged}
    assert attempts == {SENDERS[0]: (1, (a_no,)), SENDERS[1]: (1, (b_no,)),
                        SENDERS[2]: (2, (b_no,)), SENDERS[3]: (1, (b_no,)),
                        SENDERS[4]: (2, (b_no,)), SENDERS[5]: (1, (b_no,))}
    assert sim.acknowledged_on == {a_no: 1, b_no: 5} and len(sim.ack_latencies) == 6
    assert sim.unacknowledged == 0 and sim.deliveries_sent == 8


@pytest.mark.parametrize("kind", ["mo", "receipt"])
@pytest_twisted.inlineCallbacks
def test_an_answer_after_the_other_bind_took_it_again_is_not_counted_twice(sim_factory, kind):
    # a keeps its deliver_sm past the SMSC's response timeout; the SMSC deals it to b,
    # which acknowledges; then a's ESME_ROK arrives, too late to count.
    sim = sim_factory(response_timeout=0.3)
    (a, a_no), (b, b_no) = yield two_binds(sim, answer=lambda pdu: None)
    if kind == "mo":
        sim.enqueue_mo(SENDERS[0], "Medan Jembatan ambrol")
        yield sim.wait_until_acknowledged(1)
    else:
        yield b.send_request("submit_sm", source_addr="1708", destination_addr=SENDERS[0],
                             registered_delivery=1, short_message=b"LAPOR! nomor #5000001")
        yield sim.wait_until_receipts_acknowledged(1)
    (late,) = a.received
    assert [pdu.short_message for pdu in b.received] == [late.short_message]
    a.respond(late, ESME_ROK)
    yield a.send_request("enquire_link")   # answered after the late resp was read
    assert sim.acknowledged_on == {b_no: 1}
    if kind == "mo":
        (acked,) = sim.acknowledged
        assert (acked.attempts, acked.connections, len(sim.ack_latencies)) == (2, (b_no,), 1)
    else:
        assert len(sim.acknowledged_receipts) == 1 and sim.acknowledged == []


def test_spread_is_the_default_and_no_spread_reaches_the_simulator():
    parser = argparse.ArgumentParser()
    sim_command.add_arguments(parser)
    assert sim_command.build_simulator(parser.parse_args([])).rotation.spread is True
    assert sim_command.build_simulator(parser.parse_args(["--no-spread"])).rotation.spread is False


@pytest_twisted.inlineCallbacks
def test_the_ack_log_and_status_line_name_the_connections(sim_factory, tmp_path, capsys):
    sim = sim_factory()
    path = tmp_path / "acks.jsonl"
    sim_command._log_acknowledgements(sim, str(path))
    (_a, a_no), (_b, b_no) = yield two_binds(sim)
    sim.enqueue_mo(SENDERS[0], LONG, parts=2)
    yield sim.wait_until_acknowledged(1)
    (line,) = [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines()]
    assert line == {"message_no": 1, "text": LONG, "attempts": 1, "connections": [a_no, b_no]}
    sim_command._status(sim)
    status = json.loads(capsys.readouterr().out)
    assert status["acknowledged_on"] == {str(a_no): 1, str(b_no): 1} and status["bound"] == 2
