"""The forwarding worker on a real store (SQLite in the test's folder) in front of the fake
case store over real HTTP on 127.0.0.1, with complaints committed as the pipeline would."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks

from gateway.forwarder.http_json import HttpJsonCaseStore
from gateway.forwarder.lapor_xml import LaporXmlCaseStore
from gateway.forwarder.settings import ForwarderSettings
from gateway.forwarder.worker import ForwardingWorker
from gateway.model import Complaint, ComplaintState, Message, Region, RegionLevel, Routing, RoutingStatus
from gateway.reply_text import ReplyWriter
from gateway.reply_text import ReplyTemplates
from gateway.journal import open_journal
from tests.forwarder.fake_case_store import FakeCaseStore

BANYUMAS = Region("33.02", "Kabupaten Banyumas", RegionLevel.KABUPATEN)
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)


def phone(n: int) -> str:
    return f"+62815{n:08d}"


class Harness:
    def __init__(self, tmp_path, adapter: str = "http", **worker_options):
        self.tmp_path = tmp_path
        self.adapter = adapter
        self.options = {"concurrency": 8, "timeout_s": 2.0, "retry_initial_s": 0.02,
                        "retry_max_s": 0.1, "outage_after_failures": 5} | worker_options
        self.hold_limit = self.options.pop("hold_limit", None)
        self.replies = []
        self.fake = FakeCaseStore(reactor)
        self.journal = self.worker = None

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.tmp_path / 'gateway.db'}"

    @inlineCallbacks
    def start(self, database_url: str | None = None, adapter_options: dict | None = None):
        self.fake.start()
        self.journal = yield open_journal(database_url or self.db_url, reactor)
        self.worker = ForwardingWorker(self.case_store(**(adapter_options or {})), self.journal, reactor,
                                       ForwarderSettings(**self.options),
                                       reply_for=ReplyWriter(ReplyTemplates()).for_complaint,
                                       on_reply=self.replies.append,
                                       **({"hold_limit": self.hold_limit} if self.hold_limit else {}))
        if "rescan_interval_s" in self.options:
            self.worker.start_rescans()
        return self

    def case_store(self, **options):
        connections = self.options["concurrency"]
        if self.adapter == "http":
            return HttpJsonCaseStore(reactor, self.fake.base_url, self.fake.token,
                                     connections=connections, **options)
        return LaporXmlCaseStore(reactor, self.fake.base_url, self.fake.token,
                                 connections=connections, **options)

    @inlineCallbacks
    def commit(self, count: int, first: int = 0, channel: str = "sms"):
        """`count` complaints committed and routed, oldest first (one second apart)."""
        complaints = []
        for n in range(first, first + count):
            message = Message(channel, phone(n), f"KabBanyumas Jalan rusak nomor {n}", f"k-{n}",
                              received_at=T0 + timedelta(seconds=n))
            accepted = yield self.journal.accept(message)
            routing = Routing(RoutingStatus.ROUTED, f"Jalan rusak nomor {n}", BANYUMAS)
            yield self.journal.record_routing(accepted.complaint_id, routing)
            complaints.append(Complaint(accepted.complaint_id, message, ComplaintState.PARSED, routing))
        return complaints

    def forward(self, complaints) -> None:
        for complaint in complaints:
            self.worker.enqueue(complaint)

    @inlineCallbacks
    def complaint_rows(self) -> dict:
        """complaint id -> (state, tracking id) as the gateway recorded it."""
        rows = yield self.journal.list_complaints(None, 100_000)
        return {r["id"]: (r["state"], r["tracking_id"]) for r in rows}

    @inlineCallbacks
    def stop(self):
        if self.worker is not None:
            yield self.worker.stop()
        yield self.fake.stop()
        if self.journal is not None:
            yield self.journal.drain()
            self.journal.close()
