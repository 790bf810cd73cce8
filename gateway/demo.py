"""`lapor-gateway demo`: the whole gateway on its embedded defaults, fed sample messages.

It starts the bundled SMSC simulator and fake X and Telegram servers on free ports on
127.0.0.1, and the real service against them (SQLite in a demo state directory, the
embedded case store, the SMPP, X and Telegram channels in one process). The simulator
delivers `config/demo-messages.jsonl` as citizens' SMS to 1708, a citizen mentions
@lapor1708 on the fake X, two chat with the bot; the demo prints what each became:
routing, region, tracking number, the reply the citizen got on their channel, and that
reply's delivery status. The last SMS repeats the first: the gateway recognises it as
the same complaint.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from twisted.internet.defer import inlineCallbacks
from twisted.internet.task import react

from gateway import logging as gwlog
from gateway.channels.smpp.settings import SmppBindSettings, SmppSettings
from gateway.smsc_sim.simulator import SmscSimulator
from gateway.config import GivenSecrets, load_config, with_channels
from gateway.demo_fakes.social import SocialDemo
from gateway.service import GatewayService, load_pseudonym_key

SAMPLES = Path("config/demo-messages.jsonl")
DEMO_PASSWORD = "demo"   # the simulator's and the demo bind's; not a secret of any real SMSC


def demo_settings(state_directory: str, smsc_port: int, social: SocialDemo):
    """The config (or the defaults) with the SMS, X and Telegram sections pointing at the
    simulator and the fakes."""
    base = load_config("config/gateway.toml" if Path("config/gateway.toml").exists() else None)
    smpp = SmppSettings(enabled=True, binds=(SmppBindSettings(name="demo-smsc", port=smsc_port,
                                                              system_id="lapor"),))
    base = with_channels(base, smpp=smpp, **social.sections())
    return dataclasses.replace(
        base, gateway=dataclasses.replace(base.gateway, state_directory=Path(state_directory)),
        logging=dataclasses.replace(base.logging, level="warning"))


def run_demo(reactor, args) -> int:
    outcome = {"code": 1}

    @inlineCallbacks
    def main(_reactor):
        sim = SmscSimulator("lapor", DEMO_PASSWORD, receipt_delay=0.3, redelivery_delay=2.0)
        sim.start(0)
        social = SocialDemo(reactor)
        settings = demo_settings(args.state_directory, sim.port, social)
        gwlog.configure(settings.logging.level, "console")
        # Each demo starts afresh: otherwise every sample would be a duplicate of the last run's.
        for old in settings.state_directory.glob("gateway.db*"):
            old.unlink()
        gwlog.set_pseudonym_key(load_pseudonym_key(settings))
        secrets = GivenSecrets({"smpp_password": DEMO_PASSWORD, **social.secrets()})
        service = GatewayService(settings, reactor, secrets=secrets)
        yield service.start()
        try:
            rows = yield _feed(reactor, sim, service)
            social.post_samples()
            yield social.wait_for_replies(service.channels, 30)
            rows += yield social.rows(service.store)
            _print(rows, service.pipeline.duplicates, settings.state_directory)
            for answer in social.bot_answers():
                print(f"\nThe bot's answer to /bantuan:\n  {answer['text']}")
            outcome["code"] = 0 if rows and all(r["tracking_id"] for r in rows) else 1
        finally:
            yield service.stop()
            yield sim.stop()
            yield social.stop()

    try:
        react(main)
    except SystemExit as done:
        return int(done.code or 0) or outcome["code"]
    return outcome["code"]


@inlineCallbacks
def _feed(reactor, sim, service):
    samples = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines() if line]
    print(f"LAPOR! gateway demo: {len(samples)} SMS to 1708 from the bundled SMSC simulator"
          f" (127.0.0.1:{sim.port}), then a mention of @lapor1708 on a fake X and messages to the"
          " bot on a fake Telegram (both on 127.0.0.1)\n")
    for sample in samples:
        sim.enqueue_mo(sample["from"].lstrip("+"), sample["text"], recipient="1708")
    yield sim.wait_until_acknowledged(len(samples)).addTimeout(30, reactor)
    complaints = yield service.store.list_complaints()
    # One delivery receipt per complaint's reply; the repeated SMS gets no second reply.
    yield sim.wait_until_receipts_acknowledged(len(complaints)).addTimeout(30, reactor)
    rows = []
    for complaint in reversed(complaints):
        rows.append((yield service.store.show_complaint(complaint["id"])))
    return rows


def _print(rows, duplicates: int, state_directory: Path) -> None:
    for r in rows:
        reply = r["replies"][-1] if r["replies"] else {}
        region = f"{r['region']} {r['region_name']}" if r["region"] else "-"
        print(f"  {'#' + str(r['tracking_id']):9} {r['channel']:8} {r['routing']:9} {region:28} "
              f"reply {reply.get('delivery_status') or reply.get('state', 'none')}")
        print(f"      {r['channel'] + ':':6} {r['text']}")
        if reply:
            print(f"      reply: {reply['text']}")
    print(f"\n{len(rows)} complaints; {duplicates} repeated message recognised as the same complaint.")
    print(f"The demo's database stays in {state_directory} until the next demo.")
