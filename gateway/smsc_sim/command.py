"""`lapor-gateway smsc-sim`: run the bundled SMSC on 127.0.0.1 from the command line.

MOs come from a JSON Lines file (`--mo-file`), from standard input (`--stdin`: a JSON
object or `SENDER TEXT` per line), or are generated (`--count` at `--rate` per
second). Fault options make it misbehave like the SMSCs we have met. A status line
(counts only, never phone numbers) is printed every `--status-interval` seconds.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from gateway.smsc_sim.mo import CONCAT_MODES, ComplaintGenerator, load_jsonl, spec_from_json

HELP = "run the bundled SMSC simulator (SMPP 3.4 on 127.0.0.1)"


def register(subparsers) -> argparse.ArgumentParser:
    """Add the `smsc-sim` subcommand to the CLI's subparsers; sets `func=run`."""
    parser = subparsers.add_parser("smsc-sim", help=HELP, description=__doc__)
    add_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=2775, help="TCP port on 127.0.0.1 (0: any free)")
    p.add_argument("--system-id", default="lapor", help="system_id ESMEs must bind with")
    p.add_argument("--password", default="secret", help="password ESMEs must bind with")
    p.add_argument("--mo-file", help="JSON Lines of MOs: {from, to, text, coding, parts}")
    p.add_argument("--stdin", action="store_true", help="read MOs from standard input")
    p.add_argument("--count", type=int, default=0, help="generate this many complaints")
    p.add_argument("--rate", type=float, default=1.0, help="generated MOs per second")
    p.add_argument("--seed", type=int, default=None, help="seed for generated MOs")
    p.add_argument("--concat", choices=CONCAT_MODES, default="udh8",
                   help="how long MOs are split: 8/16-bit UDH, SAR TLVs, message_payload")
    p.add_argument("--receipt-delay", type=float, default=1.0, help="seconds before a receipt")
    p.add_argument("--receipt-status", default="DELIVRD", help="stat: of receipts")
    p.add_argument("--receipt-id-decimal", action="store_true",
                   help="report receipt ids in decimal (submit_sm_resp gives hex)")
    p.add_argument("--redelivery-delay", type=float, default=5.0,
                   help="seconds before delivering an unacknowledged MO again")
    p.add_argument("--window", type=int, default=None,
                   help="outstanding deliver_sm per bind (default 10; 100 with --load)")
    p.add_argument("--spread", action=argparse.BooleanOptionalAction, default=True,
                   help="deal MOs (each part) and receipts round-robin over every receiving"
                        " bind, as real SMSCs do (default); --no-spread: all to the first")
    fault = p.add_argument_group("fault modes")
    fault.add_argument("--drop-after", type=int, default=None, metavar="N",
                       help="drop each connection at its Nth PDU")
    fault.add_argument("--throttle", type=int, default=None, metavar="PER_SECOND",
                       help="answer ESME_RTHROTTLED to submits beyond this rate")
    fault.add_argument("--response-delay", type=float, default=0.0, help="delay every answer")
    fault.add_argument("--receipt-before-response", action="store_true",
                       help="send the receipt before submit_sm_resp")
    fault.add_argument("--black-hole", action="store_true", help="answer nothing once bound")
    fault.add_argument("--drop-submit-resp-every", type=int, default=None, metavar="N",
                       help="take every Nth submit_sm (recorded, receipt scheduled) but cut"
                            " the connection instead of sending its submit_sm_resp")
    p.add_argument("--ack-log", metavar="FILE",
                   help="append each fully acknowledged MO as a JSON line (message_no, text,"
                        " attempts, the connection that acknowledged each part): what the"
                        " gateway has promised to keep")
    p.add_argument("--submit-log", metavar="FILE",
                   help="append each accepted submit_sm as a JSON line (message_id, addresses,"
                        " decoded text, part i/n, at, connection), flushed per line")
    p.add_argument("--status-interval", type=float, default=10.0, help="seconds between status lines (0: none)")
    load = p.add_argument_group("load mode (docs/smsc-simulator.md, 'Load mode')")
    load.add_argument("--load", action="store_true",
                      help="deliver --count pre-encoded MOs as fast as the window allows,"
                           " measure, print one JSON summary line and exit")
    load.add_argument("--wait-cycles", action="store_true",
                      help="finish only when every MO's reply was submitted and its receipt"
                           " acknowledged")
    load.add_argument("--duration", type=float, default=300.0,
                      help="seconds after which the load mode stops whatever is missing")
    load.add_argument("--long-share", type=float, default=0.0, metavar="FRACTION",
                      help="the share of MOs that are long, 2 or 3 parts with an 8-bit UDH"
                           " (default 0: every MO one deliver_sm)")
    load.add_argument("--start-after-binds", type=int, default=1, metavar="N",
                      help="deliver nothing until N binds are up (several ESMEs measured"
                           " from the same start)")


def build_simulator(args: argparse.Namespace):
    from gateway.smsc_sim.simulator import SmscSimulator
    return SmscSimulator(
        args.system_id, args.password, receipt_delay=args.receipt_delay,
        receipt_status=args.receipt_status, redelivery_delay=args.redelivery_delay,
        window=args.window or 10, drop_after_pdus=args.drop_after,
        throttle_per_second=args.throttle, response_delay=args.response_delay,
        receipt_before_response=args.receipt_before_response, black_hole=args.black_hole,
        receipt_id_decimal=args.receipt_id_decimal, concat=args.concat,
        drop_submit_resp_every=args.drop_submit_resp_every, spread=args.spread)


def _status(sim) -> None:
    print(json.dumps({"event": "smsc-sim status", "bound": len(sim.bound),
                      "mo_acknowledged": len(sim.acknowledged),
                      "mo_unacknowledged": sim.unacknowledged,
                      "submitted": len(sim.submitted),
                      "receipts_acknowledged": len(sim.acknowledged_receipts),
                      # deliver_sm acknowledged per connection: how the binds shared them
                      "acknowledged_on": {str(n): c for n, c in sorted(sim.acknowledged_on.items())}}),
          flush=True)


def _log_acknowledgements(sim, path: str) -> None:
    log = open(path, "a", encoding="utf-8", buffering=1)  # line-buffered: each ack is on disk

    def write(acked) -> None:
        log.write(json.dumps(acked.record(), ensure_ascii=False) + "\n")
    sim.on_acknowledged.append(write)


def _log_submissions(sim, path: str) -> None:
    """Append each accepted submit_sm to `path` as one JSON line, on disk at once (a
    test reads the file while the simulator runs). It holds phone numbers and reply
    text: it is a test artefact, not a log for the journal."""
    log = open(path, "a", encoding="utf-8", buffering=1)  # line-buffered: flushed per line

    def write(submitted) -> None:
        log.write(json.dumps(submitted.record(), ensure_ascii=False) + "\n")
    sim.on_submitted.append(write)


def _start_generator(sim, args) -> None:
    from twisted.internet.task import LoopingCall
    generator = ComplaintGenerator(seed=args.seed, concat=args.concat)
    left = [args.count]

    def one() -> None:
        if left[0] <= 0:
            loop.stop()
            return
        left[0] -= 1
        sim.enqueue_spec(generator.next())

    loop = LoopingCall(one)
    loop.start(1.0 / max(args.rate, 0.001), now=True)


def _start_stdin(sim, concat: str) -> None:
    from twisted.internet import stdio
    from twisted.protocols.basic import LineReceiver

    class MoLines(LineReceiver):
        delimiter = b"\n"

        def lineReceived(self, line: bytes) -> None:
            text = line.decode("utf-8", "replace").strip()
            if not text:
                return
            try:
                if text.startswith("{"):
                    sim.enqueue_spec(spec_from_json(json.loads(text), concat))
                else:
                    sender, _, body = text.partition(" ")
                    sim.enqueue_mo(sender, body, concat=concat)
            except (ValueError, KeyError) as exc:
                print(json.dumps({"event": "smsc-sim bad input line", "error": str(exc)}),
                      file=sys.stderr, flush=True)

    stdio.StandardIO(MoLines())


def _ensure_reactor() -> None:
    if "twisted.internet.reactor" not in sys.modules:
        from twisted.internet import asyncioreactor
        asyncioreactor.install()


LOAD_CONFLICTS = ("mo_file", "stdin", "drop_after", "throttle", "black_hole",
                  "receipt_before_response", "drop_submit_resp_every", "ack_log", "submit_log")


def run_load(args: argparse.Namespace) -> int:
    """The load mode: exit 0 when everything asked for completed, 3 when --duration
    cut it short; the summary line is printed either way."""
    given = [name for name in LOAD_CONFLICTS if getattr(args, name)]
    if given or args.count <= 0 or not 0 <= args.long_share <= 1:
        why = (f"--load does not combine with --{given[0].replace('_', '-')}" if given
               else "--load needs --count N" if args.count <= 0
               else "--long-share is a fraction from 0 to 1")
        print(json.dumps({"event": "smsc-sim refused", "error": why}), file=sys.stderr, flush=True)
        return 2
    _ensure_reactor()
    from twisted.internet import reactor
    from twisted.internet.error import ReactorNotRunning
    from twisted.internet.task import LoopingCall

    from gateway.smsc_sim.load import LoadSmsc
    smsc = LoadSmsc(args.count, args.system_id, args.password, window=args.window or 100,
                    seed=1708 if args.seed is None else args.seed,
                    receipt_delay=args.receipt_delay, receipt_status=args.receipt_status,
                    redelivery_delay=args.redelivery_delay, duration=args.duration,
                    wait_cycles=args.wait_cycles, spread=args.spread,
                    long_share=args.long_share, start_after_binds=args.start_after_binds)
    smsc.start(args.port)
    print(json.dumps({"event": "smsc-sim listening", "host": "127.0.0.1", "port": smsc.port,
                      "mode": "load"}), flush=True)
    if args.status_interval > 0:
        def status() -> None:
            s = smsc.stats
            print(json.dumps({"event": "smsc-sim status", "mo_acked": s.mo_acked,
                              "submits": s.submits, "cycles": s.cycles}), flush=True)
        LoopingCall(status).start(max(args.status_interval, 0.5), now=False)
    result = {}

    def stop_reactor(_ignored) -> None:
        try:
            reactor.stop()
        except ReactorNotRunning:   # a SIGTERM stopped it meanwhile
            pass

    def finished(summary: dict) -> None:
        result.update(summary)
        print(json.dumps(summary), flush=True)
        smsc.stop().addBoth(stop_reactor)
    smsc.done.addCallback(finished)
    reactor.run()
    return 0 if result.get("complete") else 3


def run(args: argparse.Namespace) -> int:
    """Run the simulator until interrupted (the load mode: until it is done)."""
    if args.load:
        return run_load(args)
    _ensure_reactor()
    from twisted.internet import reactor
    from twisted.internet.task import LoopingCall

    sim = build_simulator(args)
    if args.ack_log:
        _log_acknowledgements(sim, args.ack_log)
    if args.submit_log:
        _log_submissions(sim, args.submit_log)
    sim.start(args.port)
    if args.mo_file:
        with open(args.mo_file, encoding="utf-8") as handle:
            for spec in load_jsonl(handle, args.concat):
                sim.enqueue_spec(spec)
    if args.count:
        _start_generator(sim, args)
    if args.stdin:
        _start_stdin(sim, args.concat)
    print(json.dumps({"event": "smsc-sim listening", "host": "127.0.0.1", "port": sim.port}),
          flush=True)
    if args.status_interval > 0:
        LoopingCall(_status, sim).start(max(args.status_interval, 0.5), now=False)
    reactor.run()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lapor-gateway smsc-sim", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
