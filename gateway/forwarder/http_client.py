"""The HTTP side every remote case store shares: kept-alive connections, and what an
answer means — a case, "try again" (5xx, 408, 429, timeouts, connection errors, with the
case store's Retry-After), or a refusal for good (any other 4xx).

One module so that the JSON and the legacy XML adapters cannot drift apart on the
retry rules. It drives twisted.web's Agent (what treq is built on) directly: treq's
per-request URL parsing, cookie jar, redirect and decoding wrappers cost 0.3 ms of CPU
per complaint (measured with benchmarks/forward_speed.py: 1.01 → 0.71 ms), and a
case store needs none of them (a POST is never redirected, no cookies, no gzip).

Failure reasons are logged and shown by `complaints list`, and a case store may echo the
payload in an error answer: so a reason is the status and the case store's own short error
code (JSON `error`, legacy `<pesan>`), with the reporter's address, anything like a phone
number and every word of the complaint's text blanked — never the body itself.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import treq
from twisted.internet.defer import CancelledError, Deferred, inlineCallbacks, succeed
from twisted.web.client import Agent, HTTPConnectionPool
from twisted.web.http_headers import Headers
from twisted.web.iweb import IBodyProducer
from zope.interface import implementer

from gateway.forwarder.base import PermanentFailure, TemporaryFailure
from gateway.model import Complaint

#: statuses that mean "not now" rather than "never"
RETRYABLE = frozenset({408, 429})
#: the most of a case store's own error code or message kept for a failure reason
ERROR_CODE_CHARS = 80
#: the most of an answer read at all: a case store's answers are small
MAX_BODY_BYTES = 256 * 1024
#: a Retry-After beyond this is taken as this (a misconfigured case store must not stall us for days)
MAX_RETRY_AFTER_S = 3600.0

_PHONE_LIKE = re.compile(r"\+?\d[\d \-]{7,16}\d")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Answer:
    code: int
    headers: Headers
    body: bytes


class CaseStoreClient:
    """POSTs to one case store over a pool of kept-alive connections (twisted.web's Agent)."""

    def __init__(self, reactor, *, connections: int, connect_timeout_s: float, user_agent: str):
        self._reactor = reactor
        self._pool = HTTPConnectionPool(reactor, persistent=True)
        self._pool.maxPersistentPerHost = connections
        self._pool.retryAutomatically = False  # a POST is retried by the worker, on its own terms
        self._agent = Agent(reactor, connectTimeout=connect_timeout_s, pool=self._pool)
        self._user_agent = user_agent.encode()

    @inlineCallbacks
    def post(self, url: bytes, body: bytes, headers: dict[bytes, bytes]):
        """The case store's answer, or TemporaryFailure when none came (refused, reset, DNS...)."""
        request_headers = Headers({b"user-agent": [self._user_agent]})
        for name, value in headers.items():
            request_headers.setRawHeaders(name, [value])
        try:
            response = yield self._agent.request(b"POST", url, request_headers, _Body(body))
            content = yield _read_capped(response)
        except (CancelledError, TemporaryFailure):
            raise  # CancelledError is the worker's timeout: it reports and retries
        except Exception as error:  # noqa: BLE001 - every transport failure is worth a retry
            if any(r.check(CancelledError) for r in getattr(error, "reasons", ())):
                raise CancelledError() from None  # the timeout, as twisted.web reports it
            raise TemporaryFailure(f"no answer from the case store: {_describe(error)}") from None
        return Answer(response.code, response.headers, content)

    def close(self) -> Deferred:
        return self._pool.closeCachedConnections()


def _read_capped(response) -> Deferred[bytes]:
    length = response.length
    if isinstance(length, int) and length > MAX_BODY_BYTES:
        response.deliverBody(_Discard())
        raise TemporaryFailure(f"case store answered {response.code} with {length} bytes")
    return treq.content(response)  # collects the body; no readBody deprecation warnings


@implementer(IBodyProducer)
class _Body:
    """A request body already in memory, written in one go (no cooperator round trips)."""

    def __init__(self, data: bytes):
        self._data = data
        self.length = len(data)

    def startProducing(self, consumer):
        consumer.write(self._data)
        return succeed(None)

    def pauseProducing(self):
        pass

    def resumeProducing(self):
        pass

    def stopProducing(self):
        pass


class _Discard:
    def makeConnection(self, transport):
        transport.stopProducing()

    def dataReceived(self, data):
        pass

    def connectionLost(self, reason):
        pass


def _describe(error: Exception) -> str:
    # twisted.web wraps the real cause in a list of Failures; name the innermost one.
    reasons = getattr(error, "reasons", None)
    if reasons:
        inner = reasons[0].value
        return f"{type(error).__name__} ({type(inner).__name__}: {inner})"
    return f"{type(error).__name__}: {error}"


def raise_for_failure(answer: Answer, complaint: Complaint, now: float) -> None:
    """Raise TemporaryFailure or PermanentFailure unless `answer` is a 2xx."""
    if 200 <= answer.code < 300:
        return
    reason = failure_reason(answer, complaint)
    if answer.code >= 500 or answer.code in RETRYABLE:
        raise TemporaryFailure(reason, retry_after_seconds(answer.headers, now))
    raise PermanentFailure(reason)


def retry_after_seconds(headers: Headers, now: float) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None if absent or bad."""
    value = headers.getRawHeaders(b"retry-after", [None])[0]
    if value is None:
        return None
    value = value.decode("latin-1").strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        moment = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return min(max(0.0, moment - now), MAX_RETRY_AFTER_S)


def failure_reason(answer: Answer, complaint: Complaint, what: str = "") -> str:
    """`case store answered 400 (error: body too long)`: the status, `what` was wrong with
    it, and the case store's own error code made safe (see the module docstring)."""
    code = _error_code(answer.body)
    safe = _redacted(code, complaint) if code else ""
    return f"case store answered {answer.code}{what}" + (f" ({safe})" if safe else "")


def _error_code(body: bytes) -> str | None:
    """The case store's own word for what went wrong: JSON `error` (or `code`), or the legacy
    API's `<pesan>`/`<status>`; None for any other body (an HTML error page, plain text)."""
    body = body.strip()
    if body.startswith(b"{"):
        try:
            document = json.loads(body)
        except ValueError:
            return None
        error = document.get("error", document.get("code")) if isinstance(document, dict) else None
        if isinstance(error, dict):
            error = error.get("code", error.get("message"))
        if isinstance(error, (str, int)) and not isinstance(error, bool):
            return f"error: {error}"
    elif body.startswith(b"<"):
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return None
        for tag in ("pesan", "status"):
            for element in root.iter(tag):
                if (element.text or "").strip():
                    return f"{tag}: {element.text.strip()}"
    return None


def _redacted(text: str, complaint: Complaint) -> str:
    # The error code is the case store's, but a case store may still quote the complaint in it.
    text = " ".join(text.split())
    address = complaint.message.sender
    if address:
        text = text.replace(address, "<reporter>")
    text = _PHONE_LIKE.sub("<number>", text)
    words = {w.casefold() for w in _WORD.findall(complaint.message.text)}
    text = _WORD.sub(lambda m: "…" if m.group().casefold() in words else m.group(), text)
    return text[:ERROR_CODE_CHARS]
