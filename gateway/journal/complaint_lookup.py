"""Finding a complaint by what people quote: its id, the case store's tracking number
(`#1000001` or `1000001`, as the citizen's reply showed it), or the gateway's own
reference — the start of its id, 6 hex characters or more (the "held" reply of a
complaint the case store has not numbered quotes 8, see `reply_text.gateway_reference`).

Every reading that fits is tried and every complaint that answers is returned, each
with how it matched: a number that is a tracking number and also the start of another
complaint's id is ambiguous, never settled by a guess — `complaints show` prints one
citizen's personal data and must not print another's. A leading `#` says the key is a
tracking number and nothing else; a full id is unique and answers alone.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from gateway.journal.tables import complaints, messages

#: the shortest id prefix taken as a reference (shorter ones would name many complaints)
MIN_REFERENCE = 6
#: at most this many complaints of each kind of match are returned
MAX_CANDIDATES = 20

_REFERENCE = re.compile(r"[0-9a-f][0-9a-f-]{%d,35}" % (MIN_REFERENCE - 1))


@dataclass(frozen=True)
class Found:
    """A complaint a key names, and how: "id", "tracking number" or "reference"."""

    complaint_id: str
    how: str


def find_complaints(conn: Connection, key: str) -> list[Found]:
    """The complaints `key` names: tracking-number matches first, then id prefixes, each
    by id; empty when none does."""
    key = key.strip()
    if key.startswith("#"):
        return _by_tracking(conn, key[1:].strip())
    lowered = key.lower()
    if conn.execute(select(complaints.c.id).where(complaints.c.id == lowered)).first():
        return [Found(lowered, "id")]
    found = {f.complaint_id: f for f in _by_reference(conn, lowered)}
    found |= {f.complaint_id: f for f in _by_tracking(conn, key)}   # the likelier reading
    return sorted(found.values(), key=lambda f: (f.how != "tracking number", f.complaint_id))


def _by_tracking(conn: Connection, number: str) -> list[Found]:
    if not number:
        return []
    rows = conn.execute(select(complaints.c.id).where(complaints.c.tracking_id == number)
                        .order_by(complaints.c.id).limit(MAX_CANDIDATES))
    return [Found(r.id, "tracking number") for r in rows]


def _by_reference(conn: Connection, prefix: str) -> list[Found]:
    if not _REFERENCE.fullmatch(prefix) or len(prefix.replace("-", "")) < MIN_REFERENCE:
        return []
    rows = conn.execute(select(complaints.c.id).where(complaints.c.id.startswith(prefix, autoescape=True))
                        .order_by(complaints.c.id).limit(MAX_CANDIDATES))
    return [Found(r.id, "reference") for r in rows]


# -- a citizen asking about their own cases (CEK) ------------------------------------------
def case_filed_by(conn: Connection, tracking_id: str, channel: str, sender: str) -> str | None:
    """The case's number as the case store wrote it when the case numbered `tracking_id`
    (in whatever letter case the citizen typed it) was filed from this address, else None:
    only then is its status told (anyone else hears "not found", exactly as for a number
    that does not exist)."""
    written = {tracking_id, tracking_id.upper(), tracking_id.lower()}
    return conn.execute(select(complaints.c.tracking_id).join(messages, messages.c.id == complaints.c.message_id)
                        .where(complaints.c.tracking_id.in_(written), messages.c.channel == channel,
                               messages.c.sender == sender).limit(1)).scalar()


def cases_filed_by(conn: Connection, channel: str, sender: str, limit: int = 3) -> list[str]:
    """The tracking numbers of this address's newest cases (those the case store numbered)."""
    return list(conn.execute(select(complaints.c.tracking_id)
                             .join(messages, messages.c.id == complaints.c.message_id)
                             .where(messages.c.channel == channel, messages.c.sender == sender,
                                    complaints.c.tracking_id.is_not(None))
                             .order_by(complaints.c.created_at.desc()).limit(limit)).scalars())
