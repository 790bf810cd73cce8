"""What the bundled SMSC records about the deliver_sm it must see acknowledged and the
submit_sm it accepted — kept apart from the simulator so that the records a test or
the CLI's logs read are in one small module.

Each record names the connection (`SmscProtocol.number`, 1 for the first connection
the simulator accepted, then 2, …) that answered or submitted: with several receiving
binds the SMSC deals its deliver_sm over all of them (dealing.py), and a test of
several gateway instances needs to see which bind took what.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.channels.smpp.concat import segment_of
from gateway.channels.smpp.text import decode_text
from gateway.smsc_sim.mo import MoSpec


@dataclass
class Delivery:
    """One deliver_sm the SMSC must see acknowledged."""

    id: int
    kind: str                 # "mo" or "receipt"
    fields: dict[str, Any]
    message_no: int = 0       # the logical MO it is a part of
    attempts: int = 0
    acknowledged: bool = False
    sent_at: float = 0.0      # clock time of the latest attempt
    connection: int = 0       # the connection of the latest attempt


@dataclass(frozen=True)
class AcknowledgedMo:
    """A logical MO whose every part the gateway answered with ESME_ROK."""

    message_no: int
    sender: str
    recipient: str
    text: str
    parts: int
    attempts: int             # the most deliveries any part needed
    #: the connection that acknowledged each part, in part order
    connections: tuple[int, ...] = ()

    def record(self) -> dict[str, Any]:
        """The MO as a JSON-ready dict (the CLI's --ack-log line; no phone number)."""
        return {"message_no": self.message_no, "text": self.text, "attempts": self.attempts,
                "connections": list(self.connections)}


@dataclass(frozen=True)
class SubmittedMessage:
    message_id: str
    source_addr: str
    destination_addr: str
    short_message: bytes
    data_coding: int
    esm_class: int
    registered_delivery: int
    fields: dict = field(default_factory=dict, compare=False)
    at: float = field(default=0.0, compare=False)   # clock time it was accepted
    connection: int = field(default=0, compare=False)   # the connection it came on

    @property
    def text(self) -> str:
        """The text the citizen will read in this part (UDH or SAR stripped)."""
        segment = segment_of(self.fields, "")
        return decode_text(segment.payload, self.data_coding).text

    @property
    def part(self) -> str | None:
        """"i/n" for a part of a concatenated message (UDH or SAR), else None."""
        segment = segment_of(self.fields, "")
        return None if segment.single else f"{segment.seqnum}/{segment.total}"

    def record(self) -> dict[str, Any]:
        """The submit as a JSON-ready dict (the CLI's --submit-log line)."""
        line = {"message_id": self.message_id, "destination_addr": self.destination_addr,
                "source_addr": self.source_addr, "text": self.text, "at": self.at,
                "connection": self.connection}
        if self.part is not None:
            line["part"] = self.part
        return line


@dataclass
class MoProgress:
    """A logical MO on its way: the parts acknowledged so far (delivery id →
    the connection that answered it)."""

    spec: MoSpec
    parts: int
    acked: dict[int, int] = field(default_factory=dict)
    attempts: int = 0

    def acknowledged(self, message_no: int) -> AcknowledgedMo:
        spec = self.spec
        connections = tuple(self.acked[key] for key in sorted(self.acked))
        return AcknowledgedMo(message_no, spec.sender, spec.recipient, spec.text,
                              self.parts, self.attempts, connections)
