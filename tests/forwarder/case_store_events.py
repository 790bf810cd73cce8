"""The case store's side of status events (docs/case-store-api.yaml, `webhooks`): an event
body as the contract has it, signed and POSTed to a gateway's `/case-store/events` —
written here anew from the contract, not with the gateway's code, so that a test of the
gateway's check is a test against the contract. The fake case store's `--send-event`
uses it; so do the tests.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import datetime, timezone

from twisted.internet.defer import inlineCallbacks


def case_event(tracking: str, status: str, status_text: str | None = None, *, event_id: str | None = None,
               occurred_at: str | None = None) -> dict:
    """An event body as the contract has it."""
    body = {"event_id": event_id or f"ev-{uuid.uuid4()}", "tracking_id": tracking, "status": status,
            "occurred_at": occurred_at or datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")}
    if status_text is not None:
        body["status_text"] = status_text
    return body


def signed_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """X-Lapor-Timestamp and X-Lapor-Signature as the contract says: HMAC-SHA256 of
    "{timestamp}.{body}" with the shared secret (written here anew, not the gateway's code)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Lapor-Timestamp": stamp, "X-Lapor-Signature": f"sha256={digest}"}


@inlineCallbacks
def post_event(url: str, secret: str, event: dict | bytes, *, timestamp: int | None = None,
               headers: dict[str, str] | None = None):
    """POST one event (a dict, or the raw bytes of a body) to a gateway's
    `/case-store/events` URL, signed with `secret` (or with `headers` as given); the
    answer as (status, JSON body or None)."""
    import treq
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    sent = {"Content-Type": "application/json",
            **(signed_headers(secret, body, timestamp) if headers is None else headers)}
    response = yield treq.post(url, data=body, headers={k: [v] for k, v in sent.items()})
    content = yield response.content()
    try:
        answer = json.loads(content)
    except ValueError:
        answer = None
    return response.code, answer
