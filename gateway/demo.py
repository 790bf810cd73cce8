"""`lapor-gateway demo`: the whole gateway on its embedded defaults, fed sample messages.

It starts the real service (SQLite in a demo state directory, the embedded case store,
the local channel on a free port on 127.0.0.1), posts `config/demo-messages.jsonl` as
citizens would, and prints what each became: routing, region, tracking number, and the
reply's delivery status. The last sample repeats the first, to show a duplicate getting
the same tracking number back.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from twisted.internet.defer import inlineCallbacks
from twisted.internet.task import react

from gateway import logging as gwlog
from gateway.channels.local import LocalChannel
from gateway.config import load_config
from gateway.service import GatewayService, load_pseudonym_key

SAMPLES = Path("config/demo-messages.jsonl")


def demo_settings(state_directory: str):
    base = load_config("config/gateway.toml" if Path("config/gateway.toml").exists() else None)
    return dataclasses.replace(
        base, gateway=dataclasses.replace(base.gateway, state_directory=Path(state_directory)),
        logging=dataclasses.replace(base.logging, level="warning"))


def run_demo(reactor, args) -> int:
    settings = demo_settings(args.state_directory)
    # Each demo starts afresh: otherwise every sample would be a duplicate of the last run's.
    for old in settings.state_directory.glob("gateway.db*"):
        old.unlink()
    gwlog.configure(settings.logging.level, "console")
    gwlog.set_pseudonym_key(load_pseudonym_key(settings))
    outcome = {"code": 1}

    @inlineCallbacks
    def main(_reactor):
        channel = LocalChannel(reactor, "127.0.0.1", 0)
        service = GatewayService(settings, reactor, channels={"local": channel})
        yield service.start()
        try:
            rows = yield _feed(reactor, channel, service)
            _print(rows)
            outcome["code"] = 0 if all(r["tracking_id"] for r in rows) else 1
        finally:
            yield service.stop()

    react_status = _react(main)
    return react_status or outcome["code"]


def _react(main) -> int:
    try:
        react(main)
    except SystemExit as done:
        return int(done.code or 0)
    return 0


@inlineCallbacks
def _feed(reactor, channel, service):
    import treq
    url = f"http://127.0.0.1:{channel.port}/messages"
    samples = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines() if line]
    print(f"LAPOR! gateway demo: {len(samples)} sample messages through the local channel"
          f" (state in {service.settings.state_directory})\n")
    ids = []
    for sample in samples:
        response = yield treq.post(url, json=sample)
        body = yield response.json()
        ids.append((sample["text"], body))
    distinct = {body["complaint_id"] for _, body in ids}
    d = channel.wait_for_deliveries(len(distinct))
    d.addTimeout(30, reactor)
    yield d
    rows = []
    for text, body in ids:
        detail = yield service.store.show_complaint(body["complaint_id"])
        rows.append(detail | {"text": text, "duplicate": body["duplicate"]})
    return rows


def _print(rows) -> None:
    for r in rows:
        reply = r["replies"][-1] if r["replies"] else {}
        region = f"{r['region']} {r['region_name']}" if r["region"] else "-"
        print(f"  {'#' + str(r['tracking_id']):9} {r['routing']:9} {region:28} "
              f"reply {reply.get('delivery_status') or reply.get('state', 'none'):8}"
              f"{' (duplicate)' if r['duplicate'] else ''}")
        print(f"      citizen: {r['text']}")
        if reply:
            print(f"      reply:   {reply['text']}")
    print("\nThe demo's database stays in its state directory until the next demo.")
