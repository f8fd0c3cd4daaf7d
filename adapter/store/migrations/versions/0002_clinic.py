"""Clinic-side data: patients and their phones, visits, appointments, call comments.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("clinic_id", sa.String(64)),
        sa.Column("full_name", sa.String(255), nullable=False),
        sa.Column("created_at", sa.BigInteger),
        sa.Column("data", sa.Text),
    )
    op.create_table(
        "patient_phones",
        sa.Column("phone", sa.String(64), primary_key=True),
        sa.Column("patient_id", sa.String(64), primary_key=True),
    )
    op.create_index("ix_patient_phones_patient", "patient_phones", ["patient_id"])
    op.create_table(
        "visits",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("clinic_id", sa.String(64)),
        sa.Column("visit_at", sa.BigInteger, nullable=False),
        sa.Column("doctor", sa.String(255)),
        sa.Column("amount", sa.Numeric(14, 2)),
        sa.Column("completed", sa.Boolean, nullable=False),
        sa.Column("data", sa.Text),
    )
    op.create_index("ix_visits_patient_at", "visits", ["patient_id", "visit_at"])
    op.create_index("ix_visits_at", "visits", ["visit_at"])
    op.create_table(
        "appointments",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("clinic_id", sa.String(64)),
        sa.Column("booked_at", sa.BigInteger, nullable=False),
        sa.Column("scheduled_at", sa.BigInteger),
        sa.Column("employee_id", sa.String(64)),
        sa.Column("doctor", sa.String(255)),
        sa.Column("status", sa.String(32)),
        sa.Column("visit_id", sa.String(64)),
        sa.Column("data", sa.Text),
    )
    op.create_index("ix_appointments_patient_booked", "appointments", ["patient_id", "booked_at"])
    op.create_index("ix_appointments_booked", "appointments", ["booked_at"])
    op.create_table(
        "call_comments",
        sa.Column("provider", sa.String(16), primary_key=True),
        sa.Column("provider_call_id", sa.String(128), primary_key=True),
        sa.Column("call_type", sa.String(255)),
        sa.Column("topic", sa.String(255)),
        sa.Column("text", sa.Text),
        sa.Column("author", sa.String(255)),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("call_comments", "appointments", "visits", "patient_phones", "patients"):
        op.drop_table(table)
