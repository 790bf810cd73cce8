"""The application behind Kannel in benchmarks/kannel_peer: what Kannel's smsbox
calls for every MO (sms-service get-url) and for every delivery report (dlr-url).

    python benchmarks/support/kannel_app.py      # prints {"event": "kannel-app listening", "port": N}

GET /mo answers text/plain "LAPOR! Aduan diterima, nomor #<n>" — smsbox sends it back
to the citizen as the reply SMS; GET /dlr is counted and answered "ok"; GET /stats
gives the counts as JSON. It plays the part the central case store plays for the
gateway, at no cost: plain asyncio, HTTP/1.1 with kept-alive connections, a canned
answer, so that Kannel, not this app, is what is measured.
"""
from __future__ import annotations

import asyncio
import json
import sys

FIRST_NUMBER = 5_000_001
MAX_HEAD = 16_384


class Counts:
    def __init__(self):
        self.mo = 0
        self.dlr = 0
        self.other = 0


def _response(body: bytes, content_type: bytes = b"text/plain", status: bytes = b"200 OK") -> bytes:
    return (b"HTTP/1.1 " + status + b"\r\nContent-Type: " + content_type
            + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


class KannelApp(asyncio.Protocol):
    def __init__(self, counts: Counts):
        self.counts = counts
        self.transport = None
        self._buffer = b""

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        out, close = [], False
        while not close:
            request = self._take_request()
            if request is None:
                break
            target, close = request
            out.append(self._answer(target))
        if out:
            self.transport.write(b"".join(out))
        if close or len(self._buffer) > MAX_HEAD:
            self.transport.close()

    def _take_request(self) -> tuple[str, bool] | None:
        """(target, close after it) of the first whole request in the buffer, taken
        out of it; None while it is incomplete."""
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        lines = self._buffer[:end].decode("latin-1").split("\r\n")
        body_length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                body_length = int(value or 0)
            elif name == "connection":
                close = value == "close"
        if len(self._buffer) < end + 4 + body_length:
            return None
        self._buffer = self._buffer[end + 4 + body_length:]
        parts = lines[0].split(" ")
        return (parts[1] if len(parts) > 1 else "/"), close

    def _answer(self, target: str) -> bytes:
        counts = self.counts
        path = target.split("?", 1)[0]
        if path == "/mo":
            number = FIRST_NUMBER + counts.mo
            counts.mo += 1
            return _response(b"LAPOR! Aduan diterima, nomor #%d" % number)
        if path == "/dlr":
            counts.dlr += 1
            return _response(b"ok")
        if path == "/stats":
            return _response(json.dumps(vars(counts)).encode(), b"application/json")
        counts.other += 1
        return _response(b"not found", status=b"404 Not Found")


async def serve() -> None:
    loop = asyncio.get_running_loop()
    counts = Counts()
    server = await loop.create_server(lambda: KannelApp(counts), "127.0.0.1", 0, backlog=512)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"event": "kannel-app listening", "port": port}), flush=True)
    async with server:
        await server.serve_forever()


def main() -> int:
    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
