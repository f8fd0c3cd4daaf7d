"""Daily report rollups (per day and kind) and the per-day fingerprint index on calls.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_rollup",
        sa.Column("local_date", sa.Date, primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("key", sa.String(1024), primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("m", sa.Integer, nullable=False),
        sa.Column("contacts", sa.Text),
    )
    op.create_table(
        "report_rollup_days",
        sa.Column("local_date", sa.Date, primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
    )
    op.create_index("ix_calls_day_loaded", "calls", ["local_date", "loaded_at"])


def downgrade() -> None:
    op.drop_index("ix_calls_day_loaded", "calls")
    op.drop_table("report_rollup_days")
    op.drop_table("report_rollup")
