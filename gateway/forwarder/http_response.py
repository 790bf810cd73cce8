"""Reading one HTTP/1.1 response from bytes as they arrive: `ResponseParser`.

Pure and incremental — it knows nothing of sockets or Twisted — so that it can be fed a
response split anywhere (byte by byte in the tests) and so that the common case, a
whole small answer in one read, costs one search for the blank line, one split of the
head and one slice of the body. It reads what a case store sends: a status line,
headers, and a body framed by Content-Length, by chunked transfer coding, or by the
connection's close; interim 1xx answers are skipped. Anything else — a malformed status
line or header, an unknown transfer coding, a body or head over its limit — is a
`ResponseError`, and the connection it came on is not used again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

#: the most of a status line and headers read: a case store's are a few hundred bytes
MAX_HEAD_BYTES = 64 * 1024
#: the longest chunk-size or trailer line accepted
MAX_LINE_BYTES = 4 * 1024

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}\Z")
_NO_BODY = frozenset({204, 304})


@dataclass(frozen=True)
class Answer:
    """A complete response: status code, headers (lower-case names; repeated ones joined
    with ", "), body."""

    code: int
    headers: dict[bytes, bytes]
    body: bytes


class ResponseError(Exception):
    """The bytes are not an HTTP/1.1 response we can read; the message never quotes them
    (a case store may echo the complaint)."""


class ResponseTooLarge(ResponseError):
    """The body is over the limit: `code` is the status, `size` what was announced or read."""

    def __init__(self, code: int, size: int, exact: bool):
        super().__init__(f"{code} with {'' if exact else 'more than '}{size} bytes")
        self.code, self.size = code, size


class ResponseParser:
    """Feed it bytes (`feed`) until it returns the `Answer`; `keep_alive` then tells
    whether the connection may carry another request. `closed` is for the connection's
    end: it completes a body read to the close, and raises for anything cut short."""

    def __init__(self, max_body: int):
        self._max_body = max_body
        self._buffer = bytearray()
        self._step = self._head
        self._searched = 0           # where the search for the blank line resumes
        self._body: list[bytes] = []
        self._received = 0           # body bytes so far
        self._remaining = 0          # of the Content-Length body, or of the current chunk
        self.code = 0
        self.headers: dict[bytes, bytes] = {}
        self.keep_alive = False
        self.answer: Answer | None = None
        #: whether any byte of a response has come: before that, a close means no answer at all
        self.started = False

    def feed(self, data: bytes) -> Answer | None:
        """Take the next bytes; the answer once it is complete (bytes after it mean the
        server is not speaking plain HTTP/1.1 to us, so `keep_alive` turns false)."""
        self.started = True
        if self.answer is not None:
            self.keep_alive = False
            return self.answer
        self._buffer += data
        while self._step():
            pass
        if self.answer is not None and self._buffer:
            self.keep_alive = False
        return self.answer

    def closed(self) -> Answer:
        """The connection closed: the answer if it was complete or read to the close."""
        if self.answer is None and self._step == self._until_close:
            self.answer = self._complete()
        if self.answer is None:
            raise ResponseError("connection closed mid-answer" if self.started
                                else "connection closed before any answer")
        return self.answer

    # -- the steps: each consumes what it can, True when another step may follow ---------
    def _head(self) -> bool:
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n", self._searched)
        if end < 0:
            if len(buffer) > MAX_HEAD_BYTES:
                raise ResponseError(f"response head over {MAX_HEAD_BYTES} bytes")
            self._searched = max(0, len(buffer) - 3)
            return False
        head = bytes(buffer[:end])
        del buffer[:end + 4]
        self._searched = 0
        lines = head.split(b"\r\n")
        self.code, persistent = _status(lines[0])
        if 100 <= self.code < 200:  # an interim answer (100 Continue): the real one follows
            return True
        self.headers = _headers(lines[1:])
        self._frame(persistent)
        return True

    def _frame(self, persistent: bool) -> None:
        """Choose how the body ends (RFC 9112 section 6.3)."""
        headers = self.headers
        connection = headers.get(b"connection", b"").lower()
        self.keep_alive = persistent and b"close" not in _tokens(connection)
        coding = headers.get(b"transfer-encoding")
        length = headers.get(b"content-length")
        if self.code in _NO_BODY:
            self.answer = self._complete()
        elif coding is not None:
            if coding.strip().lower() != b"chunked":
                raise ResponseError("unsupported transfer-encoding")
            # Both framings at once is how requests are smuggled: read it, then never reuse.
            self.keep_alive = self.keep_alive and length is None
            self._step = self._chunk_size
        elif length is not None:
            self._remaining = _content_length(length)
            if self._remaining > self._max_body:
                raise ResponseTooLarge(self.code, self._remaining, exact=True)
            self._step = self._length_body
        else:
            self.keep_alive = False
            self._step = self._until_close

    def _length_body(self) -> bool:
        self._take(self._remaining)
        if self._remaining == 0:
            self.answer = self._complete()
        return False

    def _chunk_size(self) -> bool:
        line = self._line()
        if line is None:
            return False
        size = line.split(b";", 1)[0].strip(b" \t")
        if not _HEX.match(size):
            raise ResponseError("malformed chunk size")
        self._remaining = int(size, 16)
        if self._received + self._remaining > self._max_body:
            raise ResponseTooLarge(self.code, self._max_body, exact=False)
        self._step = self._chunk_data if self._remaining else self._trailer
        return True

    def _chunk_data(self) -> bool:
        self._take(self._remaining)
        if self._remaining:
            return False
        self._step = self._chunk_end
        return True

    def _chunk_end(self) -> bool:
        if len(self._buffer) < 2:
            return False
        if self._buffer[:2] != b"\r\n":
            raise ResponseError("chunk not followed by CRLF")
        del self._buffer[:2]
        self._step = self._chunk_size
        return True

    def _trailer(self) -> bool:
        line = self._line()
        if line is None:
            return False
        if not line:  # the blank line after the last chunk's trailers: done
            self.answer = self._complete()
            return False
        return True   # trailer fields are read and dropped

    def _until_close(self) -> bool:
        self._take(self._max_body - self._received + 1)
        if self._received > self._max_body:
            raise ResponseTooLarge(self.code, self._max_body, exact=False)
        return False

    # -- helpers ---------------------------------------------------------------------------
    def _take(self, most: int) -> None:
        """Move up to `most` buffered bytes into the body."""
        buffer = self._buffer
        if not buffer or most <= 0:
            return
        if len(buffer) <= most:
            piece = bytes(buffer)
            buffer.clear()
        else:
            piece = bytes(buffer[:most])
            del buffer[:most]
        self._body.append(piece)
        self._received += len(piece)
        self._remaining -= len(piece)

    def _line(self) -> bytes | None:
        end = self._buffer.find(b"\r\n")
        if end < 0:
            if len(self._buffer) > MAX_LINE_BYTES:
                raise ResponseError("chunk-size or trailer line too long")
            return None
        line = bytes(self._buffer[:end])
        del self._buffer[:end + 2]
        return line

    def _complete(self) -> Answer:
        self._step = self._after
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        return Answer(self.code, self.headers, body)

    def _after(self) -> bool:
        return False


def _status(line: bytes) -> tuple[int, bool]:
    """(status code, whether the version is HTTP/1.1, i.e. persistent by default)."""
    if (len(line) < 12 or not line.startswith(b"HTTP/1.") or line[8:9] != b" "
            or not line[9:12].isdigit() or line[12:13] not in (b"", b" ")):
        raise ResponseError("malformed status line")
    return int(line[9:12]), line[7:8] == b"1"


def _headers(lines: list[bytes]) -> dict[bytes, bytes]:
    headers: dict[bytes, bytes] = {}
    for line in lines:
        name, colon, value = line.partition(b":")
        # No colon, or whitespace in or around the name (obsolete line folding included).
        if not colon or not _TOKEN.match(name):
            raise ResponseError("malformed header line")
        name = name.lower()
        value = value.strip(b" \t")
        if name in headers:
            if name == b"content-length" and value != headers[name]:
                raise ResponseError("conflicting Content-Length headers")
            if name != b"content-length":
                headers[name] += b", " + value
        else:
            headers[name] = value
    return headers


def _content_length(value: bytes) -> int:
    # "5, 5" is one length sent twice; anything but digits is malformed.
    values = {v.strip() for v in value.split(b",")}
    if len(values) != 1 or not (length := values.pop()).isdigit():
        raise ResponseError("malformed Content-Length")
    return int(length)


def _tokens(value: bytes) -> set[bytes]:
    return {token.strip() for token in value.split(b",")}
