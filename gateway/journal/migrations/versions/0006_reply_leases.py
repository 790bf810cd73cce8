"""Leases on replies: which instance sends a queued reply, or settles one in doubt, until
when — so that several gateways on one PostgreSQL never send one reply twice, and a dead
one's replies are taken over when its leases run out (see journal/leases.py).

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("replies") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(64)))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("replies") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
