"""Queries on the clinic-side tables: `ClinicStore` and the values it reads and writes.

The tables are in `adapter.store.schema` (clinic data, ad channels); this
module holds no table of its own. `ClinicStore` reads and writes them on the
`SqlStore`'s engine. Importing replaces all clinic data in one transaction
(comments are upserted, so a comment typed in the live window survives a
re-import of other data) and gives the data a new version
(`bump_version`), which marks the report rollups stale.
Times are epoch seconds; phones are E.164.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Table, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from adapter.store.schema import (
    ad_channels,
    ad_spend,
    appointments,
    call_comments,
    channel_numbers,
    clinic_meta,
    clinic_staff,
    patient_phones,
    patients,
    visit_appointments,
    visits,
)

__all__ = [
    "CallComment",
    "Channel",
    "ClinicData",
    "ClinicStore",
    "PatientCard",
    "StaffMember",
    "VisitRow",
    "bump_version",
]


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: str
    name: str
    role: str
    clinic_id: str | None = None
    specialty: str | None = None
    sip_lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Channel:
    key: str
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    spend_per_day: Decimal | None = None
    numbers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VisitRow:
    id: str
    patient_id: str
    visit_at: int
    doctor: str | None
    amount: Decimal
    completed: bool
    appointment_id: str | None = None


@dataclass(frozen=True, slots=True)
class CallComment:
    provider: str
    provider_call_id: str
    call_type: str | None
    topic: str | None
    text: str | None = None
    author: str | None = None  # employee id of the administrator who took the call


@dataclass(frozen=True, slots=True)
class PatientCard:
    """What the live window shows about a caller (see `adapter.live.caller_card`)."""

    patient_id: str
    full_name: str
    total_sum: Decimal
    visits: int
    completed: int
    last_visit_at: datetime | None
    last_visit_date: date | None
    last_doctor: str | None

    @property
    def completed_share(self) -> int:
        """Completed visits in percent of all visits, rounded half up (0 without visits)."""
        return 0 if self.visits == 0 else (200 * self.completed + self.visits) // (2 * self.visits)


@dataclass(slots=True)
class ClinicData:
    """Everything `ClinicStore.replace` writes, already normalized (epochs, E.164)."""

    timezone: str
    staff: list[dict[str, Any]]
    channels: list[dict[str, Any]]
    numbers: list[dict[str, Any]]
    spend: list[dict[str, Any]]
    patients: list[dict[str, Any]]
    phones: list[dict[str, Any]]
    appointments: list[dict[str, Any]]
    visits: list[dict[str, Any]]
    links: list[dict[str, Any]]
    comments: list[dict[str, Any]]
    source: str = ""


_REPLACED = (
    clinic_staff,
    ad_channels,
    channel_numbers,
    ad_spend,
    patients,
    patient_phones,
    appointments,
    visits,
    visit_appointments,
)
BATCH = 5000


class ClinicStore:
    """Clinic-side data on the store's engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- writes --------------------------------------------------------------------
    def replace(self, data: ClinicData) -> dict[str, int]:
        """Replace all clinic data in one transaction; comments are upserted."""
        rows = {
            clinic_staff: data.staff,
            ad_channels: data.channels,
            channel_numbers: data.numbers,
            ad_spend: data.spend,
            patients: data.patients,
            patient_phones: data.phones,
            appointments: data.appointments,
            visits: data.visits,
            visit_appointments: data.links,
        }
        with self.engine.begin() as conn:
            for table in _REPLACED:
                conn.execute(delete(table))
            for table, values in rows.items():
                _insert(conn, table, values)
            self._upsert_comments(conn, data.comments)
            meta = {
                "timezone": data.timezone,
                "source": data.source,
                "imported_at": datetime.now(UTC).isoformat(),
                "version": uuid.uuid4().hex,
            }
            conn.execute(delete(clinic_meta))
            conn.execute(insert(clinic_meta), [{"key": k, "value": v} for k, v in meta.items()])
        return {table.name: len(values) for table, values in rows.items()} | {
            "call_comments": len(data.comments)
        }

    def save_comment(self, comment: CallComment, *, now: datetime) -> None:
        """Save (or replace) the administrator's comment on one call."""
        row = {
            "provider": comment.provider,
            "provider_call_id": comment.provider_call_id,
            "call_type": comment.call_type,
            "topic": comment.topic,
            "text": comment.text,
            "author": comment.author,
            "updated_at": int(now.timestamp()),
        }
        with self.engine.begin() as conn:
            self._upsert_comments(conn, [row])
            bump_version(conn)

    def _upsert_comments(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(call_comments)
        keys = ("provider", "provider_call_id")
        cols = {c.name: stmt.excluded[c.name] for c in call_comments.c if c.name not in keys}
        upsert = stmt.on_conflict_do_update(index_elements=list(keys), set_=cols)
        for start in range(0, len(rows), BATCH):
            conn.execute(upsert, list(rows[start : start + BATCH]))

    # -- reads ---------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(clinic_meta.c.key, clinic_meta.c.value)).all()
        return {k: v for k, v in rows if v is not None}

    def staff(self) -> dict[str, StaffMember]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(clinic_staff)).all()
        return {r.id: _staff(r._mapping) for r in rows}

    def channels(self) -> list[Channel]:
        with self.engine.connect() as conn:
            chans = conn.execute(select(ad_channels).order_by(ad_channels.c.position)).all()
            nums = conn.execute(select(channel_numbers)).all()
        by_channel: dict[str, list[str]] = {}
        for number, channel in nums:
            by_channel.setdefault(channel, []).append(number)
        return [
            Channel(
                key=r.key,
                utm_source=r.utm_source,
                utm_medium=r.utm_medium,
                utm_campaign=r.utm_campaign,
                spend_per_day=r.spend_per_day,
                numbers=tuple(sorted(by_channel.get(r.key, []))),
            )
            for r in chans
        ]

    def spend(self, first: date, last: date) -> dict[str, Decimal]:
        """Ad spend per channel over the days first..last (inclusive)."""
        query = select(ad_spend.c.channel, ad_spend.c.amount).where(
            ad_spend.c.day >= first, ad_spend.c.day <= last
        )
        out: dict[str, Decimal] = {}
        with self.engine.connect() as conn:
            for channel, amount in conn.execute(query):
                out[channel] = out.get(channel, Decimal(0)) + Decimal(amount)
        return out

    def patients_by_phone(self, phone: str) -> list[dict[str, Any]]:
        query = (
            select(patients)
            .join(patient_phones, patient_phones.c.patient_id == patients.c.id)
            .where(patient_phones.c.phone == phone)
            .order_by(patients.c.created_at.is_not(None), patients.c.created_at, patients.c.id)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def phones_of(self, patient_id: str) -> list[str]:
        query = select(patient_phones.c.phone).where(patient_phones.c.patient_id == patient_id)
        with self.engine.connect() as conn:
            return sorted(r[0] for r in conn.execute(query))

    def visits_of(self, patient_id: str) -> list[VisitRow]:
        query = (
            select(visits, visit_appointments.c.appointment_id)
            .outerjoin(visit_appointments, visit_appointments.c.visit_id == visits.c.id)
            .where(visits.c.patient_id == patient_id)
            .order_by(visits.c.visit_at, visits.c.id)
        )
        with self.engine.connect() as conn:
            return [_visit(r._mapping) for r in conn.execute(query)]

    def comments(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], CallComment]:
        wanted = list(dict.fromkeys(keys))
        out: dict[tuple[str, str], CallComment] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                ids = [k[1] for k in chunk]
                query = select(call_comments).where(call_comments.c.provider_call_id.in_(ids))
                for r in conn.execute(query):
                    key = (r.provider, r.provider_call_id)
                    if key in chunk:
                        out[key] = _comment(r._mapping)
        return out


def bump_version(conn: Connection) -> None:
    """Mark derived data (report rollups) stale: clinic data or comments changed."""
    conn.execute(delete(clinic_meta).where(clinic_meta.c.key == "version"))
    conn.execute(insert(clinic_meta).values(key="version", value=uuid.uuid4().hex))


def _insert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        conn.execute(insert(table), list(rows[start : start + BATCH]))


def _staff(m: Any) -> StaffMember:
    lines = orjson.loads(m["sip_lines"]) if m["sip_lines"] else []
    return StaffMember(
        id=m["id"],
        name=m["name"],
        role=m["role"],
        clinic_id=m["clinic_id"],
        specialty=m["specialty"],
        sip_lines=tuple(str(x) for x in lines),
    )


def _visit(m: Any) -> VisitRow:
    return VisitRow(
        id=m["id"],
        patient_id=m["patient_id"],
        visit_at=int(m["visit_at"]),
        doctor=m["doctor"],
        amount=Decimal(m["amount"] or 0),
        completed=bool(m["completed"]),
        appointment_id=m["appointment_id"],
    )


def _comment(m: Any) -> CallComment:
    return CallComment(
        provider=m["provider"],
        provider_call_id=m["provider_call_id"],
        call_type=m["call_type"],
        topic=m["topic"],
        text=m["text"],
        author=m["author"],
    )
