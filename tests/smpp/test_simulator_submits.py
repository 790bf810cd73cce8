"""The bundled SMSC's record of submits (`on_submitted`, `--submit-log`) and the fault
that takes a submit_sm but loses its answer with the link (`--drop-submit-resp-every`)."""
import argparse
import json
import os
import sys

import pytest
import pytest_twisted
from twisted.internet import error, reactor

from gateway.smsc_sim import command as sim_command
from gateway.channels.smpp.constants import ESM_UDHI, ESME_ROK
from gateway.channels.smpp.dlr import ids_match, parse_receipt
from gateway.channels.smpp.text import concat_udh, encode_ucs2

from .esme import connect
from .test_sim_command import _Lines
from .test_simulator import bound_esme


def submit(esme, text=b"Aduan diterima #LAPOR-1", **fields):
    fields.setdefault("destination_addr", "6281200000041")
    return esme.send_request("submit_sm", source_addr="1708", short_message=text,
                             registered_delivery=1, **fields)


def log_lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest_twisted.inlineCallbacks
def test_submit_log_has_one_flushed_line_per_accepted_submit(sim_factory, tmp_path):
    sim = sim_factory()
    path = tmp_path / "submits.jsonl"
    sim_command._log_submissions(sim, str(path))
    esme = yield bound_esme(sim)
    first = yield submit(esme)
    assert [line["message_id"] for line in log_lines(path)] == [first.message_id]  # already on disk
    parts = [concat_udh(0x1234, 2, n) + encode_ucs2(t) for n, t in ((1, "Aduan 🙏 "), (2, "diterima"))]
    for part in parts:
        yield submit(esme, part, esm_class=ESM_UDHI, data_coding=8)
    lines = log_lines(path)
    assert [(line["text"], line.get("part")) for line in lines] == [
        ("Aduan diterima #LAPOR-1", None), ("Aduan 🙏 ", "1/2"), ("diterima", "2/2")]
    assert lines[0]["destination_addr"] == "6281200000041" and lines[0]["source_addr"] == "1708"
    assert [line["message_id"] for line in lines] == [s.message_id for s in sim.submitted]
    assert all(abs(line["at"] - reactor.seconds()) < 60 for line in lines)


@pytest_twisted.inlineCallbacks
def test_every_nth_submit_is_taken_but_its_answer_is_lost_with_the_link(sim_factory):
    sim = sim_factory(drop_submit_resp_every=2, receipt_delay=0.01)
    esme = yield bound_esme(sim, answer=lambda pdu: None)   # receipts: left unanswered here
    answered = yield submit(esme, b"satu")
    assert answered.status == ESME_ROK
    with pytest.raises(error.ConnectionLost):
        yield submit(esme, b"dua")
    yield esme.closed
    assert [s.short_message for s in sim.submitted] == [b"satu", b"dua"]   # the SMSC has it
    # After a new bind the SMSC reports on the message whose answer was lost.
    again = yield bound_esme(sim)
    yield sim.wait_until_receipts_acknowledged(2)
    reported = [parse_receipt(p.fields).message_id for p in again.received]
    assert any(ids_match(sim.submitted[1].message_id, r) for r in reported)
    third = yield submit(again, b"tiga")
    assert third.status == ESME_ROK and len(sim.submitted) == 3


def test_cli_options_reach_the_simulator():
    parser = argparse.ArgumentParser()
    sim_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["smsc-sim", "--drop-submit-resp-every", "3", "--submit-log", "x"])
    assert (args.submit_log, sim_command.build_simulator(args).drop_submit_resp_every) == ("x", 3)


@pytest_twisted.inlineCallbacks
def test_subprocess_writes_the_submit_log_while_running(tmp_path):
    path = tmp_path / "submits.jsonl"
    lines = _Lines()
    argv = [sys.executable, "-m", "gateway.smsc_sim.command", "--port", "0",
            "--submit-log", str(path), "--drop-submit-resp-every", "2", "--status-interval", "0"]
    process = reactor.spawnProcess(lines, sys.executable, argv, env=dict(os.environ),
                                   path=os.getcwd())
    try:
        hello = yield lines.first_line
        esme = yield connect(hello["port"])
        assert (yield esme.bind()).status == ESME_ROK
        first = yield submit(esme, b"Aduan diterima #LAPOR-7")
        (line,) = log_lines(path)                   # on disk before the answer came
        assert isinstance(line.pop("at"), float)
        assert line == {"message_id": first.message_id, "destination_addr": "6281200000041",
                        "source_addr": "1708", "text": "Aduan diterima #LAPOR-7",
                        "connection": 1}
        with pytest.raises(error.ConnectionLost):
            yield submit(esme, b"kedua")
        assert [line["text"] for line in log_lines(path)] == ["Aduan diterima #LAPOR-7", "kedua"]
    finally:
        process.signalProcess("TERM")
        yield lines.ended
