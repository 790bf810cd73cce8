"""Leases on held parts and on pollers, for several gateways on one PostgreSQL:

- `message_parts` gains lease columns: the instance that commits a long SMS whose
  parts stopped coming (flagged partial) claims them first, so that two instances'
  expiry sweeps never both commit it, and a dead instance's parts are committed by a
  survivor.
- `leaderships`: one row per single-instance job (polling X mentions, Telegram
  getUpdates), naming the instance that runs it until when; another takes it over once
  the holder stops renewing.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message_parts") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(64)))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True)))
    op.create_table(
        "leaderships",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_leaderships"),
    )


def downgrade() -> None:
    op.drop_table("leaderships")
    with op.batch_alter_table("message_parts") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
