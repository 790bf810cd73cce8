"""The config checks for forwarding and its replies, run at config load (exit 78 on a problem).

Kept beside the adapters they protect so that `config.py` stays a list of settings: an
adapter without a usable base URL, a timing that is not positive, or a reply template
that would not fit one SMS with the longest tracking number and region name.
"""
from __future__ import annotations

import re

from gateway.config_schema import ConfigError

_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")


def check_forwarding(settings) -> None:
    source, fwd, replies = settings.source, settings.forwarder, settings.replies

    def fail(key: str, problem: str):
        raise ConfigError(f"{source}: {key} {problem}")

    for key, value in (("outage_after_failures", fwd.outage_after_failures),
                       ("rescan_interval_s", fwd.rescan_interval_s), ("timeout_s", fwd.timeout_s),
                       ("retry_initial_s", fwd.retry_initial_s), ("retry_max_s", fwd.retry_max_s)):
        if value <= 0:
            fail(f"[forwarder].{key}", f"must be greater than 0, got {value}")
    sections = {"http": ("[forwarder.http]", fwd.http), "lapor-xml": ("[forwarder.lapor_xml]", fwd.lapor_xml)}
    for name, (section, sub) in sections.items():
        if sub.connect_timeout_s <= 0:
            fail(f"{section}.connect_timeout_s", f"must be greater than 0, got {sub.connect_timeout_s}")
        if fwd.adapter == name and not re.match(r"https?://[^/\s]+", sub.base_url):
            fail(f"{section}.base_url", f"must be an http:// or https:// URL when [forwarder].adapter"
                                        f" is {name!r}, got {sub.base_url!r}")
    element = fwd.lapor_xml.reference_element
    if element and not _XML_NAME.match(element):
        fail("[forwarder.lapor_xml].reference_element", f"must be an XML element name or \"\", got"
                                                        f" {element!r}")

    if replies.tracking_id_max_length <= 0:
        fail("[replies].tracking_id_max_length", "must be greater than 0")
    if replies.duplicate_max_replies < 0 or replies.duplicate_quiet_s < 0:
        fail("[replies].duplicate_max_replies", "and duplicate_quiet_s must not be negative")
    from gateway.reply_text import template_problems  # the parser's name rules come with it
    problems = template_problems(replies.templates, replies.tracking_id_max_length)
    if problems:
        key, problem = problems[0]
        fail(f"[replies.templates].{key}", problem)
