"""`lapor-gateway run`: the daemon's process life — logging, signals, exit status.

SIGTERM/SIGINT drain gracefully (stop intake, finish commits, close the database) within
`[gateway].drain_timeout_s` and exit 0; SIGHUP reloads the region mapping and the reply
templates. A start-up failure exits non-zero with the reason in the log: 78 for
configuration and schema problems an admin must fix, 75 when another gateway already
runs on the same SQLite database (`state_lock`), 1 for anything else.

Under systemd (Type=notify) it tells the manager what it does: READY=1 once the database is
open and the channels are started, WATCHDOG=1 from the reactor, RELOADING=1 … READY=1
around a reload, STOPPING=1 when the drain begins, and a STATUS= line with bind state
and counts. The ops HTTP server (/healthz, /readyz, /metrics) runs beside the service.
"""
from __future__ import annotations

import gc
import signal
import sys

from twisted.internet.error import CannotListenError

from gateway import logging as gwlog
from gateway.config import ConfigError, Settings
from gateway.http_server import OperationsServer
from gateway.notify import Heartbeat, SystemdNotifier
from gateway.service import GatewayService, load_pseudonym_key
from gateway.state_lock import StateLocked, lock_store
from gateway.throughput import ThroughputLog
from gateway.journal.migrate import SchemaMismatch

log = gwlog.get_logger("gateway.daemon")


def run_daemon(settings: Settings, reactor) -> int:
    """Run the gateway until it is stopped; the exit status. Refuses (75) when another
    gateway holds the SQLite database's lock, before reading or writing any state."""
    # The reactor and the database thread hand work to each other thousands of times a
    # second; with the default 5 ms GIL switch interval each hand-off can wait that long
    # (measured: ~25 % more SMS per second at 0.5 ms).
    sys.setswitchinterval(0.0005)
    gwlog.configure(settings.logging.level, settings.logging.format)
    try:
        # Before anything touches the state: a second gateway must not even read it.
        lock = lock_store(settings.database_url)
    except StateLocked as refused:
        log.error("gateway not started: the database is in use", error=str(refused),
                  holder=refused.holder, lock=str(refused.path), exit_status=refused.exit_status)
        return refused.exit_status
    try:
        return _run_locked(settings, reactor)
    finally:
        if lock is not None:
            lock.release()


def _run_locked(settings: Settings, reactor) -> int:
    """The daemon's life once this process owns its state."""
    gwlog.set_pseudonym_key(load_pseudonym_key(settings))
    service = GatewayService(settings, reactor)
    status = {"code": 0}
    notifier = SystemdNotifier()
    heartbeat = Heartbeat(notifier, reactor, lambda: status_line(service))
    ops = ops_server(settings, service, reactor, heartbeat)
    throughput = ThroughputLog(reactor, lambda: throughput_counts(service),
                               settings.logging.throughput_interval_s, levels=("backlog",))

    def start():
        heartbeat.start()  # watchdog pings from the reactor, from the first moment on
        if ops is not None:
            try:
                ops.start()
            except CannotListenError as error:
                # Intake matters more than metrics: run on, but loudly.
                log.error("http server could not listen; running without it", error=str(error))
        d = service.start()
        d.addCallback(lambda _: notifier.ready(status_line(service)))
        d.addCallback(lambda _: throughput.start())
        d.addCallback(lambda _: _settle_heap())
        d.addErrback(start_failed)

    def start_failed(failure):
        code = 78 if failure.check(ConfigError, SchemaMismatch) else 1
        status["code"] = code
        notifier.status(f"start failed: {failure.getErrorMessage()}")
        log.error("gateway could not start", error=failure.getErrorMessage(),
                  kind=failure.type.__name__, exit_status=code)
        reactor.stop()

    def drain():
        notifier.stopping("draining: intake stopped, finishing commits")
        throughput.stop()
        d = service.stop()
        d.addTimeout(settings.gateway.drain_timeout_s, reactor)
        d.addErrback(lambda f: log.error("drain did not finish", error=f.getErrorMessage()))
        d.addBoth(lambda _: ops.stop() if ops is not None else None)
        return d

    def reload():
        if service.pipeline is None or service.stopping:
            service.reload()  # not READY (yet, or any more): nothing to tell systemd
            return
        notifier.reloading()
        reloaded = service.reload()
        # A refused mapping is in the status line itself; other refusals (config) only here.
        refused = not reloaded and not service.mapping_reload_refused
        notifier.ready(status_line(service) + ("; last reload refused (see log)" if refused else ""))

    reactor.callWhenRunning(start)
    reactor.addSystemEventTrigger("before", "shutdown", drain)
    signal.signal(signal.SIGHUP, lambda *_: reactor.callFromThread(reload))
    log.info("gateway starting", config=settings.source)
    for notice in settings.deprecated:
        log.warning("old config spelling", notice=notice)
    reactor.run()
    return status["code"]


def _settle_heap() -> None:
    """Move what start built (modules, the mapping, SQLAlchemy's caches) out of the
    garbage collector's sight: a full collection then walks only what the traffic makes,
    and stays short enough not to hold up acknowledgements."""
    gc.collect()
    gc.freeze()
    # Young collections every 20,000 allocations rather than 700: a burst allocates a
    # few objects per message, nearly all short-lived and freed by reference counting.
    gc.set_threshold(20_000, 20, 20)


def ops_server(settings: Settings, service: GatewayService, reactor,
               heartbeat: Heartbeat | None = None) -> OperationsServer | None:
    """The ops HTTP server as configured, serving what each channel mounts (a webhook) and
    the heartbeat's watchdog figures."""
    if not settings.http.enabled:
        return None
    ops = OperationsServer(service, reactor, settings.http.listen, settings.http.port, heartbeat)
    for channel in service.channels.values():
        for path, resource in channel.http_resources().items():
            ops.mount(path, resource)
    return ops


def throughput_counts(service: GatewayService) -> dict:
    """The running totals the throughput line shows as rates (and the backlog as it is)."""
    if service.pipeline is None:
        return {}
    return {"accepted": service.pipeline.accepted, "duplicates": service.pipeline.duplicates,
            "forwarded": service.forwarder.forwarded, "replies_sent": service.outbox.sent,
            "backlog": service.forwarder.backlog}


def status_line(service: GatewayService) -> str:
    """One line for `systemctl status`: each channel's state, the counts so far, and a refused
    mapping reload until a later reload succeeds."""
    parts = []
    for name, channel in sorted(service.channels.items()):
        parts.append(f"{name} {channel.status()}")
    if service.pipeline is not None:
        # "2000+": beyond what the forwarder holds in memory, more wait in the journal
        more = "+" if service.forwarder.backlog_beyond_memory else ""
        parts.append(f"accepted {service.pipeline.accepted}, duplicates {service.pipeline.duplicates},"
                     f" forwarded {service.forwarder.forwarded}, backlog {service.forwarder.backlog}{more}")
    else:
        parts.append("starting")
    if service.forwarder is not None and service.forwarder.health.refusal is not None:
        parts.append(f"case store refuses us ({service.forwarder.health.refusal}): forwarding paused")
    elif service.forwarder is not None and service.forwarder.health.state.value != "up":
        parts.append("case store down: forwarding paused")
    if service.mapping_reload_refused:
        parts.append("mapping reload refused (see log)")
    lease = getattr(service.journal, "lease", None)
    if lease is not None and service.pollers:   # which channels this instance polls
        polled = [job.name.removeprefix("poller:") for job in service.pollers if job.held]
        parts.append(f"polls {', '.join(polled) or 'none'}")
    if lease is not None:   # one of several instances on one PostgreSQL: which one
        parts.append(f"instance {lease.owner}")
    return "; ".join(parts)
