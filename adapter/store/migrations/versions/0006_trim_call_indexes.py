"""Drop two indexes of `calls` that no reader uses; every sync pays for each index.

- `ix_calls_started (started_at)` is a prefix of `ix_calls_report`, which serves
  every period scan (reports, export, counts) as well;
- `ix_calls_employee_started (employee_id, started_at)`: no query filters by
  employee (the reports group by it inside a period scan).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_calls_started", "calls")
    op.drop_index("ix_calls_employee_started", "calls")


def downgrade() -> None:
    op.create_index("ix_calls_employee_started", "calls", ["employee_id", "started_at"])
    op.create_index("ix_calls_started", "calls", ["started_at"])
