"""Durable parts of long messages, and the raw bytes of undecodable ones.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_parts",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("parts_key", sa.String(255), nullable=False),
        sa.Column("part_no", sa.Integer, nullable=False),
        sa.Column("part", sa.JSON, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_message_parts"),
        sa.UniqueConstraint("channel", "parts_key", "part_no", name="uq_message_parts_channel"),
    )
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("raw_hex", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("raw_hex")
    op.drop_table("message_parts")
