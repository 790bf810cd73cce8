"""A case's status at the central case store, as records that cross rooms: `CaseStatus`
(what a look-up answers: CEK / STATUS), `CaseEvent` (a change the case store pushes),
and the status vocabulary both speak.

The vocabulary follows the stages a LAPOR! report walks (docs/case-store-api.yaml):

    received     diterima, belum diverifikasi — waiting for LAPOR!'s verification
    verified     terverifikasi — checked by a LAPOR! admin
    assigned     didisposisikan — handed to the agency (instansi) responsible
    in_progress  ditindaklanjuti — the agency is working on it
    resolved     selesai ditindaklanjuti — the agency has answered / acted
    closed       selesai — the case is closed
    rejected     diarsipkan / ditolak — not processed (not a complaint, out of scope)

A case store may speak statuses beyond these: they are kept as sent (normalised to
lower case, `-` as `_`) and answered with the case store's own `status_text`.
Here, with no dependency, so that the forwarder (which looks statuses up), the
webhook (which receives events), the journal and the commands share them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

#: the statuses the gateway knows, in the order a case walks them
STATUSES = ("received", "verified", "assigned", "in_progress", "resolved", "closed", "rejected")
#: what the embedded case store says of a case nobody has moved yet
INITIAL_STATUS = "received"
#: what a status may look like as a case store sends it (before normalising)
_STATUS_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}\Z")


def normalised_status(value: object) -> str | None:
    """`value` as a status of the vocabulary's form (`In-Progress` → `in_progress`), or
    None when it is not a short word of letters, digits, `_` and `-`."""
    if not isinstance(value, str) or not _STATUS_SHAPE.match(value):
        return None
    return value.lower().replace("-", "_")


@dataclass(frozen=True)
class CaseStatus:
    """Where a case stands, as its case store answers a look-up."""

    tracking_id: str
    status: str                       # one of STATUSES, or the case store's own word
    status_text: str | None = None    # the case store's words for it, if it gave any
    updated_at: datetime | None = None

    @property
    def known(self) -> bool:
        return self.status in STATUSES


@dataclass(frozen=True)
class CaseEvent:
    """A change of a case's status the case store pushed (or the embedded store made):
    recorded once per `event_id`, then told to the citizen."""

    event_id: str
    tracking_id: str
    status: str
    status_text: str | None
    occurred_at: datetime
