"""The initial journal: messages, complaints, replies, cursors and the local case store.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("dedup_key", sa.String(255), nullable=False),
        sa.Column("sender", sa.String(255), nullable=False),
        sa.Column("recipient", sa.String(255)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("received_at", Timestamp, nullable=False),
        sa.Column("channel_message_ids", sa.JSON, nullable=False),
        sa.Column("flags", sa.JSON, nullable=False),
        sa.Column("reply_context", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.UniqueConstraint("channel", "dedup_key", name="uq_messages_channel_dedup_key"),
    )
    op.create_table(
        "complaints",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("message_id", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("routing_status", sa.String(16)),
        sa.Column("region_code", sa.String(16)),
        sa.Column("region_name", sa.String(128)),
        sa.Column("region_level", sa.String(16)),
        sa.Column("candidates", sa.JSON),
        sa.Column("body", sa.Text),
        sa.Column("tracking_id", sa.String(64)),
        sa.Column("forward_attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("next_attempt_at", Timestamp),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_complaints"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"],
                                name="fk_complaints_message_id_messages"),
        sa.UniqueConstraint("message_id", name="uq_complaints_message_id"),
    )
    op.create_index("ix_complaints_state", "complaints", ["state"])
    op.create_table(
        "replies",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("complaint_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(255), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("reply_context", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("channel_message_id", sa.String(128)),
        sa.Column("delivery_status", sa.String(32)),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_replies"),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"],
                                name="fk_replies_complaint_id_complaints"),
    )
    op.create_index("ix_replies_complaint_id", "replies", ["complaint_id"])
    op.create_index("ix_replies_state", "replies", ["state"])
    op.create_index("ix_replies_channel_message", "replies", ["channel", "channel_message_id"])
    op.create_table(
        "cursors",
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("channel", name="pk_cursors"),
    )
    op.create_table(
        "local_cases",
        sa.Column("tracking_number", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("tracking_number", name="pk_local_cases"),
        sa.UniqueConstraint("idempotency_key", name="uq_local_cases_idempotency_key"),
    )


def downgrade() -> None:
    for table in ("local_cases", "cursors", "replies", "complaints", "messages"):
        op.drop_table(table)
