"""One bind's life: connect, bind, stay bound, reconnect with backoff, unbind on stop.

A bind that fails — connection refused, bind refused, the SMSC dropping us, a dead
link — is retried after an exponential, jittered, capped wait (about a minute at most),
so an SMSC outage never turns into a hot reconnect loop. The wait resets once a bind
succeeds.
"""
from __future__ import annotations

from typing import Callable

from twisted.internet import defer, endpoints, ssl
from twisted.internet.protocol import Factory

from gateway.backoff import backoff_delay
from gateway.channels.smpp.esme import EsmeProtocol
from gateway.channels.smpp.settings import SmppBindSettings
from gateway.logging import get_logger

log = get_logger(__name__)


class SmppSession:
    """Keeps one connection (`role`: transceiver, receiver or transmitter) bound."""

    def __init__(self, settings: SmppBindSettings, role: str, password: str, reactor,
                 on_deliver: Callable, rng=None):
        self.settings = settings
        self.role = role
        self._password = password
        self._reactor = reactor
        self._on_deliver = on_deliver
        self._rng = rng
        self.protocol: EsmeProtocol | None = None
        self._attempt = 0
        self._retry = None
        self._stopping = False
        self.reconnects = 0
        self.last_error: str | None = None
        #: called with ("bound" | "failed" | "lost", session): for metrics, readiness, tests
        self.observers: list[Callable[[str, "SmppSession"], None]] = []

    def _tell(self, event: str) -> None:
        for observer in list(self.observers):
            observer(event, self)

    def next_event(self, wanted: str) -> defer.Deferred:
        """Fires the next time this session reports `wanted`."""
        d: defer.Deferred = defer.Deferred()

        def observe(event, _session):
            if event == wanted and not d.called:
                self.observers.remove(observe)
                d.callback(self)
        self.observers.append(observe)
        return d

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def bound(self) -> bool:
        return self.protocol is not None and self.protocol.bound

    @property
    def can_transmit(self) -> bool:
        return self.role in ("transceiver", "transmitter")

    def start(self) -> None:
        self._stopping = False
        self._connect()

    def _endpoint(self):
        s = self.settings
        if s.tls:
            options = (ssl.optionsForClientTLS(s.host) if s.tls_verify
                       else ssl.CertificateOptions(verify=False))
            return endpoints.SSL4ClientEndpoint(self._reactor, s.host, s.port, options, timeout=10)
        return endpoints.TCP4ClientEndpoint(self._reactor, s.host, s.port, timeout=10)

    def _new_protocol(self) -> EsmeProtocol:
        s = self.settings
        return EsmeProtocol(s.name, self.role, self._on_deliver, self._lost, clock=self._reactor,
                            window=s.window, response_timeout=s.response_timeout_s,
                            enquire_link_interval=s.enquire_link_s, inactivity_timeout=s.inactivity_s)

    def _connect(self) -> None:
        self._retry = None
        if self._stopping:
            return
        protocol = self._new_protocol()
        factory = Factory.forProtocol(lambda: protocol)
        factory.noisy = False   # else Twisted logs "Starting/Stopping factory" at info every reconnect
        d = self._endpoint().connect(factory)
        d.addCallback(self._bind)
        d.addCallbacks(self._bound, self._failed)

    def _bind(self, protocol: EsmeProtocol):
        self.protocol = protocol
        s = self.settings
        return protocol.bind(s.system_id, self._password, s.system_type, s.address_range,
                             s.interface_version)

    def _bound(self, protocol: EsmeProtocol) -> None:
        self._attempt = 0
        self.last_error = None
        log.info("SMPP bound", bind=self.name, role=self.role, host=self.settings.host,
                 port=self.settings.port)
        self._tell("bound")
        if self._stopping:
            protocol.unbind(self.settings.response_timeout_s)

    def _failed(self, failure) -> None:
        self.last_error = failure.getErrorMessage()
        log.warning("SMPP bind failed", bind=self.name, role=self.role, error=self.last_error)
        self._tell("failed")
        if self.protocol is not None and self.protocol.transport is not None:
            self.protocol.transport.loseConnection()  # _lost schedules the retry
        else:
            self._schedule_retry()

    def _lost(self, protocol: EsmeProtocol) -> None:
        if protocol is self.protocol:
            self.protocol = None
        if not self._stopping:
            log.warning("SMPP connection lost", bind=self.name, role=self.role)
            self._schedule_retry()
        self._tell("lost")

    def _schedule_retry(self) -> None:
        if self._stopping or self._retry is not None:
            return
        self._attempt += 1
        self.reconnects += 1
        s = self.settings
        args = (self._attempt, s.reconnect_initial_s, s.reconnect_max_s)
        delay = backoff_delay(*args, rng=self._rng) if self._rng else backoff_delay(*args)
        log.info("SMPP reconnect scheduled", bind=self.name, role=self.role, in_s=round(delay, 2),
                 attempt=self._attempt)
        self._retry = self._reactor.callLater(delay, self._connect)

    def stop(self) -> defer.Deferred:
        """Answer in-flight deliver_sm, unbind, close; no reconnect afterwards."""
        self._stopping = True
        if self._retry is not None and self._retry.active():
            self._retry.cancel()
        self._retry = None
        protocol = self.protocol
        if protocol is None or protocol.transport is None:
            return defer.succeed(None)
        protocol.unbind(self.settings.response_timeout_s)
        return protocol.closed
