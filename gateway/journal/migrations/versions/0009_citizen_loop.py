"""The citizen's loop (issue 16): commands that are not complaints, STOP, the case
store's status events.

- `messages.command`: the command a message was (cek, help, stop, start), NULL for a
  complaint: a command is recorded and answered, never forwarded.
- `opt_outs`: addresses that sent STOP on a channel: no status updates to them.
- `case_events`: every status event the case store pushed, by its `event_id` (a replay
  is recognised), committed before it is acknowledged.
- `local_cases` status columns: the embedded case store's own status of each case.
- an index on `complaints.tracking_id`: events and CEK find their complaint by it.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("command", sa.String(16)))
    with op.batch_alter_table("local_cases") as batch:
        batch.add_column(sa.Column("status", sa.String(32)))
        batch.add_column(sa.Column("status_text", sa.Text()))
        batch.add_column(sa.Column("status_at", sa.DateTime(timezone=True)))
    op.create_index("ix_complaints_tracking_id", "complaints", ["tracking_id"])
    op.create_table(
        "opt_outs",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("address", sa.String(255), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "address", name="pk_opt_outs"),
    )
    op.create_table(
        "case_events",
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("tracking_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_text", sa.Text()),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("complaint_id", sa.String(36), sa.ForeignKey("complaints.id", name="fk_case_events_complaint_id_complaints")),
        sa.PrimaryKeyConstraint("event_id", name="pk_case_events"),
    )
    op.create_index("ix_case_events_complaint_id", "case_events", ["complaint_id"])


def downgrade() -> None:
    op.drop_index("ix_case_events_complaint_id", "case_events")
    op.drop_table("case_events")
    op.drop_table("opt_outs")
    op.drop_index("ix_complaints_tracking_id", "complaints")
    with op.batch_alter_table("local_cases") as batch:
        batch.drop_column("status_at")
        batch.drop_column("status_text")
        batch.drop_column("status")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("command")
