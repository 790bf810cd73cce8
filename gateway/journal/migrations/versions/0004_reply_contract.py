"""The reply leg held to the intake's contract: a reply's intent (`sending`), in-doubt
replies (`uncertain`), the bot's own answers as replies to a message (not a complaint),
delivery receipts parked durably, and server hints (pauses, request budgets) that
survive a restart.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("replies") as batch:
        batch.alter_column("complaint_id", existing_type=sa.String(36), nullable=True)
        batch.add_column(sa.Column("message_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("sending_at", Timestamp))
        batch.add_column(sa.Column("resends", sa.Integer, nullable=False, server_default="0"))
        batch.create_foreign_key("fk_replies_message_id_messages", "messages", ["message_id"], ["id"])
        batch.create_index("ix_replies_message_id", ["message_id"])
    op.create_table(
        "hints",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("value", sa.JSON, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_hints"),
    )
    op.create_table(
        "parked_receipts",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("channel_message_id", sa.String(128), nullable=False),
        sa.Column("alternate_ids", sa.JSON, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("delivered", sa.Boolean, nullable=False),
        sa.Column("final", sa.Boolean, nullable=False),
        sa.Column("address", sa.String(64)),
        sa.Column("snippet", sa.String(64)),
        sa.Column("received_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_parked_receipts"),
    )
    op.create_index("ix_parked_receipts_channel_address", "parked_receipts", ["channel", "address"])


def downgrade() -> None:
    op.drop_index("ix_parked_receipts_channel_address", "parked_receipts")
    op.drop_table("parked_receipts")
    op.drop_table("hints")
    with op.batch_alter_table("replies") as batch:
        batch.drop_index("ix_replies_message_id")
        batch.drop_constraint("fk_replies_message_id_messages", type_="foreignkey")
        batch.drop_column("resends")
        batch.drop_column("sending_at")
        batch.drop_column("message_id")
        batch.alter_column("complaint_id", existing_type=sa.String(36), nullable=False)
