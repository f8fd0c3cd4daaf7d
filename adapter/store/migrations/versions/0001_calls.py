"""Calls cache and sync state.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("provider", sa.String(16), primary_key=True),
        sa.Column("provider_call_id", sa.String(128), primary_key=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("utc_offset", sa.SmallInteger, nullable=False),
        sa.Column("local_date", sa.Date, nullable=False),
        sa.Column("finished_at", sa.BigInteger),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("contact_number", sa.String(64)),
        sa.Column("virtual_number", sa.String(64)),
        sa.Column("answered", sa.Boolean, nullable=False),
        sa.Column("wait_seconds", sa.Integer, nullable=False),
        sa.Column("talk_seconds", sa.Integer, nullable=False),
        sa.Column("employee_id", sa.String(64)),
        sa.Column("employee_name", sa.String(255)),
        sa.Column("sip_line", sa.String(255)),
        sa.Column("line_description", sa.String(255)),
        sa.Column("recording_urls", sa.Text),
        sa.Column("utm_source", sa.String(255)),
        sa.Column("utm_medium", sa.String(255)),
        sa.Column("utm_campaign", sa.String(255)),
        sa.Column("utm_term", sa.String(255)),
        sa.Column("utm_content", sa.String(255)),
        sa.Column("referrer", sa.Text),
        sa.Column("finish_reason", sa.String(64)),
        sa.Column("loaded_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_calls_account_started", "calls", ["account", "started_at"])
    op.create_index("ix_calls_started", "calls", ["started_at"])
    op.create_index("ix_calls_contact_started", "calls", ["contact_number", "started_at"])
    op.create_index("ix_calls_employee_started", "calls", ["employee_id", "started_at"])
    op.create_table(
        "sync_state",
        sa.Column("account", sa.String(64), primary_key=True),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("last_call_at", sa.BigInteger),
        sa.Column("loaded_until", sa.Date),
        sa.Column("last_run_started", sa.BigInteger),
        sa.Column("last_run_finished", sa.BigInteger),
        sa.Column("last_status", sa.String(16)),
        sa.Column("last_error", sa.Text),
        sa.Column("last_run_calls", sa.Integer),
        sa.Column("runs", sa.Integer, nullable=False),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("finished_at", sa.BigInteger),
        sa.Column("date_from", sa.Date),
        sa.Column("date_to", sa.Date),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("days", sa.Integer, nullable=False),
        sa.Column("calls", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_sync_runs_account", "sync_runs", ["account", "id"])


def downgrade() -> None:
    op.drop_table("sync_runs")
    op.drop_table("sync_state")
    op.drop_table("calls")
