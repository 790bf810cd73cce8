"""docs/case-store-api.yaml is a valid OpenAPI document, and what the gateway sends (and
the fake store answers) is what it says."""
import pytest_twisted
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename
from twisted.internet import reactor

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
