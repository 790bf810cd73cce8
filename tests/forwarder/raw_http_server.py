"""A scripted HTTP server on 127.0.0.1 made of plain sockets, for the case-store client's
tests: each connection is served by a thread running the test's `handler(side, index)`,
which reads requests and writes whatever bytes it likes — kept-alive answers, a close
after each, chunked bodies, a byte per TCP segment, garbage, silence, a close mid-body.

What it saw is counted (`requests`, `connections`, `closed_by_client`); a test waits for
it with `when(...)`, fired on the reactor's thread, never by sleeping.
"""
from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from typing import Callable

from twisted.internet.defer import Deferred

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


def answer(body: bytes, *headers: bytes, status: bytes = b"200 OK") -> bytes:
    """A Content-Length answer with `headers` (b"Name: value")."""
    lines = [b"HTTP/1.1 " + status, *headers, b"Content-Length: %d" % len(body)]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


class ServerSide:
    """One accepted connection, as the handler sees it (blocking calls, in its thread)."""

    def __init__(self, server: "RawServer", sock: socket.socket):
        self._server, self.sock = server, sock
        self._buffer = b""

    def read_request(self) -> bytes | None:
        """The next whole request (head and Content-Length body), or None at the client's close."""
        while b"\r\n\r\n" not in self._buffer:
            if not self._receive():
                return None
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(self._buffer) < length:
            if not self._receive():
                return None
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        self._server.saw(lambda s: s.requests.append(head + b"\r\n\r\n" + body))
        return head + b"\r\n\r\n" + body

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_bytewise(self, data: bytes) -> None:
        """One byte per send: with TCP_NODELAY, one TCP segment each."""
        for byte in data:
            self.sock.sendall(bytes([byte]))

    def wait_for_close(self) -> None:
        """Read until the client closes (or resets) the connection, then count it."""
        while self._receive():
            pass
        self._server.saw(lambda s: setattr(s, "closed_by_client", s.closed_by_client + 1))

    def _receive(self) -> bool:
        try:
            data = self.sock.recv(65536)
        except OSError:
            return False
        self._buffer += data
        return bool(data)


class RawServer:
    def __init__(self, reactor, handler: Callable[[ServerSide, int], None], tls: ssl.SSLContext | None = None):
        self._reactor, self._handler, self._tls = reactor, handler, tls
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.requests: list[bytes] = []
        self.connections = 0
        self.closed_by_client = 0
        self.handler_errors: list[BaseException] = []
        self._sockets: list[socket.socket] = []
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._waiters: list[tuple[Callable[[], bool], Deferred]] = []
        self._lock = threading.Lock()
        self._threads[0].start()

    def url(self, scheme: str = "http", host: str = "127.0.0.1") -> str:
        return f"{scheme}://{host}:{self.port}/complaints"

    def when(self, condition: Callable[["RawServer"], bool]) -> Deferred:
        """Fires (on the reactor's thread) once `condition(self)` holds."""
        d: Deferred = Deferred()
        self._waiters.append((condition, d))
        self._check()
        return d

    def saw(self, change: Callable[["RawServer"], None]) -> None:
        """Record something, from a connection's thread, and wake the waiting tests."""
        with self._lock:
            change(self)
        self._reactor.callFromThread(self._check)

    def stop(self) -> None:
        for sock in [self._listener, *self._sockets]:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in accept or recv
            except OSError:
                pass
            sock.close()
        for thread in self._threads:
            thread.join(10)

    def _check(self) -> None:
        waiting, self._waiters = self._waiters, []
        for condition, d in waiting:
            # A callback may add waiters (the test goes on at once): they join the new list.
            d.callback(None) if condition(self) else self._waiters.append((condition, d))

    def _accept(self) -> None:
        index = 0
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sockets.append(sock)
            self.saw(lambda s: setattr(s, "connections", s.connections + 1))
            thread = threading.Thread(target=self._serve, args=(sock, index), daemon=True)
            self._threads.append(thread)
            thread.start()
            index += 1

    def _serve(self, sock: socket.socket, index: int) -> None:
        try:
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_side=True)
            self._handler(ServerSide(self, sock), index)
        except (OSError, ssl.SSLError):
            pass   # the client went away, or refused our certificate: part of some tests
        except BaseException as error:  # noqa: BLE001 - a broken handler must fail its test
            self.saw(lambda s, error=error: s.handler_errors.append(error))
        finally:
            sock.close()


def self_signed_certificate(ip: str = "127.0.0.1") -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) for a server at `ip`, valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake case store")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem
