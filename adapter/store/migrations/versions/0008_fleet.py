"""Many accounts and a worker fleet: the `accounts` the fleet syncs, `fleet_runs` (one row
per job run, real-time intervals and the worker that held it), and calls keyed by account
(two accounts of one provider may reuse a call id: the key becomes provider, call id, account).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("timezone", sa.String(64)),
        sa.Column("backfill_days", sa.Integer),
        sa.Column("credentials", sa.Text, nullable=False),
        sa.Column("provider_key", sa.String(64)),
        sa.Column("last_started_at", sa.BigInteger),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "fleet_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("worker", sa.String(128), nullable=False),
        sa.Column("job_id", sa.BigInteger),
        sa.Column("started_us", sa.BigInteger, nullable=False),
        sa.Column("finished_us", sa.BigInteger),
        sa.Column("date_from", sa.Date),
        sa.Column("date_to", sa.Date),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("error_kind", sa.String(32)),
        sa.Column("days", sa.Integer, nullable=False, server_default="0"),
        sa.Column("calls", sa.Integer, nullable=False, server_default="0"),
        sa.Column("retries", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_fleet_runs_account", "fleet_runs", ["account", "started_us"])
    _calls_key("provider", "provider_call_id", "account")


def downgrade() -> None:
    _calls_key("provider", "provider_call_id")
    op.drop_index("ix_fleet_runs_account", "fleet_runs")
    op.drop_table("fleet_runs")
    op.drop_table("accounts")


def _calls_key(*columns: str) -> None:
    """Make `columns` the primary key of `calls` (SQLite: the table is copied)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE calls DROP CONSTRAINT calls_pkey")
        op.execute(
            f"ALTER TABLE calls ADD CONSTRAINT calls_pkey PRIMARY KEY ({', '.join(columns)})"
        )
        return
    # The copy's columns keep their reflected primary-key flags; SQLAlchemy warns that the
    # new constraint replaces them, which is the intent.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Table '_alembic_tmp_calls' specifies columns")
        with op.batch_alter_table("calls", recreate="always") as batch:
            batch.create_primary_key("calls_pkey", list(columns))
