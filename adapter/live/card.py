"""The caller's card: who is calling, by the caller's number in the clinic data.

Full name, total treatment sum, number of visits and the share completed,
the last visit (doctor and how long ago: "2 месяца 7 дней" / "2 months 7
days"), or "new caller". Totals add the patient's history before the data
(`prior`) to the visits in the store. `caller_card` reads the store: call it
from a worker thread, never on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson

from adapter.model import to_e164
from adapter.providers.base import add_months
from adapter.store.clinic import ClinicStore

__all__ = ["CallerCard", "ago", "caller_card"]


@dataclass(frozen=True, slots=True)
class CallerCard:
    phone: str | None
    patient_id: str | None = None
    full_name: str | None = None
    total_sum: Decimal = Decimal(0)
    visits: int = 0
    completed: int = 0
    last_visit: date | None = None
    last_doctor: str | None = None

    @property
    def new_caller(self) -> bool:
        return self.patient_id is None

    @property
    def completed_pct(self) -> int:
        """Completed visits in percent of all visits, rounded half up."""
        return 0 if self.visits == 0 else (200 * self.completed + self.visits) // (2 * self.visits)

    def as_json(self, today: date) -> dict[str, Any]:
        return {
            "phone": self.phone,
            "new_caller": self.new_caller,
            "patient_id": self.patient_id,
            "full_name": self.full_name,
            "total_sum": float(self.total_sum),
            "visits": self.visits,
            "completed": self.completed,
            "completed_pct": self.completed_pct,
            "last_visit": None if self.last_visit is None else self.last_visit.isoformat(),
            "last_doctor": self.last_doctor,
            "last_visit_ago": None if self.last_visit is None else ago(self.last_visit, today),
            "last_visit_ago_ru": None
            if self.last_visit is None
            else ago(self.last_visit, today, "ru"),
        }


def caller_card(clinic: ClinicStore, phone: str | None, now: datetime) -> CallerCard:
    """The card of the patient with this number (the earliest registered if several)."""
    number = to_e164(phone) if phone else None
    found = clinic.patients_by_phone(number) if number else []
    if not found:
        return CallerCard(number)
    patient = found[0]
    data = orjson.loads(patient["data"]) if patient.get("data") else {}
    prior = data.get("prior") or {}
    total = Decimal(str(prior.get("sum") or 0))
    visits, completed = int(prior.get("visits") or 0), int(prior.get("completed") or 0)
    last = date.fromisoformat(prior["last_visit"]) if prior.get("last_visit") else None
    doctor = prior.get("last_doctor")
    ts = now.timestamp()
    for visit in clinic.visits_of(patient["id"]):
        if visit.visit_at > ts:
            continue
        visits += 1
        completed += visit.completed
        total += visit.amount
        day = datetime.fromtimestamp(visit.visit_at, now.tzinfo).date()
        if last is None or day >= last:
            last, doctor = day, visit.doctor
    return CallerCard(
        number, str(patient["id"]), patient["full_name"], total, visits, completed, last, doctor
    )


_RU = {
    "y": ("год", "года", "лет"),
    "m": ("месяц", "месяца", "месяцев"),
    "d": ("день", "дня", "дней"),
}
_EN = {"y": ("year", "years"), "m": ("month", "months"), "d": ("day", "days")}


def _ru_form(n: int, forms: tuple[str, str, str]) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


def ago(since: date, today: date, lang: str = "en") -> str:
    """Calendar distance: `2 months 7 days` / `2 месяца 7 дней`; `today` / `сегодня` for 0."""
    if since > today:
        since = today
    months = (today.year - since.year) * 12 + today.month - since.month
    if today.day < since.day:
        months -= 1
    anchor = add_months(since, months)
    days = (today - anchor).days
    parts = [("y", months // 12), ("m", months % 12), ("d", days)]
    words = []
    for unit, n in parts:
        if n:
            name = _ru_form(n, _RU[unit]) if lang == "ru" else _EN[unit][n != 1]
            words.append(f"{n} {name}")
    if not words:
        return "сегодня" if lang == "ru" else "today"
    return " ".join(words)
