"""The database's tables: the journal every stage of a complaint is written to.

A message row is what a channel committed; its complaint row walks the states of
`ComplaintState`; replies walk `ReplyState`. Uniqueness constraints do the
deduplication: a redelivered message hits (channel, dedup_key), a second forward of
the same complaint hits the local case store's idempotency key.
"""
from sqlalchemy import (JSON, Boolean, Column, DateTime, ForeignKey, Index, Integer, MetaData,
                        String, Table, Text, UniqueConstraint)

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

Timestamp = DateTime(timezone=True)

messages = Table(
    "messages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(32), nullable=False),
    Column("dedup_key", String(255), nullable=False),
    Column("sender", String(255), nullable=False),
    Column("recipient", String(255)),
    Column("text", Text, nullable=False),
    Column("received_at", Timestamp, nullable=False),
    Column("channel_message_ids", JSON, nullable=False),
    Column("flags", JSON, nullable=False),
    Column("reply_context", JSON, nullable=False),
    Column("raw_hex", Text),  # the bytes of a message no known coding could decode
    Column("parts_key", String(255)),  # the held parts it completed (late copies are known)
    Column("command", String(16)),     # cek, help, stop, start: a command, not a complaint
    UniqueConstraint("channel", "dedup_key", name="uq_messages_channel_dedup_key"),
    Index("ix_messages_channel_parts_key", "channel", "parts_key"),
    Index("ix_messages_channel_sender", "channel", "sender"),   # an address's messages (CEK)
)

complaints = Table(
    "complaints", metadata,
    Column("id", String(36), primary_key=True),
    Column("message_id", Integer, ForeignKey("messages.id"), nullable=False, unique=True),
    Column("state", String(16), nullable=False, index=True),
    Column("routing_status", String(16)),
    Column("region_code", String(16)),
    Column("region_name", String(128)),
    Column("region_level", String(16)),
    Column("candidates", JSON),
    Column("place", JSON),   # the finest place the text names: {code, name, level}, or NULL
    Column("body", Text),
    Column("tracking_id", String(64), index=True),
    Column("forward_attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("next_attempt_at", Timestamp),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    # which instance forwards it, until when (see journal/leases.py)
    Column("lease_owner", String(64)),
    Column("lease_until", Timestamp),
)

replies = Table(
    "replies", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # A complaint's reply, or (complaint_id NULL) the bot's own answer to `message_id`.
    Column("complaint_id", String(36), ForeignKey("complaints.id"), nullable=True, index=True),
    Column("message_id", Integer, ForeignKey("messages.id"), nullable=True, index=True, unique=True),
    Column("kind", String(16), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("recipient", String(255), nullable=False),
    Column("text", Text, nullable=False),
    Column("reply_context", JSON, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("channel_message_id", String(128)),
    Column("delivery_status", String(32)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("sending_at", Timestamp),   # when the intent of the current send was committed
    Column("resends", Integer, nullable=False, default=0, server_default="0"),  # after doubt
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    # which instance sends or settles it, until when (see journal/leases.py)
    Column("lease_owner", String(64)),
    Column("lease_until", Timestamp),
    Index("ix_replies_channel_message", "channel", "channel_message_id"),
)

# What servers told us to respect (a pause until a moment, a request budget), by key,
# so that a restart does not forget a rate limit (see `gateway/hints.py`).
hints = Table(
    "hints", metadata,
    Column("key", String(128), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)

# Delivery receipts that named no reply yet: an early receipt (before the submit's
# bookkeeping), or one for a reply whose send was in doubt. Kept durably so that a crash
# cannot lose the proof that a reply went out.
parked_receipts = Table(
    "parked_receipts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(32), nullable=False),
    Column("channel_message_id", String(128), nullable=False),
    Column("alternate_ids", JSON, nullable=False),
    Column("status", String(32), nullable=False),
    Column("delivered", Boolean, nullable=False),
    Column("final", Boolean, nullable=False),
    Column("address", String(64)),    # who the reply went to (the receipt's source_addr)
    Column("snippet", String(64)),    # the start of the reply's text, as the receipt quotes it
    Column("received_at", Timestamp, nullable=False),
    Index("ix_parked_receipts_channel_address", "channel", "address"),
)

cursors = Table(
    "cursors", metadata,
    Column("channel", String(64), primary_key=True),
    Column("value", String(255), nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)

# Parts of long messages, held until the last one arrives (then deleted in the
# transaction that commits the whole message). `part` is the channel's own record.
message_parts = Table(
    "message_parts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(32), nullable=False),
    Column("parts_key", String(255), nullable=False),
    Column("part_no", Integer, nullable=False),
    Column("part", JSON, nullable=False),
    Column("received_at", Timestamp, nullable=False),
    # which instance commits them as a partial message after the timeout, until when
    Column("lease_owner", String(64)),
    Column("lease_until", Timestamp),
    UniqueConstraint("channel", "parts_key", "part_no", name="uq_message_parts_channel"),
)

# Jobs only one instance may run at a time (polling X mentions, Telegram getUpdates):
# who runs each, until when it holds it without renewing (see gateway/leadership.py).
leaderships = Table(
    "leaderships", metadata,
    Column("name", String(64), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("until", Timestamp, nullable=False),
    Column("since", Timestamp, nullable=False),
)

# The embedded case store: a stand-in for the central one, in the same database.
local_cases = Table(
    "local_cases", metadata,
    Column("tracking_number", Integer, primary_key=True, autoincrement=False),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("payload", JSON, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    # the embedded store's status of the case (`complaints set-status`)
    Column("status", String(32)),
    Column("status_text", Text),
    Column("status_at", Timestamp),
)

# Addresses that sent STOP on a channel: complaints still accepted, no status updates.
opt_outs = Table(
    "opt_outs", metadata,
    Column("channel", String(32), primary_key=True),
    Column("address", String(255), primary_key=True),
    Column("since", Timestamp, nullable=False),
)

# Status events the case store pushed (POST /case-store/events), committed before the 2xx;
# the event id makes a replay a no-op.
case_events = Table(
    "case_events", metadata,
    Column("event_id", String(128), primary_key=True),
    Column("tracking_id", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_text", Text),
    Column("occurred_at", Timestamp, nullable=False),
    Column("received_at", Timestamp, nullable=False),
    Column("complaint_id", String(36), ForeignKey("complaints.id"), index=True),
    # queued, or why the citizen was not told: stopped, capped, superseded, unchanged
    Column("notice", String(16)),
    Column("reply_id", Integer, ForeignKey("replies.id")),
)
