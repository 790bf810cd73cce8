"""How the case-store client reads answers off real sockets on 127.0.0.1: chunked bodies,
an answer spread over many TCP segments, malformed answers, a close mid-body, answers
over the size limit — each an answer or a TemporaryFailure, and never a repeated request."""
import pytest
import pytest_twisted
from twisted.internet import reactor

from gateway.forwarder.base import TemporaryFailure
from gateway.forwarder.http_client import MAX_BODY_BYTES, CaseStoreClient
from tests.forwarder.raw_http_server import RawServer, answer

CHUNKED = (b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
           b"7;ext=1\r\n{\"track\r\n"
           b"e\r\ning_id\": \"T-7\"\r\n"
           b"1\r\n}\r\n"
           b"0\r\nX-Checksum: none\r\n\r\n")
TRACKING = b'{"tracking_id": "T-7"}'


def serve(*responses: bytes, bytewise: bool = False, then_close: bool = False):
    """A handler answering the connection's requests with `responses` in turn."""
    def handler(side, index):
        for response in responses:
            if side.read_request() is None:
                return
            side.send_bytewise(response) if bytewise else side.send(response)
        if not then_close:
            side.wait_for_close()
    return handler


@pytest_twisted.inlineCallbacks
def posting(handler, count: int = 1, wait_for=None, **options):
    """(the answers or failures of `count` POSTs in a row, the server that answered them);
    `wait_for(server)` is awaited before the client closes."""
    server = RawServer(reactor, handler)
    client = CaseStoreClient(reactor, server.url(), connections=2, connect_timeout_s=5.0, user_agent="t",
                             **options)
    results = []
    try:
        for n in range(count):
            try:
                results.append((yield client.post(b'{"n": %d}' % n)))
            except TemporaryFailure as failure:
                results.append(failure)
        if wait_for is not None:
            yield server.when(wait_for)
    finally:
        yield client.close()
        server.stop()
    assert not server.handler_errors
    return results, server


@pytest_twisted.inlineCallbacks
def test_a_chunked_answer_is_joined_and_its_connection_kept():
    (first, second), server = yield posting(serve(CHUNKED, CHUNKED), count=2)
    assert (first.code, first.body) == (201, TRACKING) and second.body == TRACKING
    assert server.connections == 1


@pytest.mark.parametrize("response, body", [
    (CHUNKED, TRACKING),
    (answer(TRACKING, b"Retry-After: 5", status=b"503 Service Unavailable"), TRACKING),
    (b"HTTP/1.1 100 Continue\r\n\r\n" + answer(b"{}"), b"{}"),
])
@pytest_twisted.inlineCallbacks
def test_an_answer_one_byte_per_tcp_segment_reads_the_same(response, body):
    (got,), server = yield posting(serve(response, bytewise=True))
    assert got.body == body and server.connections == 1
    if got.code == 503:
        assert got.headers[b"retry-after"] == b"5"


@pytest.mark.parametrize("response, problem", [
    (b"HTTP/1.1 OK 200\r\nContent-Length: 2\r\n\r\n{}", "malformed status line"),
    (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n", "malformed status line"),
    (b"HTTP/1.1 200 OK\r\nContent-Length 2\r\n\r\n{}", "malformed header line"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: two\r\n\r\n{}", "malformed Content-Length"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\nlast\r\n", "malformed chunk size"),
])
@pytest_twisted.inlineCallbacks
def test_a_malformed_answer_is_a_temporary_failure_and_its_connection_dropped(response, problem):
    (failed, then), server = yield posting(serve(response, then_close=True), count=2)
    assert isinstance(failed, TemporaryFailure)
    assert str(failed) == f"no answer from the case store: ResponseError: {problem}"
    assert str(then) == str(failed)
    # The second request went on a new connection; the first was not repeated.
    assert server.connections == 2 and len(server.requests) == 2


@pytest.mark.parametrize("response", [
    answer(b"x" * 100)[:-90],                                     # Content-Length body cut short
    CHUNKED[:-30],                                                # chunked body cut short
    b"HTTP/1.1 200 OK\r\nContent-Type: application/js",          # cut inside the head
])
@pytest_twisted.inlineCallbacks
def test_a_close_mid_answer_is_a_temporary_failure_not_a_repeat(response):
    (failed,), server = yield posting(serve(response, then_close=True))
    assert isinstance(failed, TemporaryFailure)
    assert "connection closed mid-answer" in str(failed)
    assert len(server.requests) == 1


@pytest_twisted.inlineCallbacks
def test_an_answer_read_to_the_close_is_complete_at_the_close():
    response = b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nsomething broke"
    (got,), _ = yield posting(serve(response, then_close=True))
    assert (got.code, got.body) == (500, b"something broke")


@pytest.mark.parametrize("response, reason", [
    (b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY_BYTES + 1),
     f"case store answered 200 with {MAX_BODY_BYTES + 1} bytes"),
    (b"HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\n\r\n"
     + (b"10000\r\n" + b"x" * 0x10000 + b"\r\n") * 5,
     f"case store answered 502 with more than {MAX_BODY_BYTES} bytes"),
])
@pytest_twisted.inlineCallbacks
def test_an_answer_over_the_size_limit_is_a_temporary_failure(response, reason):
    # Not read to its end, so never reused: the client hangs up.
    (failed,), _ = yield posting(serve(response), wait_for=lambda s: s.closed_by_client == 1)
    assert isinstance(failed, TemporaryFailure) and str(failed) == reason
