"""The load mode over several binds and with long MOs, over real TCP on 127.0.0.1: work
spread over every receiving bind (or only the first, without spread), the parts of a
long MO on different binds, and what a lost bind held taken by the other — each MO
counted once."""
import argparse

import pytest
import pytest_twisted

from gateway.channels.smpp import codec
from gateway.channels.smpp.concat import Reassembler, segment_of
from gateway.channels.smpp.constants import ESME_ROK
from gateway.smsc_sim import command as sim_command
from gateway.smsc_sim.load_pool import MoPool, mo_number

from .esme import connect


@pytest_twisted.inlineCallbacks
def two_binds(smsc, answer=ESME_ROK):
    """Bind a, let it hold a full window unanswered, bind b, then let a answer (as
    `answer` says from then on): both binds are up before a frees room, so every MO
    after a's first window is dealt between the two. Returns (a, b)."""
    held = []
    a = yield connect(smsc.port, answer=held.append)     # None: no answer yet
    yield a.bind()
    yield a.wait_received(smsc.window)
    b = yield connect(smsc.port)
    yield b.bind()
    a.answer = answer
    for pdu in held:
        status = answer(pdu) if callable(answer) else answer
        if status is not None:
            a.respond(pdu, status)
    return a, b


def mo_parts(esme):
    """{MO number: [its segments this ESME received]}."""
    found = {}
    for pdu in esme.received:
        found.setdefault(mo_number(pdu.source_addr), []).append(segment_of(pdu.fields, "load"))
    return found


def total_parts(smsc):
    parts = smsc.stats.parts
    return smsc.stats.count if parts is None else sum(parts)


@pytest_twisted.inlineCallbacks
def test_every_receiving_bind_takes_work_and_each_mo_counts_once(load_smsc):
    smsc = load_smsc(300, window=10)
    a, b = yield two_binds(smsc)
    summary = yield smsc.done
    assert summary["complete"] is True and summary["mo_acked"] == 300
    shares = summary["acked_per_bind"]
    assert set(shares) == {"1", "2"} and sum(shares.values()) == 300
    assert min(shares.values()) >= 10
    senders = [pdu.source_addr for pdu in a.received + b.received]
    assert len(senders) == len(set(senders)) == 300


@pytest_twisted.inlineCallbacks
def test_without_spread_only_the_first_bind_gets_work(load_smsc):
    smsc = load_smsc(100, window=10, spread=False)
    a, b = yield two_binds(smsc)
    summary = yield smsc.done
    assert summary["acked_per_bind"] == {"1": 100, "2": 0}
    assert len(a.received) == 100 and b.received == []


@pytest_twisted.inlineCallbacks
def test_the_parts_of_long_mos_are_dealt_over_both_binds(load_smsc):
    smsc = load_smsc(40, window=4, long_share=1.0, seed=7)
    a, b = yield two_binds(smsc)
    summary = yield smsc.done
    parts = smsc.stats.parts
    assert summary["complete"] is True and summary["long_mos"] == 40
    assert set(parts) <= {2, 3} and summary["mo_sent"] == sum(parts) == len(smsc.stats.ack_latencies)
    on_a, on_b = mo_parts(a), mo_parts(b)
    spanning = set(on_a) & set(on_b)
    assert len(spanning) >= 40 - smsc.window      # all but those begun before b bound
    reassembler = Reassembler()
    texts = {}
    for number in range(40):
        segments = sorted(on_a.get(number, []) + on_b.get(number, []), key=lambda s: s.seqnum)
        assert [s.seqnum for s in segments] == list(range(1, parts[number] + 1))
        (whole,) = [m for m in (reassembler.add(s, now=0) for s in segments) if m]
        texts[number] = whole.text
    assert texts == {n: smsc.pool.text(n, parts[n]) for n in range(40)}


@pytest_twisted.inlineCallbacks
def test_what_a_lost_bind_held_goes_to_the_other_and_counts_once(load_smsc):
    smsc = load_smsc(60, window=5, long_share=0.5, seed=3, redelivery_delay=0.01)
    answers = iter([ESME_ROK] * 8)          # a answers eight deliver_sm, then nothing
    a, b = yield two_binds(smsc, answer=lambda pdu: next(answers, None))
    yield a.wait_received(8 + smsc.window)  # a full window unanswered on a
    a.transport.loseConnection()
    yield a.closed
    summary = yield smsc.done
    parts = total_parts(smsc)
    assert summary["complete"] is True and summary["mo_acked"] == 60
    assert summary["acked_per_bind"] == {"1": 8, "2": parts - 8}
    assert summary["redeliveries"] >= smsc.window
    assert summary["mo_sent"] == parts + summary["redeliveries"]
    on_b = mo_parts(b)
    acked_on_a = {mo_number(p.source_addr) for p in a.received[:8]}
    assert set(on_b) | acked_on_a == set(range(60))


@pytest_twisted.inlineCallbacks
def test_nothing_goes_out_until_the_binds_waited_for_are_up(load_smsc):
    smsc = load_smsc(50, window=5, start_after_binds=2, long_share=1.0)
    a = yield connect(smsc.port)
    yield a.bind()
    yield a.send_request("enquire_link")    # a deliver_sm would have come before its answer
    assert a.received == []
    b = yield connect(smsc.port)
    yield b.bind()                          # resumes as the answer is read, before what follows
    assert b.received == []                 # no part dealt to b before its bind_resp
    yield a.wait_received(smsc.window)
    yield b.wait_received(smsc.window)
    summary = yield smsc.done
    assert summary["complete"] is True and summary["binds"] == 2


def test_the_cli_reaches_the_load_mode_options():
    parser = argparse.ArgumentParser()
    sim_command.add_arguments(parser)
    args = parser.parse_args(["--load", "--count", "5", "--long-share", "0.25",
                              "--start-after-binds", "2", "--no-spread"])
    assert (args.long_share, args.start_after_binds, args.spread) == (0.25, 2, False)


def test_a_long_mo_decodes_part_by_part():
    pool = MoPool(64, seed=5)
    for parts in (2, 3):
        pdus = [codec.decode(bytes(pool.pdu(1234, 9, part, parts))) for part in range(parts)]
        assert {p.source_addr for p in pdus} == {"6281200001234"}
        segments = [segment_of(p.fields, "load") for p in pdus]
        assert [(s.ref, s.total, s.seqnum) for s in segments] == [
            (1234 & 0xFF, parts, n) for n in range(1, parts + 1)]
        reassembler = Reassembler()
        (whole,) = [m for m in (reassembler.add(s, now=0) for s in segments) if m]
        assert whole.text == pool.text(1234, parts)


@pytest.mark.parametrize("share", ["-0.1", "1.5"])
def test_a_long_share_outside_zero_to_one_is_refused(share):
    parser = argparse.ArgumentParser()
    sim_command.add_arguments(parser)
    assert sim_command.run(parser.parse_args(["--load", "--count", "5", "--long-share", share])) == 2
