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


class LimitedRequest(server.Request):
    """A request whose body is kept only up to `max_body` bytes: past that nothing more is
    stored (a client cannot fill memory or disk through us) and `body_too_large` is set,
    for the resource to answer 413. twisted.web alone would buffer any body whole."""

    max_body = 1024 * 1024
    body_too_large = False
    _body_bytes = 0

    def gotLength(self, length):
        if length is not None and length > self.max_body:
            self.body_too_large = True
            length = 0   # a small in-memory buffer: nothing will be kept in it
        super().gotLength(length)

    def handleContentChunk(self, data):
        if self.body_too_large:
            return
        self._body_bytes += len(data)
        if self._body_bytes > self.max_body:   # no Content-Length (chunked): found out as it comes
            self.body_too_large = True
            return
        super().handleContentChunk(data)
