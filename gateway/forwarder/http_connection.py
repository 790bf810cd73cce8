"""One persistent HTTP/1.1 connection to the case store: `HTTPConnection`.

A request at a time (no pipelining): `send` writes the request's bytes, already
complete, in one write, and returns a Deferred of the `Answer`, parsed as the bytes
arrive by `ResponseParser`. After the answer the connection goes back to its pool if the
server keeps it alive, else it is closed. Cancelling the Deferred (the worker's timeout)
aborts the connection: an answer that may still come must never be read as the answer
to the next request.

Why not twisted.web's HTTP11ClientProtocol: per request it builds a Request, a
Response, a body producer and consumer, a state machine of Deferreds and a
LineReceiver-based parser — together with Agent about 0.17 ms of CPU a complaint, and a
quarter of the reactor's time at full SMS load (docs/forwarding.md has the figures).
This does only what a POST to the case store needs.
"""
from __future__ import annotations

import socket

from twisted.internet.defer import Deferred, succeed
from twisted.internet.protocol import Factory, Protocol

from gateway.forwarder.http_response import Answer, ResponseError, ResponseParser
from gateway.forwarder.socket_peek import readable


class ConnectionLost(ResponseError):
    """The connection ended before the answer was complete, or the client is closed;
    `cause`: why, when the transport said (a TLS handshake that failed, say)."""

    def __init__(self, message: str, cause: BaseException | None = None):
        super().__init__(message)
        self.cause = cause


class HTTPConnection(Protocol):
    """A connection of `pool` (which it tells when it is idle again or gone)."""

    def __init__(self, pool, max_body: int):
        self._pool = pool
        self._max_body = max_body
        self._parser: ResponseParser | None = None
        self._answer: Deferred[Answer] | None = None
        self._gone: list[Deferred[None]] = []
        self._socket: socket.socket | None = None

    def send(self, request: bytes) -> Deferred[Answer]:
        """Write `request` (head and body) and return the answer to come."""
        self._parser = ResponseParser(self._max_body)
        self._answer = answer = Deferred(self._cancelled)
        self.transport.write(request)
        return answer

    def peer_closed(self) -> bool:
        """Whether the server has closed this idle connection (or sent it bytes nobody
        asked for) in a way the reactor has not processed yet: whether its socket is
        readable, which an idle connection's never is."""
        return self._socket is not None and readable(self._socket)

    def close(self) -> Deferred[None]:
        """Close (gracefully: what is being written still goes); fires once closed."""
        if not self.connected:
            return succeed(None)
        gone: Deferred[None] = Deferred()
        self._gone.append(gone)
        self.transport.loseConnection()
        return gone

    # -- Protocol ----------------------------------------------------------------------
    def connectionMade(self) -> None:
        self._socket = _socket_of(self.transport)

    def dataReceived(self, data: bytes) -> None:
        parser = self._parser
        if parser is None:  # bytes while idle: the connection no longer speaks our HTTP
            self.transport.abortConnection()
            return
        try:
            answer = parser.feed(data)
        except ResponseError as error:
            self._fail(error)
            return
        if answer is not None:
            self._parser = None
            waiting, self._answer = self._answer, None
            # Back to the pool first, so that the answer's callbacks can reuse it at once.
            if parser.keep_alive:
                self._pool.idle(self)
            else:
                self.transport.loseConnection()
            waiting.callback(answer)

    def connectionLost(self, reason=None) -> None:
        self.connected = False
        parser, waiting = self._parser, self._answer
        self._parser = self._answer = None
        self._pool.lost(self)
        if waiting is not None:
            try:
                answer = parser.closed()
            except ResponseError as error:
                cause = reason.value if reason is not None else None
                detail = f"{error} ({type(cause).__name__}: {cause})" if cause else str(error)
                waiting.errback(ConnectionLost(detail, cause))
            else:
                waiting.callback(answer)
        gone, self._gone = self._gone, []
        for d in gone:
            d.callback(None)

    # -- failures ------------------------------------------------------------------------
    def _fail(self, error: Exception) -> None:
        """An answer we cannot read: fail the request and never reuse the connection."""
        waiting, self._answer, self._parser = self._answer, None, None
        self.transport.abortConnection()
        waiting.errback(error)

    def _cancelled(self, _: Deferred) -> None:
        # The answer may still arrive: only a new connection is safe for the next request.
        self._answer = self._parser = None
        self.transport.abortConnection()


class ConnectionFactory(Factory):
    """Builds the pool's connections (quietly: no "Starting factory" line per connect)."""

    noisy = False

    def __init__(self, pool, max_body: int):
        self._pool = pool
        self._max_body = max_body

    def buildProtocol(self, addr) -> HTTPConnection:
        return HTTPConnection(self._pool, self._max_body)


def _socket_of(transport) -> socket.socket | None:
    """The TCP socket under `transport` (under the TLS layer too)."""
    while transport is not None:
        handle = transport.getHandle() if hasattr(transport, "getHandle") else None
        if isinstance(handle, socket.socket):
            return handle
        transport = getattr(transport, "transport", None)
    return None
