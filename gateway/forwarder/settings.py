"""The `[forwarder]` config section and its adapters' subsections, with their checks.

    [forwarder]
    adapter = "http"               # "local" (embedded case store), "http" (JSON), "lapor-xml"
    [forwarder.http]
    base_url = "https://cases.lapor.go.id/v1"

The token is the secret case_store_token (not needed by the local adapter).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from gateway.config_schema import not_positive

TOKEN_SECRET = "case_store_token"
_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
_HTTP_URL = re.compile(r"https?://[^/\s]+")


@dataclass(frozen=True)
class LocalCaseStoreSettings:
    first_tracking_number: int = 1_000_001
    latency_ms: int = 0                 # pretend to be a remote case store (demos, drills)

    def problems(self) -> list[str]:
        found = [] if self.latency_ms >= 0 else [f"latency_ms: must not be negative, got {self.latency_ms}"]
        return found + not_positive(self, "first_tracking_number")


@dataclass(frozen=True)
class HttpCaseStoreSettings:
    base_url: str = ""                  # e.g. "https://cases.lapor.go.id/v1"; POST {base_url}/complaints
    connect_timeout_s: float = 10.0

    def problems(self) -> list[str]:
        return not_positive(self, "connect_timeout_s")


@dataclass(frozen=True)
class LaporXmlCaseStoreSettings:
    base_url: str = ""                  # POST {base_url}/api/stream/addstream
    connect_timeout_s: float = 10.0
    #: element carrying the complaint id inside <laporan>, so a retry can be recognised;
    #: "" sends the strict legacy format (see docs/forwarding.md for the residual risk)
    reference_element: str = "referensi"
    rahasia: bool = False               # mark reports confidential (rahasia="1")

    def problems(self) -> list[str]:
        element = self.reference_element
        found = [] if not element or _XML_NAME.match(element) else [
            f'reference_element: must be an XML element name or "", got {element!r}']
        return found + not_positive(self, "connect_timeout_s")


@dataclass(frozen=True)
class ForwarderSettings:
    adapter: Literal["local", "http", "lapor-xml"] = "local"
    concurrency: int = 20
    timeout_s: float = 30.0
    #: seconds a status look-up (the citizen's CEK) may take before "not available now"
    status_timeout_s: float = 5.0
    retry_initial_s: float = 1.0
    retry_max_s: float = 300.0
    #: temporary failures in a row (no answer between) after which the case store counts as down
    outage_after_failures: int = 5
    #: seconds between looks for `parsed` complaints the worker does not hold (admin retries)
    rescan_interval_s: float = 5.0
    anonymous: bool = True              # reports are anonymous toward the public side
    local: LocalCaseStoreSettings = field(default_factory=LocalCaseStoreSettings)
    http: HttpCaseStoreSettings = field(default_factory=HttpCaseStoreSettings)
    lapor_xml: LaporXmlCaseStoreSettings = field(default_factory=LaporXmlCaseStoreSettings)

    def problems(self) -> list[str]:
        """What is wrong with these settings, as `key: reason` (empty when fine)."""
        found = not_positive(self, "concurrency", "timeout_s", "status_timeout_s", "retry_initial_s",
                             "retry_max_s", "outage_after_failures", "rescan_interval_s")
        for key in ("local", "http", "lapor_xml"):
            found += [f"{key}.{problem}" for problem in getattr(self, key).problems()]
        adapter = self.adapter.replace("-", "_")
        if adapter != "local" and not _HTTP_URL.match(getattr(self, adapter).base_url):
            found.append(f"{adapter}.base_url: must be an http:// or https:// URL when [forwarder].adapter"
                         f" is {self.adapter!r}, got {getattr(self, adapter).base_url!r}")
        return found

    def required_secrets(self) -> list[str]:
        return [] if self.adapter == "local" else [TOKEN_SECRET]
