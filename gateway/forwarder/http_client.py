"""The HTTP side every remote case store shares: POSTs on kept-alive connections, and
what an answer means — a case, "try again" (5xx, 408, 429, timeouts, connection errors,
with the case store's Retry-After), or a refusal for good (any other 4xx).

One module so that the JSON and the legacy XML adapters cannot drift apart on the
retry rules. The HTTP/1.1 client under it is our own (http_pool, http_connection,
http_response), not twisted.web's Agent: at full SMS load Agent's per-request machinery
and response parser took a quarter of the reactor's time, and a case store needs only
POSTs to one origin (docs/forwarding.md).

Failure reasons are logged and shown by `complaints list`, and a case store may echo the
payload in an error answer: so a reason is the status and the case store's own short error
code (JSON `error`, legacy `<pesan>`), with the reporter's address, anything like a phone
number and every word of the complaint's text blanked — never the body itself.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from typing import Mapping

from OpenSSL import SSL
from twisted.internet.defer import CancelledError, Deferred
from service_identity import VerificationError
from twisted.internet.error import DNSLookupError

from gateway.forwarder.base import CaseStoreRefusesUs, PermanentFailure, TemporaryFailure
from gateway.forwarder.http_pool import ConnectionPool, Origin
from gateway.forwarder.http_response import Answer, ResponseTooLarge
from gateway.model import Complaint

__all__ = ["Answer", "CaseStoreClient", "failure_reason", "raise_for_failure", "retry_after_seconds"]

#: statuses that mean "not now" rather than "never"
RETRYABLE = frozenset({408, 429})
#: answers about the gateway, not the complaint: an outage until ops fix the token or grant
REFUSING_US = {401: "unauthorized", 403: "forbidden"}
#: the most of a case store's own error code or message kept for a failure reason
ERROR_CODE_CHARS = 80
#: the most of an answer read at all: a case store's answers are small
MAX_BODY_BYTES = 256 * 1024
#: a Retry-After beyond this is taken as this (a misconfigured case store must not stall us for days)
MAX_RETRY_AFTER_S = 3600.0

_PHONE_LIKE = re.compile(r"\+?\d[\d \-]{7,16}\d")
_WORD = re.compile(r"\w+")


class CaseStoreClient:
    """POSTs to one URL of the case store (or GETs below it) over at most `connections`
    kept-alive connections. `headers` go with every request; `post` adds its own."""

    def __init__(self, reactor, url: str, *, connections: int, connect_timeout_s: float,
                 user_agent: str, headers: Mapping[bytes, bytes] = {}, tls_trust=None):
        origin = Origin.of(url)
        self._pool = ConnectionPool(reactor, origin, size=connections, connect_timeout_s=connect_timeout_s,
                                    max_body=MAX_BODY_BYTES, tls_trust=tls_trust)
        fixed = {b"host": origin.authority.encode("ascii"), b"user-agent": user_agent.encode()} | dict(headers)
        # The part of every request that never changes, written once.
        self._target = origin.target.encode("ascii")
        self._fixed = _header_lines(fixed)
        self._head = b"POST %s HTTP/1.1\r\n%s" % (self._target, self._fixed)

    @property
    def stale_connections(self) -> int:
        """Pooled connections the case store had closed, found when a request came for them."""
        return self._pool.stale

    def post(self, body: bytes, headers: Mapping[bytes, bytes] = {}) -> Deferred[Answer]:
        """The case store's answer, or TemporaryFailure when none came (refused, reset,
        cut short, unreadable, too large); cancelling it (the worker's timeout) gives
        CancelledError."""
        request = b"%s%scontent-length: %d\r\n\r\n%s" % (self._head, _header_lines(headers), len(body), body)
        return self._pool.request(request).addErrback(_no_answer)

    def get(self, below: str) -> Deferred[Answer]:
        """GET the URL's path + `below` (already percent-encoded, e.g. "/1916449"): the
        answer, failing as `post` does."""
        if any(c in below for c in " \r\n?#"):
            raise ValueError("a path below the URL must be percent-encoded")
        request = b"GET %s%s HTTP/1.1\r\n%s\r\n" % (self._target.rstrip(b"/"), below.encode("ascii"),
                                                    self._fixed)
        return self._pool.request(request).addErrback(_no_answer)

    def close(self) -> Deferred[None]:
        return self._pool.close()


def _header_lines(headers: Mapping[bytes, bytes]) -> bytes:
    lines = []
    for name, value in headers.items():
        if b"\r" in value or b"\n" in value or b"\r" in name or b"\n" in name or b":" in name:
            # The value is not named: it may be the case-store token.
            raise ValueError(f"header {name!r}: a line break or a colon where none may be")
        lines.append(b"%s: %s\r\n" % (name, value))
    return b"".join(lines)


def _no_answer(failure):
    if failure.check(CancelledError):
        raise CancelledError()  # the worker's timeout: it reports and retries
    if failure.check(ResponseTooLarge):
        raise TemporaryFailure(f"case store answered {failure.value}")
    reason = f"no answer from the case store: {_describe(failure.value)}"
    if failure.check(DNSLookupError):
        raise CaseStoreRefusesUs(reason, "dns")
    if failure.check(*_TLS_ERRORS) or isinstance(getattr(failure.value, "cause", None), _TLS_ERRORS):
        raise CaseStoreRefusesUs(reason, "tls")
    raise TemporaryFailure(reason)


#: a handshake that failed, a certificate not trusted or not for this name
_TLS_ERRORS = (SSL.Error, VerificationError)


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def raise_for_failure(answer: Answer, complaint: Complaint, now: float) -> None:
    """Raise TemporaryFailure or PermanentFailure unless `answer` is a 2xx."""
    if 200 <= answer.code < 300:
        return
    reason = failure_reason(answer, complaint)
    if answer.code in REFUSING_US:
        raise CaseStoreRefusesUs(reason, REFUSING_US[answer.code])
    if answer.code >= 500 or answer.code in RETRYABLE:
        raise TemporaryFailure(reason, retry_after_seconds(answer.headers, now))
    raise PermanentFailure(reason)


def retry_after_seconds(headers: Mapping[bytes, bytes], now: float) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None if absent or bad."""
    value = headers.get(b"retry-after")
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
