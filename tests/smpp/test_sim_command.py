"""`smsc-sim`: argument wiring, and a real run in a subprocess driven by the test ESME."""
import argparse
import json
import os
import sys

import pytest_twisted
from twisted.internet import defer, protocol, reactor

from gateway.smsc_sim import command as sim_command

from .esme import connect


def test_register_adds_subcommand():
    parser = argparse.ArgumentParser()
    sim_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["smsc-sim", "--port", "0", "--throttle", "5", "--black-hole",
                              "--concat", "sar", "--drop-after", "7"])
    assert args.func is sim_command.run and args.command == "smsc-sim"
    sim = sim_command.build_simulator(args)
    assert (sim.throttle_per_second, sim.black_hole, sim.concat, sim.drop_after_pdus) == (
        5, True, "sar", 7)


class _Lines(protocol.ProcessProtocol):
    """A process's first JSON line as soon as it is printed; at its end, its exit
    code and every JSON line."""

    def __init__(self):
        self.first_line = defer.Deferred()
        self.ended = defer.Deferred()
        self.buffer = b""

    def outReceived(self, data):
        self.buffer += data
        if b"\n" in self.buffer and not self.first_line.called:
            self.first_line.callback(json.loads(self.buffer.split(b"\n", 1)[0]))

    def processEnded(self, reason):
        lines = [json.loads(line) for line in self.buffer.decode().splitlines() if line.strip()]
        self.ended.callback((reason.value.exitCode, lines))


@pytest_twisted.inlineCallbacks
def test_subprocess_generates_mos(tmp_path):
    mo_file = tmp_path / "mo.jsonl"
    mo_file.write_text('{"from": "+6281200001", "to": "1708", "text": "Malang Jalan rusak"}\n'
                       '# a comment\n\n', encoding="utf-8")
    lines = _Lines()
    argv = [sys.executable, "-m", "gateway.smsc_sim.command", "--port", "0",
            "--count", "3", "--rate", "200", "--seed", "1", "--mo-file", str(mo_file)]
    process = reactor.spawnProcess(lines, sys.executable, argv, env=dict(os.environ),
                                   path=os.getcwd())
    try:
        hello = yield lines.first_line
        esme = yield connect(hello["port"])
        resp = yield esme.bind()
        assert resp.status == 0
        received = yield esme.wait_received(4)
        assert received[0].source_addr == "+6281200001"
    finally:
        process.signalProcess("TERM")
        yield lines.ended


def _spawn_load(*options):
    run = _Lines()
    argv = [sys.executable, "-m", "gateway.smsc_sim.command", "--load", "--port", "0",
            "--status-interval", "0", *options]
    process = reactor.spawnProcess(run, sys.executable, argv, env=dict(os.environ), path=os.getcwd())
    return run, process


@pytest_twisted.inlineCallbacks
def test_load_mode_prints_its_summary_and_exits_by_itself():
    from .test_sim_load import connect_ack_esme
    run, process = _spawn_load("--count", "300")
    try:
        hello = yield run.first_line
        assert hello["mode"] == "load"
        esme = yield connect_ack_esme(hello["port"])
        code, lines = yield run.ended
    finally:
        if process.pid is not None:
            process.signalProcess("KILL")
    assert code == 0
    summary = lines[-1]
    assert summary["event"] == "smsc-sim summary" and summary["complete"] is True
    assert summary["mo_acked"] == esme.acked == 300 and summary["window"] == 100


@pytest_twisted.inlineCallbacks
def test_load_mode_stops_at_its_duration_when_nobody_binds():
    run, process = _spawn_load("--count", "10", "--duration", "0.3")
    try:
        code, lines = yield run.ended
    finally:
        if process.pid is not None:
            process.signalProcess("KILL")
    assert code == 3
    assert lines[-1]["complete"] is False and lines[-1]["mo_sent"] == 0


def test_load_mode_refuses_fault_modes():
    parser = argparse.ArgumentParser()
    sim_command.add_arguments(parser)
    assert sim_command.run(parser.parse_args(["--load", "--count", "5", "--black-hole"])) == 2
    assert sim_command.run(parser.parse_args(["--load"])) == 2
