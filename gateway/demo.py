"""`lapor-gateway demo`: the whole gateway on its embedded defaults, fed sample messages.

It starts the bundled SMSC simulator and fake X and Telegram servers on free ports on
127.0.0.1, and the real service against them (SQLite in a demo state directory, the
embedded case store, the SMPP, X and Telegram channels in one process). The simulator
delivers `config/demo-messages.jsonl` as citizens' SMS to 1708, a citizen mentions
@lapor1708 on the fake X, two chat with the bot; the demo prints what each became:
routing, region, tracking number, the reply the citizen got on their channel, and that
reply's delivery status. The last SMS repeats the first: the gateway recognises it as
the same complaint. Then the citizen's loop (`demo_loop`): on each channel a citizen asks
for their case's status, the case moves and they hear of it.

Each channel's part of the scenario (its fake upstream, its section, its samples) lives
in `demo_fakes/`; this module only runs the parts: it names no channel.
"""
from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from twisted.internet.defer import inlineCallbacks
from twisted.internet.task import react

from gateway import logging as gwlog
from gateway.config import GivenSecrets, Settings, settings_for_command, with_channels
from gateway.data import DEMO_MESSAGES
from gateway.demo_fakes.sms import SmsDemo
from gateway.demo_fakes.social import SocialDemo
from gateway.demo_loop import follow_cases, print_loop
from gateway.service import GatewayService, load_pseudonym_key

SAMPLES = DEMO_MESSAGES


def demo_settings(state_directory: str, parts, config: str | None = None) -> Settings:
    """The config (--config, $LAPOR_CONFIG, else the defaults: its mapping and reply
    texts) with each demo part's channel sections (pointing at the simulator and the
    fakes), the state in `state_directory`, quiet logs."""
    base = with_channels(settings_for_command(config),
                         **{k: v for part in parts for k, v in part.sections().items()})
    return dataclasses.replace(
        base, gateway=dataclasses.replace(base.gateway, state_directory=Path(state_directory)),
        logging=dataclasses.replace(base.logging, level="warning"),
        # a case moved while the demo runs is told within half a second, not the default 5 s
        forwarder=dataclasses.replace(base.forwarder, rescan_interval_s=0.5))


def run_demo(reactor, args) -> int:
    """The demo, its state in --state-directory (kept) or a temporary folder (removed)."""
    if args.state_directory is not None:
        return _run_demo(reactor, args, args.state_directory, kept=True)
    with tempfile.TemporaryDirectory(prefix="lapor-demo-") as folder:
        return _run_demo(reactor, args, folder, kept=False)


def _run_demo(reactor, args, state_directory: str, kept: bool) -> int:
    outcome = {"code": 1}

    @inlineCallbacks
    def main(_reactor):
        parts = (SmsDemo(reactor, SAMPLES), SocialDemo(reactor))
        settings = demo_settings(state_directory, parts, args.config)
        gwlog.configure(settings.logging.level, "console")
        # Each demo starts afresh: otherwise every sample would be a duplicate of the last run's.
        for old in settings.state_directory.glob("gateway.db*"):
            old.unlink()
        gwlog.set_pseudonym_key(load_pseudonym_key(settings))
        secrets = GivenSecrets({k: v for part in parts for k, v in part.secrets().items()})
        # The channels are built from the settings, through the registry, as `run` builds them.
        service = GatewayService(settings, reactor, secrets=secrets)
        yield service.start()
        try:
            print("LAPOR! gateway demo: " + ", then ".join(part.intro for part in parts) + "\n")
            rows = []
            for part in parts:
                rows += yield part.feed(service)
            _print(rows, service.pipeline.duplicates, settings.state_directory if kept else None)
            for line in (line for part in parts for line in part.epilogue()):
                print(f"\n{line}")
            asked = yield follow_cases(reactor, service, settings, parts, rows)
            print_loop(asked)
            outcome["code"] = 0 if rows and all(r["tracking_id"] for r in rows) else 1
        finally:
            yield service.stop()
            for part in parts:
                yield part.stop()

    try:
        react(main)
    except SystemExit as done:
        return int(done.code or 0) or outcome["code"]
    return outcome["code"]


def _print(rows, duplicates: int, state_directory: Path | None) -> None:
    for r in rows:
        reply = r["replies"][-1] if r["replies"] else {}
        region = f"{r['region']} {r['region_name']}" if r["region"] else "-"
        print(f"  {'#' + str(r['tracking_id']):9} {r['channel']:8} {r['routing']:9} {region:28} "
              f"reply {reply.get('delivery_status') or reply.get('state', 'none')}")
        print(f"      {r['channel'] + ':':6} {r['text']}")
        if reply:
            print(f"      reply: {reply['text']}")
    print(f"\n{len(rows)} complaints; {duplicates} repeated message recognised as the same complaint.")
    if state_directory is not None:
        print(f"The demo's database stays in {state_directory} until the next demo there.")
