"""The legacy LAPOR! XML stream API: `POST {base_url}/api/stream/addstream`, one report each.

    <lapor token="…"><pelapor><telpon>+62…</telpon></pelapor>
      <laporan rahasia="0" anonim="1"><isi>raw text</isi><referensi>complaint id</referensi></laporan>
    </lapor>

answered with an XML document carrying `<trackingid>` and `<transaksiid>`. `<isi>` is the
citizen's whole text: the legacy system routes by its own keyword reading, as it did for
SMS 1708. The API has no idempotency header, so the complaint id travels in an extra
element (`reference_element`, default `referensi`) that a tolerant server can use to
recognise a retry; a server that ignores it may create a second case when a request
that timed out had in fact succeeded (docs/forwarding.md weighs that risk). With the
reference element, the finest place the text names travels as well, in the same
tolerated way: `<lokasi kode="33.26.05" tingkat="kecamatan">Talun</lokasi>`; the strict
format (`reference_element = ""`) has room for neither.

The legacy API has no way to ask where a case stands: `status` always fails
`StatusNotOffered` (the citizen's CEK is answered accordingly), and the legacy system
pushes no events either.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from twisted.internet.defer import fail, inlineCallbacks

from gateway.forwarder.base import CaseStore, PermanentFailure, StatusNotOffered
from gateway.forwarder.http_client import CaseStoreClient, failure_reason, raise_for_failure
from gateway.logging import get_logger
from gateway.model import Complaint, Receipt

log = get_logger(__name__)

USER_AGENT = "lapor-gateway/0.1"
# Characters XML 1.0 cannot carry at all; a handset can still send some of them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def report_xml(complaint: Complaint, token: str, *, anonymous: bool, rahasia: bool,
               reference_element: str) -> bytes:
    """The legacy request body for `complaint`."""
    message = complaint.message
    root = ET.Element("lapor", token=token)
    reporter = ET.SubElement(root, "pelapor")
    # The legacy API knew only SMS: other channels' addresses are not phone numbers.
    ET.SubElement(reporter, "telpon").text = message.sender if message.channel == "sms" else ""
    report = ET.SubElement(root, "laporan", rahasia="1" if rahasia else "0",
                           anonim="1" if anonymous else "0")
    ET.SubElement(report, "isi").text = _NOT_XML.sub("", message.text)
    if reference_element:
        ET.SubElement(report, reference_element).text = complaint.id
        place = complaint.routing.place if complaint.routing else None
        if place is not None:  # an extension too: only where extensions are sent at all
            ET.SubElement(report, "lokasi", kode=place.code, tingkat=place.level).text = place.name
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def read_answer(body: bytes) -> tuple[str | None, str | None]:
    """(trackingid, transaksiid) wherever they sit in the answer; None for what is missing."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None, None
    found: dict[str, str] = {}
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1].lower()
        if tag in ("trackingid", "transaksiid") and (element.text or "").strip():
            found.setdefault(tag, element.text.strip())
    return found.get("trackingid"), found.get("transaksiid")


class LaporXmlCaseStore(CaseStore):
    name = "lapor-xml"

    def __init__(self, reactor, base_url: str, token: str, *, connections: int,
                 connect_timeout_s: float = 10.0, anonymous: bool = True, rahasia: bool = False,
                 reference_element: str = "referensi"):
        self._reactor = reactor
        self._token = token
        self._options = {"anonymous": anonymous, "rahasia": rahasia,
                         "reference_element": reference_element}
        self._client = CaseStoreClient(
            reactor, base_url.rstrip("/") + "/api/stream/addstream", connections=connections,
            connect_timeout_s=connect_timeout_s, user_agent=USER_AGENT,
            headers={b"content-type": b"text/xml; charset=utf-8"})

    @inlineCallbacks
    def submit(self, complaint: Complaint):
        body = report_xml(complaint, self._token, **self._options)
        answer = yield self._client.post(body)
        raise_for_failure(answer, complaint, self._reactor.seconds())
        tracking_id, transaction_id = read_answer(answer.body)
        if tracking_id is None:
            # The legacy API reports some refusals as 200 with a message instead of a case.
            raise PermanentFailure(failure_reason(answer, complaint, " without a trackingid"))
        log.info("legacy case created", complaint=complaint.id, tracking_id=tracking_id,
                 transaction_id=transaction_id)
        return Receipt(complaint.id, tracking_id)

    def status(self, tracking_id: str):
        return fail(StatusNotOffered("the legacy LAPOR! XML API offers no status look-up"))

    def close(self):
        return self._client.close()
