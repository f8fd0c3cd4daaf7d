"""Clinic data into the adapter's store (`pbx-adapter import-clinic FILE`: `adapter.cli.clinic`).

The file is what a mockpbx scenario emits as its clinic-side truth
(`GET /_mockpbx/truth/clinic`, one JSON document), or JSON Lines of such
documents (merged in order, later rows win by id). The same shape is easy
to produce from a clinic's own software:

    {"timezone", "administrators": [{"id", "name", "clinic_id", "sip_lines"}],
     "doctors": [{"id", "name", "clinic_id", "specialty"}],
     "channels": [{"key", "utm_source", "utm_medium", "utm_campaign",
                   "spend_per_day", "numbers"}],
     "ad_spend": [{"date", "channel", "amount"}],
     "patients": [{"id", "clinic_id", "name", "phone", "since", "prior"}],
     "comments": [{"call_id", "administrator_id", "call_type", "topic"}],
     "appointments": [{"id", "patient_id", "administrator_id", "booked_at",
                       "planned_at", "doctor_id", "first_visit", "call_id"}],
     "visits": [{"id", "patient_id", "doctor_id", "start", "sum", "completed",
                 "appointment_id"}]}

How fields land in the store:

- a patient's `created_at` is when they became a patient: NULL for patients
  in the base before the data starts (`since` null); for new ones, the start
  of the earliest call that booked them (the card is made during that call;
  its start is the `call_start` of the booking call's comment), else the
  earliest `booked_at` of their appointments, else 00:00 of `since`;
  `prior` (visits, completed, sum, last visit and doctor before the data
  starts) is kept in `patients.data` and counted by the caller card;
- phones become E.164; a visit keeps its appointment in `visit_appointments`;
- comments are keyed by (`--provider`, `call_id`): the call ids in a mockpbx
  truth are the UIS ids, so the default provider is `uis`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from adapter.errors import ConfigError
from adapter.model import to_e164
from adapter.store.clinic import ClinicData, ClinicStore

__all__ = ["import_file", "load_document", "parse_document"]

_LISTS = (
    "administrators",
    "doctors",
    "channels",
    "ad_spend",
    "patients",
    "comments",
    "appointments",
    "visits",
)


def load_document(path: str | Path) -> dict[str, Any]:
    """A truth document from a JSON file or JSON Lines of documents (merged)."""
    file = Path(path)
    try:
        text = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read clinic data {file}: {exc}", setting="file") from exc
    try:
        docs = [orjson.loads(text)]
    except orjson.JSONDecodeError:
        docs = [_line(file, n, raw) for n, raw in enumerate(text.splitlines(), 1) if raw.strip()]
    if not docs or not all(isinstance(d, dict) for d in docs):
        raise ConfigError(f"{file}: expected a JSON object (or lines of them)", setting="file")
    return _merge(docs)


def _line(file: Path, number: int, raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"{file}, line {number}: not JSON ({exc})", setting="file") from exc


def _merge(docs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {k: v for d in docs for k, v in d.items() if k not in _LISTS}
    for key in _LISTS:
        rows: dict[Any, Any] = {}
        for doc in docs:
            for n, row in enumerate(doc.get(key) or []):
                ident = row.get("id", row.get("key", row.get("call_id"))) if row else None
                rows[(key, ident if ident is not None else ("#", n, len(rows)))] = row
        out[key] = list(rows.values())
    return out


def parse_document(doc: dict[str, Any], *, provider: str = "uis", source: str = "") -> ClinicData:
    """Normalize a truth document into rows for `ClinicStore.replace`."""
    try:
        return _parse(doc, provider, source)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"clinic data is not in the expected shape: {exc!r}") from exc


def _parse(doc: dict[str, Any], provider: str, source: str) -> ClinicData:
    tz = ZoneInfo(str(doc.get("timezone") or "Europe/Moscow"))
    doctors = {str(d["id"]): d for d in doc.get("doctors") or []}
    appts = doc.get("appointments") or []
    created = _created(appts, doc.get("comments") or [])
    patients, phones = _patients(doc.get("patients") or [], created, doctors, tz)
    return ClinicData(
        timezone=str(tz),
        staff=_staff(doc.get("administrators") or [], doctors.values()),
        channels=[_channel(n, c) for n, c in enumerate(doc.get("channels") or [])],
        numbers=[
            {"number": to_e164(str(num)), "channel": str(c["key"])}
            for c in doc.get("channels") or []
            for num in c.get("numbers") or []
        ],
        spend=_spend(doc.get("ad_spend") or []),
        patients=patients,
        phones=phones,
        appointments=[_appointment(a, doctors) for a in appts],
        visits=[_visit(v, doctors) for v in doc.get("visits") or []],
        links=[
            {"visit_id": str(v["id"]), "appointment_id": str(v["appointment_id"])}
            for v in doc.get("visits") or []
            if v.get("appointment_id") is not None
        ],
        comments=[_comment(c, provider) for c in doc.get("comments") or []],
        source=source,
    )


def _epoch(text: str) -> int:
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"time without an offset: {text!r}")
    return int(when.timestamp())


def _created(appts: list[dict[str, Any]], comments: list[dict[str, Any]]) -> dict[str, int]:
    """When each booked patient became one: the start of the call that booked them."""
    starts = {str(c["call_id"]): c["call_start"] for c in comments if c.get("call_start")}
    out: dict[str, int] = {}
    for a in appts:
        call_start = starts.get(str(a.get("call_id")))
        pid, at = str(a["patient_id"]), _epoch(call_start or a["booked_at"])
        out[pid] = min(at, out.get(pid, at))
    return out


def _patients(
    rows: list[dict[str, Any]],
    created: dict[str, int],
    doctors: dict[str, dict[str, Any]],
    tz: ZoneInfo,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    patients: dict[str, dict[str, Any]] = {}
    phones: dict[tuple[str, str], dict[str, Any]] = {}
    for p in rows:
        pid = str(p["id"])
        since = p.get("since")
        at = None
        if since:
            midnight = int(datetime.combine(date.fromisoformat(since), time(0), tz).timestamp())
            at = created.get(pid, midnight)
        prior = p.get("prior")
        if prior and prior.get("last_doctor_id") is not None:
            doctor = doctors.get(str(prior["last_doctor_id"]))
            prior = {**prior, "last_doctor": doctor["name"] if doctor else None}
        data = {"phone": p.get("phone"), "prior": prior, "new": bool(p.get("new"))}
        patients[pid] = {
            "id": pid,
            "clinic_id": _str(p.get("clinic_id")),
            "full_name": str(p.get("name") or pid),
            "created_at": at,
            "data": orjson.dumps(data).decode(),
        }
        for raw in [p.get("phone"), *(p.get("phones") or [])]:
            phone = to_e164(str(raw)) if raw else None
            if phone:
                phones[(phone, pid)] = {"phone": phone, "patient_id": pid}
    return list(patients.values()), list(phones.values())


def _staff(admins: Iterable[dict[str, Any]], doctors: Iterable[dict[str, Any]]) -> list[Any]:
    out = {
        str(d["id"]): {
            "id": str(d["id"]),
            "name": str(d["name"]),
            "role": "doctor",
            "clinic_id": _str(d.get("clinic_id")),
            "specialty": d.get("specialty"),
            "sip_lines": None,
        }
        for d in doctors
    }
    for a in admins:
        out[str(a["id"])] = {
            "id": str(a["id"]),
            "name": str(a["name"]),
            "role": "administrator",
            "clinic_id": _str(a.get("clinic_id")),
            "specialty": None,
            "sip_lines": orjson.dumps([str(x) for x in a.get("sip_lines") or []]).decode(),
        }
    return list(out.values())


def _channel(position: int, c: dict[str, Any]) -> dict[str, Any]:
    spend = c.get("spend_per_day")
    return {
        "key": str(c["key"]),
        "position": position,
        "utm_source": c.get("utm_source"),
        "utm_medium": c.get("utm_medium"),
        "utm_campaign": c.get("utm_campaign"),
        "spend_per_day": None if spend is None else Decimal(str(spend)),
    }


def _spend(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: dict[tuple[date, str], Decimal] = {}
    for r in rows:
        key = (date.fromisoformat(r["date"]), str(r["channel"]))
        out[key] = out.get(key, Decimal(0)) + Decimal(str(r["amount"]))
    return [{"day": d, "channel": c, "amount": a} for (d, c), a in out.items()]


def _appointment(a: dict[str, Any], doctors: dict[str, dict[str, Any]]) -> dict[str, Any]:
    doctor = doctors.get(str(a.get("doctor_id")))
    planned = a.get("planned_at")
    data = {"call_id": a.get("call_id"), "first_visit": a.get("first_visit")}
    return {
        "id": str(a["id"]),
        "patient_id": str(a["patient_id"]),
        "clinic_id": _str(a.get("clinic_id")),
        "booked_at": _epoch(a["booked_at"]),
        "scheduled_at": _epoch(planned) if planned else None,
        "employee_id": _str(a.get("administrator_id")),
        "doctor": doctor["name"] if doctor else None,
        "status": "booked",
        "visit_id": None,
        "data": orjson.dumps(data).decode(),
    }


def _visit(v: dict[str, Any], doctors: dict[str, dict[str, Any]]) -> dict[str, Any]:
    doctor = doctors.get(str(v.get("doctor_id")))
    return {
        "id": str(v["id"]),
        "patient_id": str(v["patient_id"]),
        "clinic_id": _str(v.get("clinic_id")),
        "visit_at": _epoch(v["start"]),
        "doctor": doctor["name"] if doctor else None,
        "amount": Decimal(str(v.get("sum") or 0)),
        "completed": bool(v.get("completed")),
        "data": orjson.dumps({"doctor_id": v.get("doctor_id")}).decode(),
    }


def _comment(c: dict[str, Any], provider: str) -> dict[str, Any]:
    at = c.get("call_start")
    return {
        "provider": provider,
        "provider_call_id": str(c["call_id"]),
        "call_type": c.get("call_type"),
        "topic": c.get("topic"),
        "text": c.get("text"),
        "author": _str(c.get("administrator_id")),
        "updated_at": _epoch(at) if at else 0,
    }


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def import_file(store_engine: Any, path: str | Path, *, provider: str) -> dict[str, int]:
    """Load FILE into the store's clinic tables (replacing what was there)."""
    doc = load_document(path)
    data = parse_document(doc, provider=provider, source=str(path))
    return ClinicStore(store_engine).replace(data)
