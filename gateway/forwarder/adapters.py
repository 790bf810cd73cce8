"""The case-store adapter `[forwarder].adapter` names, built from its section."""
from __future__ import annotations

from gateway.forwarder.base import CaseStore
from gateway.forwarder.settings import TOKEN_SECRET, ForwarderSettings


def build_case_store(settings: ForwarderSettings, secrets, database, reactor) -> CaseStore:
    """The configured adapter: the embedded case store (in our database), the JSON API or the
    legacy XML one; `secrets.get` gives the case-store token the remote ones need."""
    if settings.adapter == "local":
        from gateway.forwarder.local import LocalCaseStore
        return LocalCaseStore(database, reactor, settings.local.first_tracking_number,
                              settings.local.latency_ms, anonymous=settings.anonymous,
                              status_timeout_s=settings.status_timeout_s)
    token = secrets.get(TOKEN_SECRET).reveal()
    if settings.adapter == "http":
        from gateway.forwarder.http_json import HttpJsonCaseStore
        return HttpJsonCaseStore(reactor, settings.http.base_url, token, connections=settings.concurrency,
                                 connect_timeout_s=settings.http.connect_timeout_s,
                                 anonymous=settings.anonymous, status_timeout_s=settings.status_timeout_s)
    from gateway.forwarder.lapor_xml import LaporXmlCaseStore
    xml = settings.lapor_xml
    return LaporXmlCaseStore(reactor, xml.base_url, token, connections=settings.concurrency,
                             connect_timeout_s=xml.connect_timeout_s, anonymous=settings.anonymous,
                             rahasia=xml.rahasia, reference_element=xml.reference_element)
