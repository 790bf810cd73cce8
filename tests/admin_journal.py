"""Databases for the admin-command tests, made by `lapor-gateway db upgrade` and filled by
the journal's own writes — intake, routing, forwarding, dead letters, replies and their
outcomes — with complaint ids the test chooses (the journal draws them from uuid4)."""
from __future__ import annotations

import contextlib
import uuid
from datetime import datetime
from pathlib import Path
from unittest import mock

from gateway.journal import complaint_journal, intake_journal, reply_journal
from gateway.journal.database import make_engine
from gateway.model import Complaint, ComplaintState, Message, Region, RegionLevel, Routing, RoutingStatus
from gateway.reply_text import ReplyTemplates, ReplyWriter
from tests.support import MAPPING, cli_in_process, write_config

BANYUMAS = Region("33.02", "Kabupaten Banyumas", RegionLevel.KABUPATEN)
SEMARANG = Region("33.74", "Kota Semarang", RegionLevel.KOTA)
SURABAYA = Region("35.78", "Kota Surabaya", RegionLevel.KOTA)
WRITER = ReplyWriter(ReplyTemplates())


def admin_config(folder: Path, database_url: str = "") -> Path:
    """A config for the admin commands: the database at `database_url`, else SQLite in
    `folder`/state."""
    database = f"[database]\nurl = '{database_url}'\n" if database_url else ""
    return write_config(folder / "gateway.toml", f"[gateway]\nstate_directory = '{folder / 'state'}'\n"
                                                 f"[parser]\nmapping = '{MAPPING}'\n{database}")


def upgrade(config: Path) -> None:
    """`lapor-gateway db upgrade` (in this process: see `cli_in_process`)."""
    result = cli_in_process("db", "upgrade", "--config", config)
    assert result.returncode == 0, result.stderr


@contextlib.contextmanager
def journal_writes(url: str):
    """A connection to write with, committed at the end."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def receive(conn, complaint_id: str, channel: str, sender: str, text: str, received_at: datetime,
            region: Region | None = None, routed: bool = True) -> Complaint:
    """Accept a message as a channel would, with `complaint_id`: parsed and routed to
    `region` (the national desk when None), or just received when not `routed`."""
    routing = None
    if routed:
        routing = (Routing(RoutingStatus.ROUTED, text, region) if region
                   else Routing(RoutingStatus.UNROUTED, text))
    message = Message(channel, sender, text, f"key-{complaint_id}", received_at=received_at)
    with mock.patch.object(intake_journal.uuid, "uuid4", return_value=uuid.UUID(complaint_id)):
        (accepted,) = intake_journal.accept_messages(conn, [(message, routing)])
    assert accepted.complaint_id == complaint_id
    return Complaint(complaint_id, message, ComplaintState.PARSED if routed else ComplaintState.RECEIVED,
                     routing)


def forward(conn, complaint: Complaint, tracking: str | None = None) -> int:
    """Forward it as the worker does on the embedded case store's answer (a number of its
    own unless `tracking` is given); the id of the reply queued to the citizen."""
    if tracking is None:
        (number,) = complaint_journal.create_local_cases(conn, [(complaint.id, {}, 1_000_001)])
        tracking = str(number)
    kind, text = WRITER.for_complaint(complaint, tracking)
    (reply,) = complaint_journal.record_forwardeds(conn, [(complaint.id, tracking, kind, text)])
    return reply.id


def refuse(conn, complaint: Complaint) -> tuple[int, str]:
    """The case store refused it for good: a dead letter, its citizen's "held" reply
    queued. (the reply's id, its text)."""
    kind, text = WRITER.for_complaint(complaint, None)
    reply = complaint_journal.record_forward_failure(conn, complaint.id, "case store answered 400",
                                                     dead=True, next_attempt_at=None, reply=(kind, text))
    return reply.id, text


def reply_outcome(conn, reply_id: int, outcome: str) -> None:
    """Take a queued reply to `outcome` as a channel's bookkeeping does: sent (waiting for
    a receipt), delivered, failed (for good) or uncertain."""
    assert reply_journal.mark_replies_sending(conn, [reply_id]) == [True]
    if outcome in ("sent", "delivered"):
        reply_journal.record_replies_sent(conn, [(reply_id, f"ch-{reply_id}",
                                                  "delivered" if outcome == "delivered" else None)])
    elif outcome == "failed":
        reply_journal.record_reply_failure(conn, reply_id, "Forbidden: bot was blocked by the user",
                                           final=True)
    else:
        reply_journal.mark_uncertain(conn, reply_id, "link dropped mid-send")
