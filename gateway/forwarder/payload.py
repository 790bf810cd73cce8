"""The case as the central case store sees it: one JSON-ready dict per complaint.

Shared by every adapter so that all of them send the same facts. `place` is the finest
place the text names (a kabupaten/kota, kecamatan/distrik or desa/kelurahan inside `region`),
or null. The reporter's address
goes only here, in `reporter`; reports are anonymous toward the public by default.
"""
from __future__ import annotations

from gateway.model import Complaint


def case_payload(complaint: Complaint, anonymous: bool = True) -> dict:
    message, routing = complaint.message, complaint.routing
    return {
        "id": complaint.id,
        "channel": message.channel,
        "routing": routing.status.value if routing else "unrouted",
        "region": routing.region.to_json() if routing and routing.region else None,
        "place": routing.place.to_json() if routing and routing.place else None,
        "candidates": [c.to_json() for c in routing.candidates] if routing else [],
        "body": routing.body if routing else message.text,
        "raw_text": message.text,
        "received_at": message.received_at.isoformat().replace("+00:00", "Z"),
        "reporter": {"channel": message.channel, "address": message.sender, "anonymous": anonymous},
        "channel_message_ids": list(message.channel_message_ids),
        "flags": list(message.flags),
    }
