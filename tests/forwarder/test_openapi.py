"""docs/case-store-api.yaml is a valid OpenAPI document, and what the gateway sends (and
the fake store answers) is what it says — complaints, status look-ups, status events and
the gateway's answers to them."""
import json

import pytest_twisted
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename
from twisted.internet import reactor

from gateway.forwarder.http_json import HttpJsonCaseStore
from tests.forwarder.fake_case_store import FakeCaseStore
from tests.forwarder.harness import Harness
from tests.support import REPO

SPEC, _ = read_from_filename(str(REPO / "docs" / "case-store-api.yaml"))


def schema(name: str):
    return OAS31Validator({"$ref": f"#/components/schemas/{name}", "components": SPEC["components"]})


def test_the_document_validates():
    validate(SPEC)
    schema("Complaint").validate(SPEC["components"]["examples"]["Routed"]["value"])


@pytest_twisted.inlineCallbacks
def test_the_gateways_payloads_and_the_fakes_answers_follow_the_document(tmp_path):
    h = yield Harness(tmp_path).start()
    try:
        complaints = yield h.commit(3)
        h.forward(complaints)
        yield h.worker.settled().addTimeout(10, reactor)
        for payload in h.fake.payloads.values():
            schema("Complaint").validate(payload)
        for tracking in h.fake.cases.values():
            schema("Receipt").validate({"tracking_id": tracking})
    finally:
        yield h.stop()


def test_ambiguous_and_empty_payloads_follow_the_document():
    from gateway.forwarder.payload import case_payload
    from gateway.model import Complaint, ComplaintState, Message, Routing, RoutingStatus
    from tests.forwarder.harness import T0
    from gateway.reply_text import WORST_CANDIDATES
    ambiguous = Routing(RoutingStatus.AMBIGUOUS, "Sampah", None, WORST_CANDIDATES[1:])
    for routing in (ambiguous, Routing(RoutingStatus.UNROUTED, ""), None):
        message = Message("telegram", "123456789", "", "u-1", received_at=T0, channel_message_ids=("9",))
        schema("Complaint").validate(case_payload(Complaint("c-1", message, ComplaintState.PARSED, routing)))


def test_the_status_and_event_examples_follow_their_schemas():
    get = SPEC["paths"]["/complaints/{tracking_id}"]["get"]
    schema("CaseStatus").validate(get["responses"]["200"]["content"]["application/json"]["example"])
    push = SPEC["webhooks"]["caseStatusChanged"]["post"]
    schema("CaseEvent").validate(push["requestBody"]["content"]["application/json"]["example"])
    assert {p["name"] for p in push["parameters"]} == {"X-Lapor-Timestamp", "X-Lapor-Signature"}
    assert set(push["responses"]) == {"200", "400", "401", "413", "422", "503"}


@pytest_twisted.inlineCallbacks
def test_the_fakes_status_answers_and_events_and_the_gateways_answers_follow_the_document(tmp_path):
    from tests.forwarder.case_store_events import case_event
    from tests.updates.helpers import EventsGateway
    fake = FakeCaseStore(reactor).start()
    store = HttpJsonCaseStore(reactor, fake.base_url, fake.token, connections=1)
    gw = yield EventsGateway(tmp_path).start()
    try:
        tracking, _ = fake.create("c-1", {})
        fake.set_status(tracking, "in_progress", "Petugas sudah ke lokasi")
        answer = yield store._lookups.get(f"/{tracking}")
        assert answer.code == 200
        schema("CaseStatus").validate(json.loads(answer.body))
        schema("Error").validate(json.loads((yield store._lookups.get("/404")).body))
        _, ours = yield gw.complaint()
        event = case_event(ours, "resolved", "Sudah diperbaiki")
        schema("CaseEvent").validate(event)
        responses = SPEC["webhooks"]["caseStatusChanged"]["post"]["responses"]
        for sent, headers, status in ((event, None, 200), (event, {}, 401), (b"[]", None, 400),
                                      (case_event("0", "closed"), None, 422)):
            code, body = yield gw.post(sent, headers=headers)
            assert code == status
            reply = responses[str(code)]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            schema(reply).validate(body)
    finally:
        yield gw.stop()
        yield store.close()
        yield fake.stop()


def test_a_payload_with_a_place_follows_the_document():
    """Routing v2: the finest place named travels as the optional `place` object."""
    from gateway.forwarder.payload import case_payload
    from gateway.model import (Complaint, ComplaintState, Message, Place, Region, RegionLevel, Routing,
                               RoutingStatus)
    from tests.forwarder.harness import T0
    region = Region("33.26", "Kabupaten Pekalongan", RegionLevel.KABUPATEN)
    for place in (Place("33.26.05", "Talun", "kecamatan"), Place("33.26.05.2003", "Jatibaru", "desa"),
                  Place("33.26", "Kabupaten Pekalongan", "kabupaten")):
        routing = Routing(RoutingStatus.ROUTED, "Jalan rusak", region, (), place)
        message = Message("sms", "+6281200000001", "Jalan rusak", "k-1", received_at=T0)
        payload = case_payload(Complaint("c-1", message, ComplaintState.PARSED, routing))
        schema("Complaint").validate(payload)
        assert payload["place"] == place.to_json()
    bad = dict(payload, place={"code": "33.26.5", "name": "Talun", "level": "kecamatan"})
    try:
        schema("Complaint").validate(bad)
    except Exception:  # noqa: BLE001 - jsonschema's ValidationError
        return
    raise AssertionError("a malformed place code passed the schema")
