"""The SMS part of `lapor-gateway demo`: the bundled SMSC simulator delivers the sample
SMS of `config/demo-messages.jsonl` to 1708 and takes the replies, with delivery receipts.

    sms = SmsDemo(reactor, samples)                    # the simulator on 127.0.0.1
    settings = with_channels(settings, **sms.sections())
    rows = yield sms.feed(service)                     # every MO acknowledged, every reply receipted
    asked = yield sms.ask_status(service, rows)                 # the first citizen sends CEK <their number>
    yield sms.wait_for_updates(service)                       # once their case moved: the update's receipt
    yield sms.stop()                                   # after service.stop()
"""
from __future__ import annotations

import json
from pathlib import Path

from twisted.internet.defer import inlineCallbacks

from gateway.channels.smpp.settings import SmppBindSettings, SmppSettings
from gateway.smsc_sim.simulator import SmscSimulator

DEMO_PASSWORD = "demo"   # the simulator's and the demo bind's; not a secret of any real SMSC


class SmsDemo:
    def __init__(self, reactor, samples: Path):
        self._reactor = reactor
        self._samples = [json.loads(line) for line in samples.read_text(encoding="utf-8").splitlines()
                         if line]
        self.sim = SmscSimulator("lapor", DEMO_PASSWORD, receipt_delay=0.3, redelivery_delay=2.0)
        self.sim.start(0)
        self._receipts = 0   # receipts acknowledged so far: one per reply that went out

    @property
    def intro(self) -> str:
        return f"{len(self._samples)} SMS to 1708 from the bundled SMSC simulator (127.0.0.1:{self.sim.port})"

    def sections(self) -> dict:
        """The `[channels.smpp]` section with one bind to the simulator."""
        return {"smpp": SmppSettings(enabled=True, binds=(
            SmppBindSettings(name="demo-smsc", port=self.sim.port, system_id="lapor"),))}

    def secrets(self) -> dict[str, str]:
        return {"smpp_password": DEMO_PASSWORD}

    @inlineCallbacks
    def feed(self, service):
        """Deliver the samples; once each is acknowledged and each reply's receipt too, the
        SMS complaints as `show_complaint` rows, oldest first."""
        for sample in self._samples:
            self.sim.enqueue_mo(sample["from"].lstrip("+"), sample["text"], recipient="1708")
        yield self.sim.wait_until_acknowledged(len(self._samples)).addTimeout(30, self._reactor)
        complaints = [c for c in (yield service.journal.list_complaints()) if c["channel"] == "sms"]
        # One delivery receipt per complaint's reply; a repeated SMS gets no second reply.
        yield self.sim.wait_until_receipts_acknowledged(len(complaints)).addTimeout(30, self._reactor)
        self._receipts = len(complaints)
        rows = []
        for complaint in reversed(complaints):
            rows.append((yield service.journal.show_complaint(complaint["id"])))
        return rows

    @inlineCallbacks
    def ask_status(self, service, rows):
        """The first sample's citizen asks for their case's status by SMS (`CEK <nomor>`):
        [{"row", "asked", "answer"}] once the answer's receipt is back."""
        first = self._samples[0]
        row = next(r for r in rows if r["channel"] == "sms" and r["text"] == first["text"])
        number, asked = first["from"].lstrip("+"), f"CEK {row['tracking_id']}"
        self.sim.enqueue_mo(number, asked, recipient="1708")
        self._receipts += 1
        yield self.sim.wait_until_receipts_acknowledged(self._receipts).addTimeout(30, self._reactor)
        answer = [s for s in self.sim.submitted if s.destination_addr == number][-1]
        return [{"row": row, "asked": asked, "answer": answer.short_message.decode("latin-1")}]

    def wait_for_updates(self, service):
        """Fires once the update of the case asked about is delivered (its receipt is back).
        Call it before the case moves."""
        self._receipts += 1
        return self.sim.wait_until_receipts_acknowledged(self._receipts)

    def epilogue(self) -> list[str]:
        return []

    def stop(self):
        return self.sim.stop()
