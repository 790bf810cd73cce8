"""Leases on complaints: which instance forwards a complaint, until when. Several
gateways on one PostgreSQL claim complaints with `FOR UPDATE SKIP LOCKED` into a lease,
renew it while they hold the complaint, and take over one whose lease expired (its
instance died); a forwarded or dead complaint has none.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(64)))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
