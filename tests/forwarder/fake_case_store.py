"""A central case store on 127.0.0.1 for tests and benchmarks: it keeps the contract
(docs/case-store-api.yaml — idempotency keys, 201 then 200 with the same tracking_id;
each case's status at `GET /complaints/{tracking_id}`; status events pushed to a
gateway, signed; the legacy XML stream API) and misbehaves on request, as a real one
does: a share of 500s (some after the case was created), a first answer that never
comes, 429 with Retry-After, an outage (an error status to everything, or no listener
at all), latency, status look-ups that hang or fail. Every request and answer is
stamped with the time (the reactor's, or a test's `Clock`).

Tests wait on its events (`when_requests`, `when_cases`), never on time.

    python tests/forwarder/fake_case_store.py --latency-ms 50    # prints "port N", serves
    python tests/forwarder/fake_case_store.py --send-event URL --secret S \
        --tracking 5000001 --status in_progress [--status-text TEXT]   # one signed event
"""
from __future__ import annotations

import itertools
import json
import random
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from typing import Callable

from twisted.internet.defer import Deferred, maybeDeferred
from twisted.protocols.policies import WrappingFactory
from twisted.web import resource, server

TOKEN = "test-case-store-token"
REQUIRED = ("id", "channel", "routing", "region", "candidates", "body", "raw_text", "received_at",
            "reporter", "channel_message_ids")


class FakeCaseStore:
    def __init__(self, reactor, token: str = TOKEN, first_tracking: int = 5_000_001, seed: int = 1708,
                 clock=None, tracking_prefix: str = ""):
        self.reactor = reactor
        self.now = (clock or reactor).seconds   # the time requests and answers are stamped with
        self.token = token
        self._numbers = itertools.count(first_tracking)
        self._prefix = tracking_prefix   # a store that numbers with letters too ("LPR5000001")
        self.cases: dict[str, str] = {}          # idempotency key (complaint id) -> tracking id
        self.created: list[str] = []             # keys, in the order their cases were created
        self.payloads: dict[str, object] = {}    # key -> the JSON payload or the XML text
        #: tracking id -> {"status", "status_text", "updated_at"}: what GET answers
        self.statuses: dict[str, dict] = {}
        #: {"api", "key", "code", "at", "answered_at", "retry_after"} for every request: `at`
        #: when it came, `answered_at` when the answer went out (None while held)
        self.requests: list[dict] = []
        # -- faults, set by the test --------------------------------------------------------
        self.rng = random.Random(seed)
        self.fail_ratio = 0.0          # answer 500 to this share of requests (half after creating)
        self.hang_first = False        # create the case, then never answer a key's first request
        self.outage_status: int | None = None   # answer this to everything (503, 429, ...)
        self.retry_after: str | None = None     # sent with outage_status
        self.reject: Callable[[dict], tuple[int, dict] | None] | None = None  # scripted refusals
        #: called with each well-formed JSON request's key; what it returns joins the
        #: request's entry (a drill notes whether the complaint was claimed at that moment)
        self.observe: Callable[[str], dict] | None = None
        self.latency_s = 0.0
        self.honour_reference = True   # legacy API: recognise a retry by <referensi>
        #: status look-ups: None (answer), "hang" (never answer), or a status to answer (503...)
        self.status_fault: str | int | None = None
        self.status_hang_first = 0     # hold this many status look-ups unanswered, then answer
        self.held: list = []           # requests never answered (hang_first)
        self._hung: set = set()        # what hang_first has already swallowed a request for
        self._waiters: list[tuple[Callable[[], bool], Deferred]] = []
        self._listening = None
        self.port = 0

    # -- life ----------------------------------------------------------------------------
    def start(self) -> "FakeCaseStore":
        root = resource.Resource()
        root.putChild(b"complaints", _Complaints(self))
        root.putChild(b"stats", _Stats(self))
        api = resource.Resource()
        stream = resource.Resource()
        stream.putChild(b"addstream", _AddStream(self))
        api.putChild(b"stream", stream)
        root.putChild(b"api", api)
        site = server.Site(root)
        site.log = lambda request: None
        self._factory = WrappingFactory(site)   # knows the open connections, to drop them
        self._listen()
        return self

    def _listen(self) -> None:
        self._listening = self.reactor.listenTCP(self.port, self._factory, interface="127.0.0.1")
        self.port = self._listening.getHost().port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def go_offline(self) -> Deferred:
        """Stop listening (connections are refused) and drop the open ones."""
        listening, self._listening = self._listening, None
        for connection in list(self._factory.protocols):
            connection.transport.abortConnection()
        return maybeDeferred(listening.stopListening)

    def come_back(self) -> None:
        self._listen()

    def stop(self) -> Deferred:
        self.held.clear()  # their connections go with go_offline
        return self.go_offline() if self._listening else maybeDeferred(lambda: None)

    # -- what a test waits for -----------------------------------------------------------
    def when(self, condition: Callable[[], bool]) -> Deferred:
        d: Deferred = Deferred()
        if condition():
            d.callback(None)
        else:
            self._waiters.append((condition, d))
        return d

    def when_requests(self, n: int) -> Deferred:
        return self.when(lambda: len(self.requests) >= n)

    def when_cases(self, n: int) -> Deferred:
        return self.when(lambda: len(self.cases) >= n)

    def _changed(self) -> None:
        still = []
        for condition, d in self._waiters:
            d.callback(None) if condition() else still.append((condition, d))
        self._waiters = still

    # -- the contract --------------------------------------------------------------------
    def create(self, key: str, payload) -> tuple[str, bool]:
        """(tracking id, created now?) for idempotency key `key`."""
        if key in self.cases:
            return self.cases[key], False
        tracking = f"{self._prefix}{next(self._numbers)}"
        self.cases[key] = tracking
        self.created.append(key)
        self.payloads[key] = payload
        self.set_status(tracking, "received")
        return tracking, True

    def set_status(self, tracking: str, status: str, status_text: str | None = None) -> dict:
        """Move a case (as a case worker would); what GET answers from now on."""
        entry = {"tracking_id": tracking, "status": status,
                 "updated_at": datetime.fromtimestamp(self.now(), timezone.utc).isoformat().replace("+00:00", "Z")}
        if status_text is not None:
            entry["status_text"] = status_text
        self.statuses[tracking] = entry
        return entry

    def hang_once(self, reference) -> bool:
        """With hang_first: True for the first request about `reference` (the complaint id)."""
        if not self.hang_first or reference in self._hung:
            return False
        self._hung.add(reference)
        return True

    def fault(self) -> str | None:
        """None, "before" (fail without a case) or "after" (create, then fail)."""
        if self.fail_ratio and self.rng.random() < self.fail_ratio:
            return self.rng.choice(("before", "after"))
        return None

    def answer(self, request, api: str, key: str | None, code: int, body: bytes, content_type: bytes,
               hold: bool = False, seen: dict | None = None):
        retry_after = self.retry_after if code in (429, 503) else None
        entry = {"api": api, "key": key, "code": None if hold else code, "at": self.now(),
                 "answered_at": None, "retry_after": retry_after, **(seen or {})}
        self.requests.append(entry)
        self._changed()
        if hold:
            self.held.append(request)
            return server.NOT_DONE_YET
        request.setResponseCode(code)
        request.setHeader(b"content-type", content_type)
        if retry_after is not None:
            request.setHeader(b"retry-after", retry_after.encode())
        if not self.latency_s:
            entry["answered_at"] = self.now()
            return body

        def finish():
            if not request._disconnected:
                entry["answered_at"] = self.now()
                request.write(body)
                request.finish()
        self.reactor.callLater(self.latency_s, finish)
        return server.NOT_DONE_YET


def _json(body: dict) -> bytes:
    return json.dumps(body).encode()


class _Complaints(resource.Resource):
    isLeaf = True

    def __init__(self, store: FakeCaseStore):
        super().__init__()
        self.store = store

    def render_GET(self, request):
        """`GET /complaints/{tracking_id}`: the case's status, 404 for a number not given."""
        s = self.store
        tracking = request.postpath[0].decode() if len(request.postpath) == 1 else None
        reply = lambda code, body, hold=False: s.answer(request, "status", tracking, code, _json(body),
                                                        b"application/json", hold)
        if s.status_fault == "hang" or s.status_hang_first > 0:
            s.status_hang_first = max(0, s.status_hang_first - 1)
            return reply(200, {}, hold=True)
        if s.outage_status is not None or s.status_fault is not None:
            return reply(s.outage_status or s.status_fault, {"error": "unavailable"})
        if request.getHeader(b"authorization") != f"Bearer {s.token}".encode():
            return reply(401, {"error": "bad token"})
        if tracking is None or tracking not in s.statuses:
            return reply(404, {"error": "no such case"})
        return reply(200, s.statuses[tracking])

    def render_POST(self, request):
        s = self.store
        key = (request.getHeader(b"idempotency-key") or b"").decode() or None
        reply = lambda code, body, hold=False: s.answer(request, "json", key, code, _json(body),
                                                        b"application/json", hold)
        if s.outage_status is not None:
            return reply(s.outage_status, {"error": "unavailable"})
        if request.getHeader(b"authorization") != f"Bearer {s.token}".encode():
            return reply(401, {"error": "bad token"})
        try:
            payload = json.loads(request.content.read())
        except ValueError:
            return reply(400, {"error": "not JSON"})
        missing = [f for f in REQUIRED if f not in payload]
        if key is None or missing or payload["id"] != key:
            return reply(400, {"error": f"missing {missing or 'Idempotency-Key'}"})
        seen = s.observe(key) if s.observe else {}
        refusal = s.reject(payload) if s.reject else None
        if refusal is not None:
            return reply(*refusal)
        if seen:
            reply = lambda code, body, hold=False: s.answer(request, "json", key, code, _json(body),
                                                            b"application/json", hold, seen)
        fault = s.fault()
        if fault == "before":
            return reply(500, {"error": "internal"})
        tracking, created = s.create(key, payload)
        if fault == "after":
            return reply(500, {"error": "internal, after commit"})
        if s.hang_once(key):
            return reply(201, {}, hold=True)
        return reply(201 if created else 200, {"tracking_id": tracking})


class _Stats(resource.Resource):
    """GET /stats: counts, for a benchmark whose store runs in another process."""

    isLeaf = True

    def __init__(self, store: FakeCaseStore):
        super().__init__()
        self.store = store

    def render_GET(self, request):
        requests = self.store.requests
        return _json({"requests": len(requests), "cases": len(self.store.cases),
                      "status_requests": sum(1 for r in requests if r["api"] == "status"),
                      "without_key": sum(1 for r in requests if not r["key"]),
                      "without_claim": sum(1 for r in requests if r.get("claimed") is False),
                      "claim_unknown": sum(1 for r in requests if "claimed" in r and r["claimed"] is None),
                      "first_without_claim": [r for r in requests if r.get("claimed") is False][:5]})


class _AddStream(resource.Resource):
    isLeaf = True

    def __init__(self, store: FakeCaseStore):
        super().__init__()
        self.store = store

    def render_POST(self, request):
        s = self.store
        text = request.content.read()
        try:
            root = ET.fromstring(text)
        except ET.ParseError:
            root = None
        reference = root.findtext("laporan/referensi") if root is not None else None
        reply = lambda code, body, hold=False: s.answer(request, "xml", reference, code, body.encode(),
                                                        b"text/xml", hold)
        if s.outage_status is not None:
            return reply(s.outage_status, "<response><status>gagal</status></response>")
        if root is None or root.tag != "lapor" or root.findtext("laporan/isi") is None:
            return reply(400, "<response><status>gagal</status><pesan>format salah</pesan></response>")
        if root.get("token") != s.token:
            # The legacy API reports a bad token as 200 with a message, not a case.
            return reply(200, "<response><status>gagal</status><pesan>token salah</pesan></response>")
        fault = s.fault()
        if fault == "before":
            return reply(500, "<response><status>gagal</status></response>")
        key = reference if (s.honour_reference and reference) else f"anon-{len(s.requests)}"
        tracking, _ = s.create(key, text.decode())
        if fault == "after":
            return reply(500, "<response><status>gagal</status></response>")
        if s.hang_once(reference):
            return reply(200, "", hold=True)
        transaction = 90_000 + len(s.requests)
        return reply(200, f"<?xml version='1.0'?><response><status>sukses</status><data>"
                          f"<trackingid>{tracking}</trackingid><transaksiid>{transaction}</transaksiid>"
                          f"</data></response>")


def claim_watcher(url: str) -> Callable[[str], dict]:
    """Whether the complaint a request is about is claimed by a live lease right now, read
    from the gateways' PostgreSQL (several instances must never forward unclaimed work)."""
    import psycopg
    conn = [None]

    def read(key: str):
        if conn[0] is None or conn[0].closed:
            conn[0] = psycopg.connect(url, autocommit=True, connect_timeout=2)
        return conn[0].execute("SELECT lease_owner, lease_until > now(), state,"
                               " extract(epoch from now() - lease_until) FROM complaints WHERE id = %s",
                               (key,)).fetchone()

    def watch(key: str) -> dict:
        try:
            row = read(key)
        except psycopg.OperationalError:   # the database restarting (a drill): not known
            conn[0] = None
            return {"claimed": None}
        return {"claimed": bool(row and row[0] and row[1]), "owner": row[0] if row else None,
                "state": row[2] if row else None, "expired_s": float(row[3]) if row and row[3] else None}
    return watch


def main() -> None:
    import argparse
    import sys

    from twisted.internet import reactor
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--status-hang-first", type=int, default=0, metavar="N",
                        help="hold the first N status look-ups unanswered (a CEK caught by a kill)")
    parser.add_argument("--claims-database", metavar="URL",
                        help="note for each request whether a gateway instance held the complaint's"
                             " claim at that moment (the gateway's PostgreSQL; /stats counts those without)")
    parser.add_argument("--send-event", metavar="URL", help="POST one signed status event to this"
                        " gateway URL (…/case-store/events), print the answer and exit (0 on 2xx)")
    parser.add_argument("--secret", help="the case_store_webhook_secret to sign it with")
    parser.add_argument("--tracking", help="the event's tracking_id")
    parser.add_argument("--status", help="the event's status")
    parser.add_argument("--status-text", help="the event's status_text")
    parser.add_argument("--event-id", help="the event's event_id (default: a new one)")
    args = parser.parse_args()
    if args.send_event:
        if not __package__:   # run as a file: the repository's root makes `tests` importable
            from pathlib import Path
            sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        from tests.forwarder.case_store_events import case_event, post_event
        outcome = {}

        def send():
            d = post_event(args.send_event, args.secret or "",
                           case_event(args.tracking, args.status, args.status_text, event_id=args.event_id))
            d.addCallback(lambda answer: outcome.update(code=answer[0], body=answer[1]))
            d.addErrback(lambda f: outcome.update(code=0, body=f.getErrorMessage()))
            d.addBoth(lambda _: reactor.stop())
        reactor.callWhenRunning(send)
        reactor.run()
        print(json.dumps(outcome), flush=True)
        sys.exit(0 if 200 <= outcome.get("code", 0) < 300 else 1)
    store = FakeCaseStore(reactor)
    store.port = args.port
    if args.claims_database:
        store.observe = claim_watcher(args.claims_database)
    store.latency_s = args.latency_ms / 1000
    store.status_hang_first = args.status_hang_first
    store.start()
    print(f"port {store.port}", flush=True)
    sys.stdout.flush()
    reactor.run()


if __name__ == "__main__":
    main()
