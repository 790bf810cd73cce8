"""Small pieces every twisted.web server of ours shares (channels, fakes, the ops server)."""
from __future__ import annotations

import json

from twisted.web import server


def quiet_site(root) -> server.Site:
    """A Site without per-request log lines: an access log would hold client addresses
    (personal data for some channels) and drown the journal."""
    site = server.Site(root)
    site.noisy = False
    site.log = lambda request: None
    return site


def json_response(request, status: int, body) -> bytes:
    """Set the status and content type, and return `body` as UTF-8 JSON."""
    request.setResponseCode(status)
    request.setHeader(b"content-type", b"application/json")
    return json.dumps(body, ensure_ascii=False).encode()
