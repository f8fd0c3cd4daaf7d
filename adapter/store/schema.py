"""Every table of the adapter's database (SQLAlchemy Core), the same for SQLite and PostgreSQL.

One `metadata`, grouped by topic; the query code imports its tables from
here (`sql.py`, `clinic.py`, `reports/`, `accounts.py`, `worker.py`,
`metrics.py`) and no other module defines a table. The migrations in
`migrations/versions` spell their own DDL (never these objects, so an old
migration keeps its meaning) and create exactly these tables:
tests/adapter/test_store_schema.py migrates SQLite and PostgreSQL to head
and compares the reflected schema with `metadata`.

    calls cache          calls (+ its four indexes), call_days
    sync state           sync_state, sync_runs (late arrivals: `late_calls`, 0007)
    clinic data          patients, patient_phones, clinic_staff, visits, appointments,
                         visit_appointments, call_comments, clinic_meta
    ad channels          ad_channels, channel_numbers, ad_spend
    report rollups       report_rollup, report_rollup_days
    fleet                accounts, fleet_runs
    session scratch      report_live (TEMPORARY, on `scratch`, never migrated)

Times are stored as whole epoch seconds (UTC) with the call's UTC offset in
minutes, so aware datetimes come back as they went in, and period filters
are integer range scans on an index. `local_date` is the call's day in its
account's timezone: the unit the sync job replaces.
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
    "ad_channels",
    "ad_spend",
    "appointments",
    "call_comments",
    "call_days",
    "calls",
    "channel_numbers",
    "clinic_meta",
    "clinic_staff",
    "fleet_runs",
    "metadata",
    "patient_phones",
    "patients",
    "report_live",
    "report_rollup",
    "report_rollup_days",
    "scratch",
    "sync_runs",
    "sync_state",
    "visit_appointments",
    "visits",
]

metadata = MetaData()  # the database's tables: what the migrations create

# -- calls cache (migrations 0001, 0003-0006, 0008) ------------------------------------
calls = Table(
    "calls",
    metadata,
    Column("provider", String(16), primary_key=True),
    Column("provider_call_id", String(128), primary_key=True),
    Column("account", String(64), primary_key=True),  # two accounts may share a call id (0008)
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
# Indexes serve the readers, and every one costs the sync a b-tree insert per call, so
# there are no others (migration 0006 dropped two no reader used): the sync
# (account, started_at), contact history by phone (contact_number, started_at) ...
Index("ix_calls_account_started", calls.c.account, calls.c.started_at)
Index("ix_calls_contact_started", calls.c.contact_number, calls.c.started_at)
# ... period scans (reports, export, counts) on the reports' covering index: a period scan
# of incoming calls reads no table rows (0003) ...
Index(
    "ix_calls_report",
    calls.c.started_at,
    calls.c.direction,
    calls.c.answered,
    calls.c.contact_number,
    calls.c.employee_id,
    calls.c.virtual_number,
    calls.c.utm_source,
    calls.c.utm_medium,
    calls.c.utm_campaign,
)
# ... and the daily rollups' per-day fingerprint (0004).
Index("ix_calls_day_loaded", calls.c.local_date, calls.c.loaded_at)

# A change marker per cached day (0005): every write of a day's calls gives it a new
# stamp in the same transaction (`sql.mark_days`), so the rollups of unchanged days are
# known fresh from one small indexed read instead of a scan of the calls.
call_days = Table(
    "call_days",
    metadata,
    Column("local_date", Date, primary_key=True),
    Column("stamp", String(32), nullable=False),
)

# -- sync state and runs (0001; late arrivals, 0007) -----------------------------------
# `late_calls`: calls the sync found for days it had already cached (the trailing
# re-read window finds them), per run and in total; `pbx-adapter status` shows them.
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
    Column("late_calls", Integer, nullable=False, server_default=text("0")),  # in this run
)
Index("ix_sync_runs_account", sync_runs.c.account, sync_runs.c.id)

# -- clinic data: patients, staff, visits, appointments, comments (0002, 0003) ---------
# Loaded from the clinic's own software (or a mockpbx scenario's truth) by
# `ClinicStore.replace`; the live window's caller card and the reports join them with
# calls by phone and time. Phones are E.164.
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

# Administrators (with their SIP lines) and doctors.
clinic_staff = Table(
    "clinic_staff",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("role", String(32), nullable=False),  # administrator | doctor | ...
    Column("clinic_id", String(64)),
    Column("specialty", String(255)),
    Column("sip_lines", Text),  # JSON array of SIP line logins / numbers
)

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

# Which appointment a visit came from (courses of visits).
visit_appointments = Table(
    "visit_appointments",
    metadata,
    Column("visit_id", String(64), primary_key=True),
    Column("appointment_id", String(64), nullable=False),
)
Index("ix_visit_appointments_appt", visit_appointments.c.appointment_id)

# The administrator's comment on a call (typed in the live window or imported): upserted,
# so it survives a re-import of the other clinic data.
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

# Timezone of the data, when and from what it was imported, and the version of the data
# the report rollups were built with (`clinic.bump_version`).
clinic_meta = Table(
    "clinic_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text),
)

# -- ad channels: channels, tracking numbers, spend (0003) -----------------------------
ad_channels = Table(
    "ad_channels",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("position", Integer, nullable=False),  # configuration order: first match wins
    Column("utm_source", String(255)),
    Column("utm_medium", String(255)),
    Column("utm_campaign", String(255)),
    Column("spend_per_day", Numeric(14, 2)),
)

channel_numbers = Table(
    "channel_numbers",
    metadata,
    Column("number", String(64), primary_key=True),  # E.164 static tracking number
    Column("channel", String(64), nullable=False),
)

ad_spend = Table(
    "ad_spend",
    metadata,
    Column("day", Date, primary_key=True),
    Column("channel", String(64), primary_key=True),
    Column("amount", Numeric(14, 2), nullable=False),
)

# -- report rollups (0004), see adapter.reports.rollup ---------------------------------
report_rollup = Table(
    "report_rollup",
    metadata,
    Column("local_date", Date, primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("key", String(1024), primary_key=True),  # JSON array: the row's key
    Column("n", Integer, nullable=False),  # calls
    Column("m", Integer, nullable=False),  # answered calls
    Column("contacts", Text),  # JSON array of the distinct caller numbers (kind "ch")
)

report_rollup_days = Table(
    "report_rollup_days",
    metadata,
    Column("local_date", Date, primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("fingerprint", String(64), nullable=False),  # "<calls>:<max loaded_at>" of the day
    Column("version", String(64), nullable=False),  # clinic data version it was built with
)

# -- fleet: accounts, runs (0008; adapter.accounts, adapter.worker) --------------------
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

# One row per job run: real-time intervals and the worker that held it.
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

# -- session scratch: TEMPORARY tables, not part of the database's schema ---------------
# On their own MetaData: never migrated, never compared, never dropped by the store's
# repair. (PostgreSQL's sync also stages rows in `calls_load`, LIKE calls: raw SQL in
# `sql.SqlStore._copy_pg`.)
scratch = MetaData()

# A report's provider part (today), shaped like `calls` (adapter.reports.base).
report_live = Table(
    "report_live",
    scratch,
    *[Column(c.name, c.type) for c in calls.c],
    prefixes=["TEMPORARY"],
)
