"""The finest place a complaint names (routing v2): `complaints.place`, a JSON object
{code, name, level} — a kabupaten/kota, kecamatan/distrik or desa/kelurahan — or NULL.
Complaints parsed before this revision have none.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("place", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("place")
