"""One answer per message, and an address's messages found by their address (issue 16):

- `replies.message_id` unique (it was an index): a message — a command, a bot's own
  help — gets at most one answer, whichever instance composes it, however often;
- `messages (channel, sender)`: a bare CEK lists an address's cases, CEK checks who filed
  a case, and a repeated SMS command is told from a redelivery by what the address sent
  in between — each a look-up by address, not a scan of every message.

Revision ID: 0011
Revises: 0010
"""
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("replies") as batch:
        batch.drop_index("ix_replies_message_id")
        batch.create_index("ix_replies_message_id", ["message_id"], unique=True)
    op.create_index("ix_messages_channel_sender", "messages", ["channel", "sender"])


def downgrade() -> None:
    op.drop_index("ix_messages_channel_sender", "messages")
    with op.batch_alter_table("replies") as batch:
        batch.drop_index("ix_replies_message_id")
        batch.create_index("ix_replies_message_id", ["message_id"])
