"""The central case store's HTTP JSON API (docs/case-store-api.yaml): one POST per complaint.

`POST {base_url}/complaints` with the complaint id as `Idempotency-Key`: 201 creates the
case, 200 returns the case an earlier request with the same key created, both with the
`tracking_id`. So a retry after a timeout — when the first request may in fact have
succeeded — finds the same case instead of making a second one.
"""
from __future__ import annotations

import json

from twisted.internet.defer import inlineCallbacks

from gateway.forwarder.base import CaseStore, PermanentFailure
from gateway.forwarder.http_client import CaseStoreClient, failure_reason, raise_for_failure
from gateway.forwarder.payload import case_payload
from gateway.model import Complaint, Receipt

USER_AGENT = "lapor-gateway/0.1"


class HttpJsonCaseStore(CaseStore):
    name = "http"

    def __init__(self, reactor, base_url: str, token: str, *, connections: int,
                 connect_timeout_s: float = 10.0, anonymous: bool = True):
        self._reactor = reactor
        self._anonymous = anonymous
        self._client = CaseStoreClient(
            reactor, base_url.rstrip("/") + "/complaints", connections=connections,
            connect_timeout_s=connect_timeout_s, user_agent=USER_AGENT,
            headers={b"authorization": f"Bearer {token}".encode(), b"content-type": b"application/json",
                     b"accept": b"application/json"})

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

    def close(self):
        return self._client.close()
