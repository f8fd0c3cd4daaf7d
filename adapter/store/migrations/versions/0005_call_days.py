"""A change marker per cached day (`call_days`), stamped by every write of a day's calls.

The report rollups compare a day's stamp with the one they were built with
instead of scanning the day's calls. Days already cached get a first stamp.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_days",
        sa.Column("local_date", sa.Date, primary_key=True),
        sa.Column("stamp", sa.String(32), nullable=False),
    )
    op.execute(
        "INSERT INTO call_days (local_date, stamp) "
        "SELECT DISTINCT local_date, 'migrated' FROM calls"
    )


def downgrade() -> None:
    op.drop_table("call_days")
