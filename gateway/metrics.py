"""What `/metrics` shows, in Prometheus form: counts, queue depths, latencies, SMPP state.

Most figures are counters the objects keep anyway (the pipeline's `accepted`, a
session's `reconnects`, the receipt desk's `unmatched`, a protocol's window); a custom
collector reads them at scrape time, so the hot path pays nothing for metrics. What no
object keeps — latencies, per-channel intake, receipt outcomes — is observed by a few
one-line hooks into the instruments below. Queue depths per state come from the database,
read once per scrape (`snapshot`).

Labels are channel, bind, role, state and outcome names only: never a phone number,
handle or chat id.
"""
from __future__ import annotations

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from twisted.internet import defer

from gateway.instruments import (ACK_SECONDS, FORWARD_SECONDS, MESSAGES_IN, RECEIPTS, observe_ack,
                                 observe_forward, observe_receipt)
from gateway.model import ReplyState

#: "store" meant our database; the case store is theirs (lapor_case_store_up). The old
#: name stays one release beside the new one.
DEPRECATED_DATABASE_UP = "lapor_store_up"

class CountedIntake:
    """The pipeline as the channels see it, counting each committed message per channel."""

    def __init__(self, intake):
        self._intake = intake

    def accept(self, message):
        d = self._intake.accept(message)
        d.addCallback(self._count, message.channel)
        return d

    @staticmethod
    def _count(result, channel: str):
        MESSAGES_IN.labels(channel, "duplicate" if result.duplicate else "accepted").inc()
        return result

    def __getattr__(self, name):
        return getattr(self._intake, name)


def snapshot(journal, reactor, timeout_s: float = 5.0) -> defer.Deferred:
    """The database's counts for one scrape; None when the database does not answer in time."""
    d = journal.queue_depths()
    d.addTimeout(timeout_s, reactor)
    return d.addErrback(lambda _: None)


class GatewayCollector:
    """Reads the service's own counters at scrape time."""

    def __init__(self, service):
        self._service = service
        self.store_counts: dict | None = None   # set by the /metrics resource before each scrape

    def collect(self):
        yield from self._database()
        yield _counter("lapor_mapping_reload_failures", "Reloads (SIGHUP) whose region mapping was"
                       " refused since start; the old mapping stays in force (see the log).",
                       self._service.mapping_reload_failures)
        yield from self._pipeline()
        yield from self._channels()

    def _database(self):
        counts = self.store_counts
        for name, text in (("lapor_database_up", "1 when our database answered this scrape's counts."),
                           (DEPRECATED_DATABASE_UP, "Old name of lapor_database_up, kept for one"
                            " release so dashboards and alerts can move (docs/operations.md).")):
            up = GaugeMetricFamily(name, text)
            up.add_metric([], 1 if counts is not None else 0)
            yield up
        if counts is None:
            return
        for key, name, label, text in (
                ("complaints", "lapor_complaints", "state", "Complaints in each state (queue depths)."),
                ("routing", "lapor_complaints_by_routing", "routing",
                 "Complaints per routing status (routed, ambiguous, unrouted; None: not parsed yet)."),
                ("replies", "lapor_replies", "state", "Replies in each state.")):
            family = GaugeMetricFamily(name, text, labels=[label])
            # Every reply state, 0 included: an alert on uncertain or failed replies must
            # see 0, not an absent series.
            present = ({s.value: 0 for s in ReplyState} if key == "replies" else {}) | counts[key]
            for value, n in sorted(present.items()):
                family.add_metric([value], n)
            yield family

    def _pipeline(self):
        s = self._service
        if s.pipeline is None:
            return
        yield _counter("lapor_pipeline_accepted", "New messages accepted since start.", s.pipeline.accepted)
        yield _counter("lapor_pipeline_duplicates", "Redelivered messages recognised since start.",
                       s.pipeline.duplicates)
        fwd = s.forwarder
        yield _counter("lapor_forwarded", "Complaints the case store took since start.", fwd.forwarded)
        yield _counter("lapor_forward_dead", "Complaints the case store refused (dead letters).", fwd.dead)
        yield _gauge("lapor_forward_backlog", "Complaints the forwarder holds in memory (waiting or in "
                     "flight; at most 2000, the rest wait in the database: see lapor_complaints).",
                     fwd.backlog)
        up = GaugeMetricFamily("lapor_case_store_up", "1 while the case store counts as up; `reason`"
                               " says why not: down (failures), paused (its Retry-After), or it refuses"
                               " the gateway itself (unauthorized, forbidden, tls, dns).", labels=["reason"])
        reason = fwd.health.reason(s.reactor.seconds())
        up.add_metric([reason], 1 if reason == "up" else 0)
        yield up
        yield _counter("lapor_replies_sent", "Replies handed to their channel since start.", s.outbox.sent)
        yield _counter("lapor_replies_in_doubt", "Sends that may or may not have gone out (a"
                       " dropped link, no answer) since start; each is settled by its channel.",
                       s.outbox.uncertain)
        yield _counter("lapor_replies_given_up", "Replies failed for good since start (refused, or"
                       " out of attempts); `replies resend` sends them again.", s.outbox.given_up)
        yield self._paused(s)

    @staticmethod
    def _paused(service):
        family = GaugeMetricFamily("lapor_replies_paused_seconds", "Seconds until each channel may"
                                   " send again after a server's hint (429, retry_after, SMPP"
                                   " throttling); 0 when not paused.", labels=["channel"])
        for name in sorted(service.channels):
            family.add_metric([name], round(service.outbox.pauses.remaining(name), 1))
        return family

    def _channels(self):
        family = GaugeMetricFamily("lapor_channel_up", "1 while a channel can receive.",
                                   labels=["channel", "required"])
        for name, channel in sorted(self._service.channels.items()):
            family.add_metric([name, str(channel.required).lower()], 1 if channel.is_up() else 0)
        yield family
        for name, channel in sorted(self._service.channels.items()):
            yield from channel.metrics()


def _counter(name: str, text: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, text, value=value)


def _gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, text, value=value)


def build_registry(service) -> tuple[CollectorRegistry, GatewayCollector]:
    """A registry holding this service's collector and the process-wide instruments."""
    registry = CollectorRegistry(auto_describe=False)
    collector = GatewayCollector(service)
    registry.register(collector)
    for instrument in (FORWARD_SECONDS, ACK_SECONDS, MESSAGES_IN, RECEIPTS):
        registry.register(instrument)
    return registry, collector


__all__ = ["build_registry", "snapshot", "CountedIntake", "observe_forward", "observe_receipt",
           "observe_ack"]
