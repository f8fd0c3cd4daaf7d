"""The cache schema (SQLAlchemy Core), the same for SQLite and PostgreSQL.

Migrations in `migrations/versions` create exactly these tables; a test
compares the two. Times are stored as whole epoch seconds (UTC) with the
call's UTC offset in minutes, so aware datetimes come back as they went in,
and period filters are integer range scans on an index. `local_date` is the
call's day in its account's timezone: the unit the sync job replaces.

Indexes serve the readers: the sync (`account, started_at`) and contact
history by phone (`contact_number, started_at`) here; period scans (reports,
export, counts) use `ix_calls_report` and the daily rollups
`ix_calls_day_loaded` (both in `adapter.store.clinic`). Every index costs the
sync a b-tree insert per call, so there are no others (migration 0006).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)

__all__ = [
    "accounts",
    "appointments",
    "call_comments",
    "calls",
    "fleet_runs",
    "metadata",
    "patient_phones",
    "patients",
    "sync_runs",
    "sync_state",
    "visits",
]

metadata = MetaData()

calls = Table(
    "calls",
    metadata,
    Column("provider", String(16), primary_key=True),
    Column("provider_call_id", String(128), primary_key=True),
    Column("account", String(64), primary_key=True),  # two accounts may share a call id (0007)
    Column("started_at", BigInteger, nullable=False),  # epoch seconds, UTC
    Column("utc_offset", SmallInteger, nullable=False),  # minutes east of UTC at the start
    Column("local_date", Date, nullable=False),  # the day in the account's timezone
    Column("finished_at", BigInteger),
    Column("direction", String(8), nullable=False),
    Column("contact_number", String(64)),
    Column("virtual_number", String(64)),
    Column("answered", Boolean, nullable=False),
    Column("wait_seconds", Integer, nullable=False),
    Column("talk_seconds", Integer, nullable=False),
    Column("employee_id", String(64)),
    Column("employee_name", String(255)),
    Column("sip_line", String(255)),
    Column("line_description", String(255)),
    Column("recording_urls", Text),  # JSON array, NULL when none
    Column("utm_source", String(255)),
    Column("utm_medium", String(255)),
    Column("utm_campaign", String(255)),
    Column("utm_term", String(255)),
    Column("utm_content", String(255)),
    Column("referrer", Text),
    Column("finish_reason", String(64)),
    Column("loaded_at", BigInteger, nullable=False),  # when the sync wrote it, epoch
)
Index("ix_calls_account_started", calls.c.account, calls.c.started_at)
Index("ix_calls_contact_started", calls.c.contact_number, calls.c.started_at)

sync_state = Table(
    "sync_state",
    metadata,
    Column("account", String(64), primary_key=True),
    Column("provider", String(16), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("last_call_at", BigInteger),  # start of the newest cached call, epoch
    Column("loaded_until", Date),  # every day before this one is cached
    Column("last_run_started", BigInteger),
    Column("last_run_finished", BigInteger),
    Column("last_status", String(16)),  # running | ok | error
    Column("last_error", Text),
    Column("last_run_calls", Integer),
    Column("runs", Integer, nullable=False, default=0),
    Column("late_calls", Integer, nullable=False, server_default=text("0")),  # in total
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String(64), nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("finished_at", BigInteger),
    Column("date_from", Date),
    Column("date_to", Date),  # exclusive
    Column("status", String(16), nullable=False),  # running | ok | error
    Column("days", Integer, nullable=False, default=0),
    Column("calls", Integer, nullable=False, default=0),
    Column("error", Text),
    Column("late_calls", Integer, nullable=False, server_default=text("0")),  # see 0007
)
Index("ix_sync_runs_account", sync_runs.c.account, sync_runs.c.id)

# -- clinic-side data (patients, visits, appointments, comments) ---------------------
# Loaded from the clinic's own software (or a mockpbx scenario's truth); the live
# window's caller card and the reports join them with calls by phone and time.
patients = Table(
    "patients",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("clinic_id", String(64)),
    Column("full_name", String(255), nullable=False),
    Column("created_at", BigInteger),  # first registration, epoch
    Column("data", Text),  # JSON: anything else the source gives
)

patient_phones = Table(
    "patient_phones",
    metadata,
    Column("phone", String(64), primary_key=True),  # E.164
    Column("patient_id", String(64), primary_key=True),
)
Index("ix_patient_phones_patient", patient_phones.c.patient_id)

visits = Table(
    "visits",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("patient_id", String(64), nullable=False),
    Column("clinic_id", String(64)),
    Column("visit_at", BigInteger, nullable=False),  # epoch
    Column("doctor", String(255)),
    Column("amount", Numeric(14, 2)),  # treatment sum
    Column("completed", Boolean, nullable=False, default=False),
    Column("data", Text),
)
Index("ix_visits_patient_at", visits.c.patient_id, visits.c.visit_at)
Index("ix_visits_at", visits.c.visit_at)

appointments = Table(
    "appointments",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("patient_id", String(64), nullable=False),
    Column("clinic_id", String(64)),
    Column("booked_at", BigInteger, nullable=False),  # when it was made, epoch
    Column("scheduled_at", BigInteger),  # when the visit is due, epoch
    Column("employee_id", String(64)),  # who booked it (administrator)
    Column("doctor", String(255)),
    Column("status", String(32)),  # booked | visited | cancelled | no_show
    Column("visit_id", String(64)),
    Column("data", Text),
)
Index("ix_appointments_patient_booked", appointments.c.patient_id, appointments.c.booked_at)
Index("ix_appointments_booked", appointments.c.booked_at)

call_comments = Table(
    "call_comments",
    metadata,
    Column("provider", String(16), primary_key=True),
    Column("provider_call_id", String(128), primary_key=True),
    Column("call_type", String(255)),  # e.g. "Patient. Wants to book"
    Column("topic", String(255)),
    Column("text", Text),
    Column("author", String(255)),
    Column("updated_at", BigInteger, nullable=False),
)

# -- the worker fleet (adapter.accounts, adapter.worker; migration 0007) ------------------
accounts = Table(
    "accounts",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("provider", String(16), nullable=False),
    Column("timezone", String(64)),  # the account's time zone (Mango, clinic)
    Column("backfill_days", Integer),  # NULL: the settings' backfill_days
    Column("credentials", Text, nullable=False),  # JSON: the provider's settings, unprefixed
    Column("provider_key", String(64)),  # the provider's account key, once synced
    Column("last_started_at", BigInteger),  # the last job's start by the sync clock, epoch
    Column("created_at", BigInteger, nullable=False),
)

fleet_runs = Table(
    "fleet_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String(64), nullable=False),
    Column("worker", String(128), nullable=False),
    Column("job_id", BigInteger),
    Column("started_us", BigInteger, nullable=False),  # real time, epoch microseconds
    Column("finished_us", BigInteger),  # NULL: running, or its worker died
    Column("date_from", Date),
    Column("date_to", Date),  # exclusive
    Column("status", String(16), nullable=False),  # running | ok | nothing | error
    Column("error", Text),
    Column("error_kind", String(32)),
    Column("days", Integer, nullable=False, server_default="0"),
    Column("calls", Integer, nullable=False, server_default="0"),
    Column("retries", Integer, nullable=False, server_default="0"),  # provider requests retried
)
Index("ix_fleet_runs_account", fleet_runs.c.account, fleet_runs.c.started_us)
