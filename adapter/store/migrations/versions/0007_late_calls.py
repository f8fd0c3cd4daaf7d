"""Late arrivals: calls the sync found for days it had already cached.

`sync_runs.late_calls` per run and `sync_state.late_calls` in total, shown
by `pbx-adapter status` (the trailing re-read window finds them).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("sync_state", "sync_runs"):
        op.add_column(
            table,
            sa.Column("late_calls", sa.Integer, nullable=False, server_default=sa.text("0")),
        )


def downgrade() -> None:
    for table in ("sync_state", "sync_runs"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("late_calls")
