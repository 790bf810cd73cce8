"""The central case store's HTTP JSON API (docs/case-store-api.yaml): one POST per complaint.

`POST {base_url}/complaints` with the complaint id as `Idempotency-Key`: 201 creates the
case, 200 returns the case an earlier request with the same key created, both with the
`tracking_id`. So a retry after a timeout — when the first request may in fact have
succeeded — finds the same case instead of making a second one.

`GET {base_url}/complaints/{tracking_id}` answers where a case stands (the citizen's
CEK). Look-ups go over connections of their own, a few, so that a citizen's question
never waits behind a backlog of complaints being forwarded, and are bounded by
`status_timeout_s`: a case store that hangs costs the citizen that long, no longer.
"""
from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import quote

from twisted.internet.defer import inlineCallbacks

from gateway.case_status import CaseStatus, normalised_status
from gateway.forwarder.base import (CaseStore, PermanentFailure, StatusNotFound, StatusUnavailable,
                                    within)
from gateway.forwarder.http_client import Answer, CaseStoreClient, failure_reason, raise_for_failure
from gateway.forwarder.payload import case_payload
from gateway.model import Complaint, Receipt

USER_AGENT = "lapor-gateway/0.1"
#: connections kept for status look-ups (beside the forwarder's `concurrency`)
STATUS_CONNECTIONS = 4


class HttpJsonCaseStore(CaseStore):
    name = "http"

    def __init__(self, reactor, base_url: str, token: str, *, connections: int,
                 connect_timeout_s: float = 10.0, anonymous: bool = True, status_timeout_s: float = 5.0,
                 clock=None):
        """`clock` (default: the reactor) times status look-ups out: a test's Clock."""
        self._reactor = reactor
        self._clock = clock or reactor
        self._anonymous = anonymous
        self._status_timeout = status_timeout_s
        url = base_url.rstrip("/") + "/complaints"
        authorization = f"Bearer {token}".encode()
        self._client = CaseStoreClient(
            reactor, url, connections=connections,
            connect_timeout_s=connect_timeout_s, user_agent=USER_AGENT,
            headers={b"authorization": authorization, b"content-type": b"application/json",
                     b"accept": b"application/json"})
        self._lookups = CaseStoreClient(
            reactor, url, connections=STATUS_CONNECTIONS, connect_timeout_s=connect_timeout_s,
            user_agent=USER_AGENT, headers={b"authorization": authorization, b"accept": b"application/json"})

    @inlineCallbacks
    def submit(self, complaint: Complaint):
        body = json.dumps(case_payload(complaint, self._anonymous), ensure_ascii=False).encode()
        answer = yield self._client.post(body, {b"idempotency-key": complaint.id.encode()})
        raise_for_failure(answer, complaint, self._reactor.seconds())
        try:
            tracking_id = json.loads(answer.body)["tracking_id"]
        except (ValueError, KeyError, TypeError):
            tracking_id = None
        if not isinstance(tracking_id, (str, int)) or isinstance(tracking_id, bool) or not str(tracking_id):
            # A 2xx without a case is a broken contract, not a hiccup: make it visible.
            raise PermanentFailure(failure_reason(answer, complaint, " without a tracking_id"))
        return Receipt(complaint.id, str(tracking_id))

    def status(self, tracking_id: str):
        d = self._lookups.get("/" + quote(str(tracking_id), safe=""))
        d.addCallback(case_status_of, str(tracking_id))
        return within(d, self._status_timeout, self._clock, str(tracking_id))

    def close(self):
        d = self._lookups.close()
        d.addBoth(lambda _: self._client.close())
        return d


def case_status_of(answer: Answer, tracking_id: str) -> CaseStatus:
    """The contract's answer to a look-up: 200 with `{tracking_id, status, status_text?,
    updated_at}`, 404 for a number the case store does not know; anything else (5xx,
    401/403, a 200 without a status) is no status now."""
    if answer.code == 404:
        raise StatusNotFound(f"the case store knows no case {tracking_id}")
    if answer.code != 200:
        raise StatusUnavailable(f"case store answered {answer.code} to a status look-up")
    try:
        document = json.loads(answer.body)
    except ValueError:
        document = None
    status = normalised_status(document.get("status")) if isinstance(document, dict) else None
    if status is None:
        raise StatusUnavailable("case store answered 200 without a status")
    text = document.get("status_text")
    return CaseStatus(tracking_id, status, text.strip() or None if isinstance(text, str) else None,
                      _moment(document.get("updated_at")))


def _moment(value) -> datetime | None:
    """An RFC 3339 time as the case store wrote it (None if absent or unreadable: the
    status matters more than when it changed)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
