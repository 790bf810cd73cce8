"""The domain records that cross rooms: a channel's Message, the parser's Routing,
the pipeline's Complaint, the case store's Receipt, a Reply and its DeliveryReport.

Rooms (channels, parsers, forwarder, journal) meet only through these plain, immutable
records, so none of them needs to know how another is built.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone


class DatabaseUnavailable(Exception):
    """Our database could not commit: acknowledge nothing, let the upstream deliver again.
    (Here, among the records every room shares, so that the database raises it and the
    channels catch it without either importing the other.)"""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class RoutingStatus(str, enum.Enum):
    ROUTED = "routed"        # one region recognised
    AMBIGUOUS = "ambiguous"  # a name shared by several regions; goes to the national desk
    UNROUTED = "unrouted"    # no region keyword; goes to the national desk


class RegionLevel(str, enum.Enum):
    PROVINSI = "provinsi"
    KABUPATEN = "kabupaten"
    KOTA = "kota"


@dataclass(frozen=True)
class Region:
    code: str   # Kemendagri code: "33" (provinsi) or "33.75" (kabupaten/kota)
    name: str   # official name, e.g. "Kota Pekalongan"
    level: RegionLevel

    def to_json(self) -> dict:
        return {"code": self.code, "name": self.name, "level": self.level.value}


@dataclass(frozen=True)
class Place:
    """The finest place a complaint names: a kabupaten/kota, kecamatan/distrik or desa/kelurahan."""

    code: str    # Kemendagri code: "33.26", "33.26.05", "33.26.05.2003"
    name: str    # official name: "Kabupaten Pekalongan", "Talun", "Jatibaru"
    level: str   # kabupaten, kota, kecamatan, distrik, desa, kelurahan, desa_adat

    def to_json(self) -> dict:
        return {"code": self.code, "name": self.name, "level": self.level}


@dataclass(frozen=True)
class Routing:
    """What the parser made of a message's text: the region it goes to and the finest place
    it names (`place`, which may lie below the region, or be None)."""

    status: RoutingStatus
    body: str
    region: Region | None = None
    candidates: tuple[Region, ...] = ()
    place: Place | None = None

    def to_json(self) -> dict:
        return {
            "status": self.status.value,
            "region": self.region.to_json() if self.region else None,
            "place": self.place.to_json() if self.place else None,
            "candidates": [{"code": c.code, "name": c.name} for c in self.candidates],
            "body": self.body,
        }


@dataclass(frozen=True)
class Message:
    """One citizen message as a channel received it, before anything is decided about it.

    `dedup_key` is the channel's identity for the message: an upstream that delivers it
    again yields the same key, and the database turns the repeat into a duplicate.
    `sender` is personal data: it is stored, sent to the case store, and only ever
    logged pseudonymised.
    """

    channel: str
    sender: str
    text: str
    dedup_key: str
    received_at: datetime = field(default_factory=utcnow)
    recipient: str | None = None
    channel_message_ids: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()          # e.g. "partial" (a long SMS missing parts)
    reply_context: dict = field(default_factory=dict)  # what the channel needs to answer
    #: other keys under which an earlier copy of this message may be stored (e.g. the
    #: previous time bucket of a content key): finding one makes this a duplicate
    dedup_also: tuple[str, ...] = ()
    #: the dedup key is made of the words, sender and time (SMS: no id survives an SMSC's
    #: redelivery), so the same words sent again share it: a repeated command is then
    #: told from a redelivery by time and by what came between (`intake_journal`)
    keyed_by_content: bool = False
    #: held parts this message completes: deleted in the transaction that commits it
    parts_key: str | None = None
    raw_hex: str | None = None           # undecodable bytes, kept rather than dropped
    #: the channel's own answer (a bot's help text): the message is recorded and answered
    #: once, exactly like a complaint's reply, but it is not a complaint
    answer: str | None = None
    #: a citizen's command (cek, help, stop, start: `parsers/citizen_commands.py`): recorded,
    #: answered once, never a complaint; stop/start change the address's updates with it
    command: str | None = None


@dataclass(frozen=True)
class HeldPart:
    """One part of a long message, stored until its message is complete."""

    channel: str
    parts_key: str
    part_no: int
    part: dict                            # the channel's own description of the part
    received_at: datetime = field(default_factory=utcnow)
    #: a message that completed these parts after this moment makes this part a late copy
    #: of it (the SMSC delivering again what a crash left unacknowledged), not a new part
    completed_since: datetime | None = None
    #: how many parts its message has (0: unknown): with that many held in the database —
    #: some may have come through another instance — the part completes its message
    of: int = 0


class PartOutcome(str, enum.Enum):
    HELD = "held"              # stored, waiting for its siblings
    ALREADY_HELD = "already held"
    COMPLETED = "completed"    # its message is already committed: a late copy
    #: held, and with it every part of its message is in the database (the others came
    #: through other binds or instances): the caller commits the message from there
    COMPLETES = "completes"


class ComplaintState(str, enum.Enum):
    RECEIVED = "received"    # message committed, not yet parsed
    PARSED = "parsed"        # routing decided, not yet accepted by the case store
    FORWARDED = "forwarded"  # the case store gave a tracking number; reply queued
    DEAD = "dead"            # the case store refused it for good; an admin must act


class ReplyState(str, enum.Enum):
    QUEUED = "queued"
    SENDING = "sending"      # intent committed, the call to the channel under way
    SENT = "sent"            # the channel accepted it; waiting for a delivery report
    DELIVERED = "delivered"
    FAILED = "failed"
    #: the call may or may not have reached the citizen (a crash or a dropped link
    #: mid-send): the channel settles it (receipt, look-up) or an admin resends it
    UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class Complaint:
    id: str                  # stable id, also the case store's idempotency key
    message: Message
    state: ComplaintState
    routing: Routing | None = None
    tracking_id: str | None = None


@dataclass(frozen=True)
class AcceptResult:
    """What `accept` tells a channel once the message is committed.

    For a message that carries its own `answer`, `complaint_id` is "" and `answer` is the
    queued reply (None for a duplicate: it was answered, or queued, before)."""

    complaint_id: str
    duplicate: bool
    tracking_id: str | None = None
    answer: "Reply | None" = None
    #: the stored message's row id, for a command answered after its commit (CEK)
    message_id: int | None = None


@dataclass(frozen=True)
class Receipt:
    """The case store's acknowledgement of one complaint."""

    complaint_id: str
    tracking_id: str


@dataclass(frozen=True)
class Reply:
    id: int
    complaint_id: str | None   # None for a channel's own answer to a message
    channel: str
    recipient: str
    text: str
    reply_context: dict = field(default_factory=dict)
    attempts: int = 0          # sends that failed (or went out) while the channel could deliver
    resends: int = 0           # sends after an uncertain outcome
    #: when the intent of the send now in doubt was committed (None: never sent)
    sending_at: datetime | None = None


@dataclass(frozen=True)
class DeliveryReport:
    """A channel's news about a reply it sent: final or not (e.g. SMS ENROUTE)."""

    channel: str
    channel_message_id: str
    status: str              # channel's word: DELIVRD, UNDELIV, EXPIRED, ...
    delivered: bool
    final: bool = True
    #: other forms of the id, tried when no reply has `channel_message_id` itself
    #: (an SMSC may report in decimal the id it returned in hex)
    alternate_ids: tuple[str, ...] = ()
    #: a report that matches no reply yet is parked durably when the channel says whom it
    #: is about (`address`) and how the reply began (`snippet`): an early receipt, or the
    #: proof that a reply whose send was in doubt did go out
    address: str | None = None
    snippet: str | None = None

