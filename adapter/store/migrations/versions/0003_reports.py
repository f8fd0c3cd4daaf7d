"""Reports and live window: clinic staff, ad channels and spend, visit links, report index.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clinic_staff",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("clinic_id", sa.String(64)),
        sa.Column("specialty", sa.String(255)),
        sa.Column("sip_lines", sa.Text),
    )
    op.create_table(
        "ad_channels",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("utm_source", sa.String(255)),
        sa.Column("utm_medium", sa.String(255)),
        sa.Column("utm_campaign", sa.String(255)),
        sa.Column("spend_per_day", sa.Numeric(14, 2)),
    )
    op.create_table(
        "channel_numbers",
        sa.Column("number", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(64), nullable=False),
    )
    op.create_table(
        "ad_spend",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("channel", sa.String(64), primary_key=True),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
    )
    op.create_table(
        "visit_appointments",
        sa.Column("visit_id", sa.String(64), primary_key=True),
        sa.Column("appointment_id", sa.String(64), nullable=False),
    )
    op.create_index("ix_visit_appointments_appt", "visit_appointments", ["appointment_id"])
    op.create_table(
        "clinic_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text),
    )
    op.create_index(
        "ix_calls_report",
        "calls",
        [
            "started_at",
            "direction",
            "answered",
            "contact_number",
            "employee_id",
            "virtual_number",
            "utm_source",
            "utm_medium",
            "utm_campaign",
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_calls_report", "calls")
    for table in (
        "clinic_meta",
        "visit_appointments",
        "ad_spend",
        "channel_numbers",
        "ad_channels",
        "clinic_staff",
    ):
        op.drop_table(table)
