"""The response parser alone, fed whole answers, byte by byte and split anywhere."""
import pytest
from hypothesis import given, strategies as st

from gateway.forwarder.http_response import (MAX_HEAD_BYTES, Answer, ResponseError, ResponseParser,
                                             ResponseTooLarge)

LIMIT = 1000
CHUNKED = (b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nRetry-After: 3\r\n\r\n"
           b"5;name=value\r\n{\"tra\r\n"  # a chunk extension, ignored
           b"11\r\ncking_id\": \"T-1\"}\r\n"
           b"0\r\nX-Trailer: dropped\r\n\r\n")
LENGTH = b"HTTP/1.1 200 OK\r\nContent-Length: 19\r\nRetry-After: 3\r\n\r\n{\"tracking_id\": 12}"
NO_BODY = b"HTTP/1.1 204 No Content\r\n\r\n"
INTERIM = b"HTTP/1.1 100 Continue\r\n\r\n" + LENGTH


def parse(*pieces: bytes) -> tuple[Answer | None, ResponseParser]:
    parser = ResponseParser(LIMIT)
    answer = None
    for piece in pieces:
        answer = parser.feed(piece)
    return answer, parser


def bytewise(data: bytes) -> list[bytes]:
    return [data[i:i + 1] for i in range(len(data))]


@pytest.mark.parametrize("response, code, body", [
    (LENGTH, 200, b'{"tracking_id": 12}'),
    (CHUNKED, 201, b'{"tracking_id": "T-1"}'),
    (NO_BODY, 204, b""),
    (INTERIM, 200, b'{"tracking_id": 12}'),
])
def test_whole_and_byte_by_byte_give_the_same_answer(response, code, body):
    for pieces in ([response], bytewise(response)):
        answer, parser = parse(*pieces)
        assert answer == Answer(code, answer.headers, body)
        assert parser.keep_alive
    if code != 204:
        assert answer.headers[b"retry-after"] == b"3"


@given(st.sampled_from([LENGTH, CHUNKED, NO_BODY, INTERIM]), st.lists(st.integers(0, 200), max_size=12))
def test_any_split_gives_the_same_answer(response, cuts):
    cuts = sorted({min(c, len(response)) for c in cuts})
    pieces = [response[a:b] for a, b in zip([0, *cuts], [*cuts, len(response)]) if b > a]
    assert parse(*pieces)[0] == parse(response)[0]


def test_an_incomplete_answer_is_none_until_its_last_byte():
    answer, parser = parse(LENGTH[:-1])
    assert answer is None
    assert parser.feed(LENGTH[-1:]).body.endswith(b"12}")


@pytest.mark.parametrize("head, keep_alive", [
    (b"HTTP/1.1 200 OK\r\nConnection: close\r\n", False),
    (b"HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\n", False),
    (b"HTTP/1.0 200 OK\r\n", False),        # HTTP/1.0: persistent only if asked, and we don't
    (b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n", True),
])
def test_connection_close_and_http_1_0_end_the_connection(head, keep_alive):
    answer, parser = parse(head + b"Content-Length: 2\r\n\r\nok")
    assert answer.body == b"ok" and parser.keep_alive is keep_alive


def test_a_body_without_length_runs_to_the_close():
    answer, parser = parse(b"HTTP/1.1 500 Oops\r\n\r\npart one, ", b"part two")
    assert answer is None and not parser.keep_alive
    assert parser.closed() == Answer(500, {}, b"part one, part two")


def test_both_framings_read_as_chunked_and_never_reuse_the_connection():
    smuggled = CHUNKED.replace(b"Retry-After: 3", b"Content-Length: 3")
    answer, parser = parse(smuggled)
    assert answer.body == b'{"tracking_id": "T-1"}' and not parser.keep_alive


def test_bytes_after_the_answer_end_the_connection():
    answer, parser = parse(LENGTH + b"HTTP/1.1 200 OK")
    assert answer.code == 200 and not parser.keep_alive


def test_repeated_headers_are_joined():
    answer, _ = parse(b"HTTP/1.1 200 OK\r\nVia: a\r\nvia: b\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello")
    assert answer.headers[b"via"] == b"a, b" and answer.headers[b"content-length"] == b"5"


@pytest.mark.parametrize("response, problem", [
    (b"HTTP/1.1 2x0 OK\r\n\r\n", "malformed status line"),
    (b"HTTP/2 200 OK\r\n\r\n", "malformed status line"),
    (b"HTTP/1.1 200OK\r\n\r\n", "malformed status line"),
    (b"<html>hello</html>\r\n\r\n", "malformed status line"),
    (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed header line"),
    (b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok", "malformed header line"),
    (b"HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n", "malformed header line"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", "conflicting Content-Length"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nok", "malformed Content-Length"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "unsupported transfer-encoding"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed chunk size"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX", "chunk not followed by CRLF"),
])
def test_malformed_answers_are_refused_without_quoting_them(response, problem):
    with pytest.raises(ResponseError) as raised:
        parse(*bytewise(response))
    assert str(raised.value) == problem or str(raised.value).startswith(problem)


def test_bodies_over_the_limit_are_refused():
    with pytest.raises(ResponseTooLarge, match="200 with 5000 bytes"):
        parse(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (600, b"x" * 600)
    with pytest.raises(ResponseTooLarge, match="200 with more than 1000 bytes"):
        parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk)
    with pytest.raises(ResponseTooLarge, match="500 with more than 1000 bytes"):
        parse(b"HTTP/1.1 500 Oops\r\n\r\n", b"x" * 600, b"x" * 600)


def test_a_head_over_the_limit_is_refused():
    with pytest.raises(ResponseError, match="head over"):
        parse(b"HTTP/1.1 200 OK\r\nX-Long: " + b"x" * MAX_HEAD_BYTES)


@pytest.mark.parametrize("received, message, started", [
    (b"", "connection closed before any answer", False),
    (b"HTTP/1.1 200 OK\r\nContent-Le", "connection closed mid-answer", True),
    (LENGTH[:-3], "connection closed mid-answer", True),
    (CHUNKED[:-2], "connection closed mid-answer", True),
])
def test_a_close_before_the_answer_is_complete_is_an_error(received, message, started):
    _, parser = parse(received) if received else (None, ResponseParser(LIMIT))
    with pytest.raises(ResponseError, match=message):
        parser.closed()
    assert parser.started is started
