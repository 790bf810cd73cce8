"""What became of each case event's notification to the citizen (issue 16):

- `case_events.notice`: queued (a reply was queued with the event), or why none was —
  stopped (the citizen sent STOP), capped (the day's updates for the case were spent),
  superseded (a later event of the case came first), unchanged (the same status again);
- `case_events.reply_id`: the reply queued with it.

So an event that reached nobody is still on record, with the reason.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_events") as batch:
        batch.add_column(sa.Column("notice", sa.String(16)))
        batch.add_column(sa.Column("reply_id", sa.Integer(),
                                   sa.ForeignKey("replies.id", name="fk_case_events_reply_id_replies")))


def downgrade() -> None:
    with op.batch_alter_table("case_events") as batch:
        batch.drop_column("reply_id")
        batch.drop_column("notice")
