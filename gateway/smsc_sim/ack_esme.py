"""A trivial ESME that binds and acknowledges every deliver_sm at once, with nothing
behind it: the peer against which the load mode's ceiling is measured.

    python -m gateway.smsc_sim.ack_esme --port 2775 [--max-seconds 120]

It is plain asyncio with a struct header read and one write per read, so that the
load generator, not this ESME, is what runs out of CPU. It answers enquire_link,
leaves when the SMSC closes the connection (or after --max-seconds), and prints one
JSON line: {"event": "ack-esme done", "acked": N}. It sends nothing else: no replies,
so no cycles.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import struct
import sys

_HEADER = struct.Struct(">LLLL")
_RESP = struct.Struct(">LLLLB")          # deliver_sm_resp: header and an empty message_id
DELIVER_SM = 0x00000005
DELIVER_SM_RESP = 0x80000005
ENQUIRE_LINK = 0x00000015
ENQUIRE_LINK_RESP = 0x80000015
BIND_TRANSCEIVER_RESP = 0x80000009


def bind_transceiver(system_id: str, password: str, sequence: int = 1) -> bytes:
    body = (system_id.encode() + b"\0" + password.encode() + b"\0" + b"\0"
            + bytes((0x34, 0, 0)) + b"\0")      # system_type, version, ton, npi, range
    return _HEADER.pack(16 + len(body), 0x00000009, 0, sequence) + body


class AckEsme(asyncio.Protocol):
    """Binds as a transceiver on connect; `bound` and `closed` are futures; `acked`
    counts the deliver_sm answered."""

    def __init__(self, system_id: str = "lapor", password: str = "secret"):
        self.system_id, self.password = system_id, password
        loop = asyncio.get_event_loop()
        self.bound: asyncio.Future = loop.create_future()
        self.closed: asyncio.Future = loop.create_future()
        self.acked = 0
        self.transport = None
        self._rest = b""

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(bind_transceiver(self.system_id, self.password))

    def connection_lost(self, exc) -> None:
        if not self.closed.done():
            self.closed.set_result(self.acked)
        if not self.bound.done():
            self.bound.set_exception(ConnectionError("closed before bind_transceiver_resp"))

    def data_received(self, data: bytes) -> None:
        if self._rest:
            data = self._rest + data
        out, pos, end = [], 0, len(data)
        unpack, resp = _HEADER.unpack_from, _RESP.pack
        acked = 0
        while end - pos >= 16:
            length, command_id, status, sequence = unpack(data, pos)
            if length < 16:
                self.transport.abort()
                return
            if end - pos < length:
                break
            if command_id == DELIVER_SM:
                out.append(resp(17, DELIVER_SM_RESP, 0, sequence, 0))
                acked += 1
            elif command_id == ENQUIRE_LINK:
                out.append(_HEADER.pack(16, ENQUIRE_LINK_RESP, 0, sequence))
            elif command_id == BIND_TRANSCEIVER_RESP and not self.bound.done():
                if status == 0:
                    self.bound.set_result(None)
                else:
                    self.bound.set_exception(ConnectionError(f"bind refused: 0x{status:08x}"))
            pos += length
        self._rest = data[pos:]
        self.acked += acked
        if out:
            self.transport.write(b"".join(out))


async def serve(port: int, system_id: str, password: str, max_seconds: float) -> int:
    loop = asyncio.get_running_loop()
    _transport, esme = await loop.create_connection(
        lambda: AckEsme(system_id, password), "127.0.0.1", port)
    try:
        await asyncio.wait_for(esme.bound, min(max_seconds, 30.0))
        await asyncio.wait_for(asyncio.shield(esme.closed), max_seconds)
    except asyncio.TimeoutError:
        esme.transport.close()
    return esme.acked


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--system-id", default="lapor")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--max-seconds", type=float, default=600.0)
    args = parser.parse_args(argv)
    acked = asyncio.run(serve(args.port, args.system_id, args.password, args.max_seconds))
    print(json.dumps({"event": "ack-esme done", "acked": acked}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
