"""The case store's signature on a pushed event: HMAC-SHA256 of `"{timestamp}.{body}"`
with the secret `case_store_webhook_secret`, in `X-Lapor-Signature: sha256=<hex>`, the
timestamp (Unix seconds) in `X-Lapor-Timestamp`.

The timestamp is signed with the body, and must be within `WINDOW_S` of our clock, so a
request captured on the way cannot be played again later with a fresh header; the
event id makes a replay inside the window harmless (stored once). Compared in constant
time, so the check does not tell an attacker how much of a guess was right.
"""
from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Lapor-Timestamp"
SIGNATURE_HEADER = "X-Lapor-Signature"
#: how far the timestamp may be from our clock, either way (clock skew, queueing)
WINDOW_S = 300
_SCHEME = "sha256="


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The header value the case store sends: `sha256=<hex>`."""
    mac = hmac.new(secret.encode(), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return _SCHEME + mac.hexdigest()


def check(secret: str, timestamp: str | None, given: str | None, body: bytes, now: float) -> str | None:
    """None when the request is signed with `secret` and timed within the window; else
    why not: "bad_signature" (missing, malformed or wrong — a wrong secret or a changed
    body or time), or "stale" (signed, but too far from now)."""
    if not timestamp or not given or not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        return "bad_signature"
    if not hmac.compare_digest(signature(secret, timestamp, body).encode(), given.strip().lower().encode()):
        return "bad_signature"
    if abs(now - int(timestamp)) > WINDOW_S:
        return "stale"
    return None
