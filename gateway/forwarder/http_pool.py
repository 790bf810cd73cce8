"""A bounded pool of persistent HTTP/1.1 connections to one origin: `ConnectionPool`.

At most `size` connections (the forwarder's concurrency) are open or opening at once; a
request takes the connection used last (LIFO keeps few connections warm when load is
light), opens a new one while under the bound, or waits its turn in order. A connection
the server keeps alive goes back to the pool after its answer; one it closes, or
answers with `Connection: close`, is dropped.

A server may close an idle connection at any time (its keep-alive timeout, a restart).
The reactor usually sees that first and the connection leaves the pool; but the close
can also sit unread in the socket when a request comes for that very connection. So
before a request is written on a pooled connection, the socket is looked at (a
non-blocking peek): found closed, the connection is dropped and the request goes once
on a fresh connection. Nothing of it was sent on the closed one, so nothing can have
been processed: this is not a repeat. A connection that closes *after* the request went
out, before any answer, is a failure of that request (the caller's TemporaryFailure):
the server may have read it and acted, so it is never silently sent again here — the
worker's own retry, with the Idempotency-Key, decides.

http:// or https://; TLS comes from Twisted's `optionsForClientTLS`: the certificate is
checked against the platform's trust roots (or `tls_trust`) and the host name.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

from twisted.internet.defer import Deferred, fail, gatherResults
from twisted.internet.endpoints import HostnameEndpoint, wrapClientTLS
from twisted.internet.ssl import optionsForClientTLS

from gateway.forwarder.http_connection import ConnectionFactory, ConnectionLost, HTTPConnection
from gateway.forwarder.http_response import Answer

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Origin:
    """Where requests go: scheme, host, port; `target` is the request's path and query."""

    scheme: str
    host: str
    port: int
    target: str

    @classmethod
    def of(cls, url: str) -> "Origin":
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"not an http:// or https:// URL: {url!r}")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.hostname.encode("idna").decode("ascii")
        return cls(parts.scheme, host, parts.port or _DEFAULT_PORTS[parts.scheme], target)

    @property
    def authority(self) -> str:
        """The Host header's value: the port only when it is not the scheme's default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


class ConnectionPool:
    def __init__(self, reactor, origin: Origin, *, size: int, connect_timeout_s: float, max_body: int,
                 tls_trust=None):
        """`tls_trust`: the certificate authorities to trust for https (Twisted's
        `trustRoot`); None means the platform's."""
        endpoint = HostnameEndpoint(reactor, origin.host, origin.port, timeout=connect_timeout_s)
        if origin.scheme == "https":
            endpoint = wrapClientTLS(optionsForClientTLS(origin.host, trustRoot=tls_trust), endpoint)
        self._endpoint = endpoint
        self._factory = ConnectionFactory(self, max_body)
        self._size = size
        self._counted = 0                           # connections opening, busy or idle
        self._members: set[HTTPConnection] = set()  # the connected ones among them
        self._idle: list[HTTPConnection] = []
        self._waiters: deque[Deferred] = deque()
        self._closing = False
        #: pooled connections found closed by the server when a request came for them
        self.stale = 0

    def request(self, data: bytes) -> Deferred[Answer]:
        """Send `data` (a whole request) on a pooled or new connection; its answer."""
        if self._closing:
            return fail(ConnectionLost("the client is closed"))
        if self._idle:
            connection = self._idle.pop()
            if not connection.peer_closed():
                return connection.send(data)
            # Closed by the server before anything was written on it: a fresh connection
            # takes the request (see the module docstring for why that is safe).
            self.stale += 1
            self._forget(connection)
            connection.transport.abortConnection()
        if self._counted < self._size:
            return self._connect().addCallback(HTTPConnection.send, data)
        waiter: Deferred[None] = Deferred(self._waiters.remove)
        self._waiters.append(waiter)
        return waiter.addCallback(lambda _: self.request(data))

    def close(self) -> Deferred[None]:
        """Close every connection; later requests fail. Fires once all are closed."""
        self._closing = True
        self._idle.clear()
        waiters, self._waiters = self._waiters, deque()
        for waiter in waiters:
            waiter.errback(ConnectionLost("the client is closed"))
        closed = gatherResults([connection.close() for connection in list(self._members)])
        return closed.addCallback(lambda _: None)

    # -- what connections tell the pool ----------------------------------------------------
    def idle(self, connection: HTTPConnection) -> None:
        """`connection` answered and stays open: the next request may use it."""
        if self._closing:
            connection.close()
            return
        self._idle.append(connection)
        self._wake()

    def lost(self, connection: HTTPConnection) -> None:
        """`connection` closed, for whatever reason."""
        if connection in self._idle:
            self._idle.remove(connection)
        if connection in self._members:
            self._forget(connection)
            self._wake()

    # -- inside ------------------------------------------------------------------------------
    def _connect(self) -> Deferred[HTTPConnection]:
        """A new connection. Once cancelled (the worker's timeout) the outcome is
        CancelledError whatever the endpoint says then: HostnameEndpoint reports a cancel
        during name resolution as a DNSLookupError, which would read as the case store's
        failure rather than our timeout."""
        self._counted += 1
        connecting = self._endpoint.connect(self._factory).addCallbacks(self._connected, self._not_connected)
        cancelled = []

        def cancel(_: Deferred) -> None:
            cancelled.append(True)
            connecting.cancel()

        outcome: Deferred[HTTPConnection] = Deferred(cancel)

        def settle(result):
            if not cancelled:
                outcome.callback(result)   # a Failure takes the errback path
            elif isinstance(result, HTTPConnection):
                self.idle(result)          # connected after all: unused, so the next request's
            # else: dropped; Deferred.cancel fails `outcome` with CancelledError itself

        connecting.addBoth(settle)
        return outcome

    def _connected(self, connection: HTTPConnection) -> HTTPConnection:
        self._members.add(connection)
        return connection

    def _not_connected(self, failure):
        self._counted -= 1
        self._wake()
        return failure

    def _forget(self, connection: HTTPConnection) -> None:
        self._members.discard(connection)
        self._counted -= 1

    def _wake(self) -> None:
        """A connection is idle or a place is free: the longest waiting request goes."""
        if self._waiters:
            self._waiters.popleft().callback(None)

