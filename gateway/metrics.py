"""What `/metrics` shows, in Prometheus form: counts, queue depths, latencies, SMPP state.

Most figures are counters the objects keep anyway (the pipeline's `accepted`, a
session's `reconnects`, the receipt desk's `unmatched`, a protocol's window); a custom
collector reads them at scrape time, so the hot path pays nothing for metrics. What no
object keeps — latencies, per-channel intake, receipt outcomes — is observed by a few
one-line hooks into the instruments below. Queue depths per state and the age of the
oldest pending complaint come from the database, read once per scrape (`snapshot`). The
process's own figures (`process_*`: memory, CPU, open files), the version running
(`lapor_build_info`) and how close the watchdog pings come to systemd's limit complete
the picture an alert needs.

Every state a series is labelled with is shown for every value, 0 included: an alert on
dead complaints or failed replies must see a 0, not an absent series.

Labels are channel, bind, role, state and outcome names only: never a phone number,
handle or chat id.
"""
from __future__ import annotations

from importlib import metadata

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from twisted.internet import defer

from gateway.instruments import (ACK_SECONDS, FORWARD_SECONDS, MESSAGES_IN, RECEIPTS, observe_ack,
                                 observe_forward, observe_receipt)
from gateway.forwarder.backlog import HOLD_LIMIT
from gateway.model import ComplaintState, ReplyState, RoutingStatus, utcnow

#: "store" meant our database; the case store is theirs (lapor_case_store_up). The old
#: name stays one release beside the new one.
DEPRECATED_DATABASE_UP = "lapor_store_up"

#: the label values each database count is shown for, 0 included
ALL_VALUES = {"complaints": [s.value for s in ComplaintState],
              "routing": [s.value for s in RoutingStatus],
              "replies": [s.value for s in ReplyState]}


def version() -> str:
    """The installed package's version, or "unknown" when run from a bare checkout."""
    try:
        return metadata.version("lapor-gateway")
    except metadata.PackageNotFoundError:
        return "unknown"


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
        self._version = version()   # read once: the package metadata is files on disk

    def collect(self):
        info = GaugeMetricFamily("lapor_build_info", "Always 1; `version` is the gateway's version.",
                                 labels=["version"])
        info.add_metric([self._version], 1)
        yield info
        yield from self._instance()
        yield from self._database()
        yield _counter("lapor_mapping_reload_failures", "Reloads (SIGHUP) whose region mapping was"
                       " refused since start; the old mapping stays in force (see the log).",
                       self._service.mapping_reload_failures)
        yield from self._pipeline()
        yield from self._channels()

    def _instance(self):
        """Which instance this is among several on one PostgreSQL, and the work it holds
        claimed (see journal/leases.py); `single` without claims (SQLite)."""
        s = self._service
        lease = getattr(getattr(s, "journal", None), "lease", None)
        info = GaugeMetricFamily("lapor_instance_info", "Always 1; `instance_id` names this instance"
                                 " among several on one PostgreSQL (`single`: no claims).",
                                 labels=["instance_id"])
        info.add_metric([lease.owner if lease else "single"], 1)
        yield info
        leader = GaugeMetricFamily("lapor_leader", "1 while this instance runs the single-instance"
                                   " job (poller:x, poller:telegram: one instance polls each among"
                                   " several on one PostgreSQL), else 0.", labels=["job"])
        for job in getattr(s, "pollers", ()):
            leader.add_metric([job.name], 1 if job.held else 0)
        yield leader
        if getattr(s, "pipeline", None) is None:
            return
        held = GaugeMetricFamily("lapor_claims_held", "Work this instance holds in memory, claimed for"
                                 " it on PostgreSQL: complaints to forward, replies to send.",
                                 labels=["work"])
        held.add_metric(["complaints"], s.forwarder.backlog)
        held.add_metric(["replies"], s.outbox.held)
        yield held

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
            for value, n in sorted(({v: 0 for v in ALL_VALUES[key]} | counts[key]).items()):
                family.add_metric([value], n)
            yield family
        oldest = counts["oldest_pending"]
        yield _gauge("lapor_oldest_pending_complaint_age_seconds", "Seconds the oldest complaint"
                     " the case store has not taken yet (received or parsed) has waited; 0 when"
                     " none waits.", max(0.0, (utcnow() - oldest).total_seconds()) if oldest else 0)

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
                     f"flight; at most {HOLD_LIMIT}, the rest wait in the database: see lapor_complaints).",
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


class WatchdogCollector:
    """The heartbeat's pings against systemd's watchdog (`gateway.notify.Heartbeat`)."""

    def __init__(self, heartbeat):
        self._heartbeat = heartbeat

    def collect(self):
        figures = self._heartbeat.watchdog()
        yield _gauge("lapor_watchdog_interval_seconds", "systemd's WatchdogSec: without a ping for"
                     " this long the service is killed and restarted; 0 without a watchdog.",
                     figures.interval_s)
        yield _gauge("lapor_watchdog_last_ping_age_seconds", "Seconds since the last watchdog ping"
                     " systemd took; 0 without a watchdog.", round(figures.last_ping_age_s, 3))
        yield _gauge("lapor_watchdog_longest_ping_gap_seconds", "The longest time between two"
                     " watchdog pings in the last 10 minutes (normally half the interval; near the"
                     " interval, the event loop stalled and nearly got killed).",
                     round(figures.longest_gap_s, 3))


def build_registry(service, heartbeat=None) -> tuple[CollectorRegistry, GatewayCollector]:
    """A registry holding this service's collector, the process-wide instruments, the
    process's own figures and, given the daemon's heartbeat, the watchdog's."""
    registry = CollectorRegistry(auto_describe=False)
    collector = GatewayCollector(service)
    registry.register(collector)
    for instrument in (FORWARD_SECONDS, ACK_SECONDS, MESSAGES_IN, RECEIPTS):
        registry.register(instrument)
    # A registry of our own does not get the default one's process collector: add it.
    ProcessCollector(registry=registry)
    if heartbeat is not None:
        registry.register(WatchdogCollector(heartbeat))
    return registry, collector


__all__ = ["build_registry", "snapshot", "CountedIntake", "observe_forward", "observe_receipt",
           "observe_ack"]
