"""The case-store client's connections, against real sockets on 127.0.0.1: kept alive
and reused, closed when the server says or does so, a stale pooled connection replaced
before anything is written on it, and never a request sent twice by the client itself."""
import select
import threading

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import CancelledError, TimeoutError as DeferredTimeout, gatherResults
from twisted.internet.task import Clock

from gateway.forwarder.base import TemporaryFailure
from gateway.forwarder.http_client import CaseStoreClient
from tests.forwarder.raw_http_server import OK, RawServer, answer


def client_for(server: RawServer, connections: int = 4) -> CaseStoreClient:
    return CaseStoreClient(reactor, server.url(), connections=connections, connect_timeout_s=5.0,
                           user_agent="test")


@pytest_twisted.async_yield_fixture
async def serve():
    """`serve(handler, connections=4)`: (a scripted server, a client of it), both closed
    after the test."""
    opened = []

    def start(handler, connections: int = 4):
        server = RawServer(reactor, handler)
        opened.append((server, client_for(server, connections)))
        return opened[-1]
    yield start
    for server, client in opened:
        await client.close()
        server.stop()


def keep_alive(side, index):
    while side.read_request() is not None:
        side.send(OK)


def never_answer(side, index):
    side.read_request()
    side.wait_for_close()


def wait_until_readable(client: CaseStoreClient) -> None:
    """Block — on purpose, so that the reactor cannot see it first — until the server's
    close (or stray bytes) has reached the socket of the one idle pooled connection."""
    (connection,) = client._pool._idle
    assert select.select([connection.transport.getHandle()], [], [], 10)[0], "the server never closed"


@pytest_twisted.inlineCallbacks
def test_requests_in_a_row_share_one_kept_alive_connection(serve):
    server, client = serve(keep_alive)
    for n in range(5):
        got = yield client.post(b'{"n": %d}' % n, {b"idempotency-key": b"k-%d" % n})
        assert (got.code, got.body, got.headers[b"content-type"]) == (200, b"{}", b"application/json")
    assert server.connections == 1 and len(server.requests) == 5
    first = server.requests[0]
    assert first.startswith(b"POST /complaints HTTP/1.1\r\nhost: 127.0.0.1:%d\r\n" % server.port)
    assert b"\r\nidempotency-key: k-0\r\ncontent-length: 8\r\n\r\n{\"n\": 0}" in first


@pytest.mark.parametrize("parting", [b"", b"HTTP/1.1 200 OK\r\n"])
@pytest_twisted.inlineCallbacks
def test_a_pooled_connection_the_server_left_is_replaced_before_the_request_is_written(serve, parting):
    # Once the client has its answer, the server hangs up without having said so (or sends
    # stray bytes first); that reaches our socket while the reactor is still busy with the
    # answer, so the connection is still in the pool when the next request comes.
    answered = threading.Semaphore(0)

    def handler(side, index):
        side.read_request()
        side.send(OK)
        answered.acquire(timeout=10)
        side.send(parting)
    server, client = serve(handler)
    for _ in range(3):
        assert (yield client.post(b"{}")).code == 200
        answered.release()
        wait_until_readable(client)
    # Each request went once, each on its own connection; the stale ones carried nothing.
    assert client.stale_connections == 2 and server.connections == 3
    assert len(server.requests) == 3


@pytest_twisted.inlineCallbacks
def test_connection_close_is_honoured_by_the_client(serve):
    def handler(side, index):
        side.read_request()
        side.send(answer(b"{}", b"Connection: close"))
        side.wait_for_close()   # the server keeps it open: the client must hang up
    server, client = serve(handler)
    assert (yield client.post(b"{}")).code == 200
    yield server.when(lambda s: s.closed_by_client == 1)
    assert (yield client.post(b"{}")).code == 200
    assert server.connections == 2 and client.stale_connections == 0


@pytest.mark.parametrize("answered_before", [0, 1])
@pytest_twisted.inlineCallbacks
def test_a_close_after_the_request_was_read_is_a_temporary_failure_not_a_silent_repeat(
        serve, answered_before):
    # On a fresh connection, and on a kept-alive one that already answered: the server read
    # the request and hung up without a byte of answer. It may have acted on it.
    def handler(side, index):
        for _ in range(answered_before):
            side.read_request()
            side.send(OK)
        side.read_request()
    server, client = serve(handler)
    for _ in range(answered_before):
        assert (yield client.post(b"{}")).code == 200
    with pytest.raises(TemporaryFailure, match="connection closed before any answer"):
        yield client.post(b'{"once": true}')
    assert len(server.requests) == answered_before + 1   # sent once, by the client
    assert server.requests[-1].endswith(b'{"once": true}') and server.connections == 1


@pytest_twisted.inlineCallbacks
def test_no_answer_within_the_timeout_aborts_the_connection_and_frees_its_place(serve):
    server, client = serve(lambda side, index: (never_answer if index == 0 else keep_alive)(side, index),
                           connections=1)
    clock = Clock()
    hanging = client.post(b"{}").addTimeout(30, clock)   # as the worker applies it
    yield server.when(lambda s: len(s.requests) == 1)
    clock.advance(30)
    with pytest.raises(DeferredTimeout):
        yield hanging
    yield server.when(lambda s: s.closed_by_client == 1)   # aborted: a late answer can't mislead
    assert (yield client.post(b"{}")).code == 200           # the one place is free again
    assert server.connections == 2


@pytest_twisted.inlineCallbacks
def test_the_pool_never_opens_more_than_its_size_and_serves_waiting_requests_in_turn(serve):
    server, client = serve(keep_alive, connections=2)
    answers = yield _all([client.post(b"%d" % n) for n in range(7)])
    assert [a.code for a in answers] == [200] * 7
    assert server.connections == 2 and len(server.requests) == 7


@pytest_twisted.inlineCallbacks
def test_a_request_waiting_for_a_connection_can_be_cancelled(serve):
    server, client = serve(never_answer, connections=1)
    first, second = client.post(b"1"), client.post(b"2")
    yield server.when(lambda s: len(s.requests) == 1)
    second.cancel()
    with pytest.raises(CancelledError):
        yield second
    assert not client._pool._waiters
    first.cancel()
    with pytest.raises(CancelledError):
        yield first
    assert len(server.requests) == 1


@pytest_twisted.inlineCallbacks
def test_close_ends_every_connection_and_later_requests_fail(serve):
    server, client = serve(lambda side, index: (keep_alive(side, index), side.wait_for_close()))
    yield _all([client.post(b"{}") for _ in range(3)])
    yield client.close()
    yield server.when(lambda s: s.closed_by_client == s.connections)
    with pytest.raises(TemporaryFailure, match="the client is closed"):
        yield client.post(b"{}")


@pytest_twisted.inlineCallbacks
def test_a_refused_connection_is_a_temporary_failure(serve):
    server, client = serve(keep_alive)
    server.stop()   # nothing listens on its port any more
    with pytest.raises(TemporaryFailure, match="no answer from the case store: ConnectionRefusedError"):
        yield client.post(b"{}")


def _all(deferreds):
    return gatherResults(deferreds, consumeErrors=True)
