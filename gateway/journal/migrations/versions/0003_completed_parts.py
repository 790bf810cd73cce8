"""Remember which held parts a committed message completed, so that a part the SMSC
delivers again after a restart is known as a late copy rather than a new message.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("parts_key", sa.String(255)))
    op.create_index("ix_messages_channel_parts_key", "messages", ["channel", "parts_key"])


def downgrade() -> None:
    op.drop_index("ix_messages_channel_parts_key", "messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("parts_key")
