"""The truth: what really happened, as plain JSON-ready dicts, for assertions and reports.

Two documents, both deterministic from (scenario, seed, start) and lazily
computed per day from the world's own calls:

`calls_truth(world, ts_from, ts_to, faces)` — every call that started in the
period (and by now), with its id as each face shows it (`faces`: each face's
namer, `mockpbx.providers.registry.FACE_IDS`)::

    {"id": 3000967001,                       # UIS call_session_id / communication_id
     "ids": {"uis": {"call_session_id": 3000967001, "communication_id": 3000967001},
             "mango": {"entry_id": "MzAw…", "call_ids": ["MTozMDA…", …],  # one per leg
                       "recording_id": "MTozMDA…" | null},
             "clinic": null},                # the clinic API has no call id
     "clinic_id": 1, "kind": "incoming|outgoing|callback", "direction": "in|out",
     "source": "va|call_tracking|dynamic_call_tracking|sip|callapi",
     "start": ISO, "answer": ISO|null, "end": ISO,   # account timezone, with offset
     "state": "ringing|talking|finished|missed|…",   # at the world's now
     "in_history": bool, "history_visible_at": ISO,  # late rows: end + history_delay
     "contact_number": "7…", "virtual_number": "7…"|null,
     "wait_seconds": int, "talk_seconds": int, "finish_reason": str,
     "answered_by": employee id|null,        # first employee who answered
     "employee_ids": [ids rung, in order], "sip_line_ids": [...],
     "transferred": bool, "callback_of": call id|null, "has_recording": bool,
     "visit": {"channel_key", "utm_source", "utm_medium", "utm_campaign", "utm_term",
               "utm_content", "referrer", "referrer_domain", "channel"}|null,
     "legs": [{"id", "role", "employee_id", "sip_line_id", "start", "answer", "end",
               "finish_reason", "is_transferred"}]}

`clinic_truth(world, ts_from, ts_to)` — the clinic side (what the clinic's
own software knows), consistent with the calls::

    {"timezone", "from", "to", "now",
     "clinics": [{"id", "name", "timezone"}],
     "administrators": [{"id", "name", "clinic_id", "sip_lines": [login, …]}],
     "doctors": [{"id", "name", "clinic_id", "specialty"}],
     "channels": [{"key", "utm_source", "utm_medium", "utm_campaign", "uis_channel",
                   "spend_per_day", "numbers": [static tracking numbers]}],
     "ad_spend": [{"date", "channel", "amount"}],          # per day of the period
     "patients": [{"id", "clinic_id", "name", "last_name", "first_name", "patronymic",
                   "phone", "since": date|null,             # null: in the base before
                   "new": bool,                             # created by a booking call
                   "prior": {"visits", "completed", "sum", "last_visit", "last_doctor_id"}
                            |null}],                        # totals before the history
     "comments": [{"call_id", "call_start", "clinic_id", "administrator_id", "phone",
                   "patient_id"|null, "new_caller": bool, "call_type", "topic"}],
     "appointments": [{"id", "call_id", "clinic_id", "administrator_id", "patient_id",
                       "phone", "booked_at", "doctor_id", "planned_at", "first_visit"}],
     "visits": [{"id", "clinic_id", "patient_id", "doctor_id", "start", "date", "sum",
                 "completed", "appointment_id"|null}]}

Rules that make it consistent: a comment exists for every answered call that an
administrator took part in, once the call has ended; an appointment is booked
at the end of such a call by that administrator (its `call_id` is a real
answered call); a caller is an existing patient when their number is in the
clinic's patient base or booked earlier the same day (fresh callers' numbers
are unique, see `daygen.unique_fresh_phone`); a new caller who books becomes a
patient (`since` = the booking date, id = the call id). Visits happen on the
planned date (`completed` with the scenario's completion rate; `sum` is what
was paid, 0 when not completed); new patients get a course of visits. Base
patients also have routine visits booked in person (`appointment_id` null).
Everything is filtered to the period and to what has happened by `now`:
comments/appointments by call start, visits by their start, new patients by
`since`.
"""

from __future__ import annotations

import bisect
import functools
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from mockpbx.core.calls import MAX_CALL_SECONDS
from mockpbx.core.ids import name_parts
from mockpbx.core.model import Call, LegRole
from mockpbx.core.world import World
from mockpbx.scenarios.daygen import sampler
from mockpbx.scenarios.engine import Engine

__all__ = ["FaceIds", "calls_truth", "clinic_truth"]

FaceIds = Mapping[str, Callable[[Call], dict[str, Any] | None]]
"""How each face names a call: face -> the call's ids there (None: the face has no call
id), in the order the truth lists them. Faces own their namers; `mockpbx/providers/registry.py`
gathers them (scenarios may not import faces)."""

COURSE_HORIZON_DAYS = 14 + 4 * 21 + 7  # longest lead from a booking call to its last visit


# -- calls ---------------------------------------------------------------------------
def calls_truth(world: World, ts_from: int, ts_to: int, faces: FaceIds) -> list[dict[str, Any]]:
    """Every call that started in [ts_from, ts_to) and by now, as each of `faces` names it."""
    now = world.now()
    return [
        call_truth(world, c, now, faces)
        for c in world.store.between(ts_from, min(ts_to, now + 1))
        if c.start_ts <= now
    ]


def call_truth(world: World, call: Call, now: int, faces: FaceIds) -> dict[str, Any]:
    iso = _iso(world)
    employee_legs = [leg for leg in call.legs if leg.role is LegRole.EMPLOYEE]
    answered = next((leg for leg in employee_legs if leg.answer_ts is not None), None)
    state = call.state(now)
    return {
        "id": call.id,
        "ids": {face: name(call) for face, name in faces.items()},
        "clinic_id": call.clinic_id,
        "kind": call.kind.value,
        "direction": call.direction.value,
        "source": call.source,
        "start": iso(call.start_ts),
        "answer": None if call.answer_ts is None else iso(call.answer_ts),
        "end": iso(call.end_ts),
        "state": None if state is None else state.value,
        "in_history": call.in_history(now),
        "history_visible_at": iso(call.end_ts + call.history_delay),
        "contact_number": call.contact_number,
        "virtual_number": call.virtual_number,
        "wait_seconds": call.wait_duration,
        "talk_seconds": call.talk_duration,
        "finish_reason": call.finish_reason,
        "answered_by": None if answered is None else answered.employee_id,
        "employee_ids": [leg.employee_id for leg in employee_legs],
        "sip_line_ids": [leg.sip_line_id for leg in employee_legs],
        "transferred": call.transferred,
        "callback_of": call.callback_of,
        "has_recording": call.has_recording,
        "visit": _visit(call),
        "legs": [
            {
                "id": leg.id,
                "role": leg.role.value,
                "employee_id": leg.employee_id,
                "sip_line_id": leg.sip_line_id,
                "start": iso(leg.start_ts),
                "answer": None if leg.answer_ts is None else iso(leg.answer_ts),
                "end": iso(leg.end_ts),
                "finish_reason": leg.finish_reason,
                "is_transferred": leg.is_transferred,
            }
            for leg in call.legs
        ],
    }


def _visit(call: Call) -> dict[str, Any] | None:
    v = call.visit
    if v is None:
        return None
    return {
        "channel_key": v.channel_key,
        "utm_source": v.utm_source,
        "utm_medium": v.utm_medium,
        "utm_campaign": v.utm_campaign,
        "utm_term": v.utm_term,
        "utm_content": v.utm_content,
        "referrer": v.referrer,
        "referrer_domain": v.referrer_domain,
        "channel": v.channel,
    }


def _iso(world: World) -> Any:
    tz = world.tz

    def iso(ts: int) -> str:
        return datetime.fromtimestamp(ts, tz).isoformat()

    return iso


# -- the clinic side -------------------------------------------------------------------
@dataclass(slots=True)
class _Day:
    comments: list[dict[str, Any]] = field(default_factory=list)
    appointments: list[dict[str, Any]] = field(default_factory=list)
    visits: list[dict[str, Any]] = field(default_factory=list)
    patients: list[dict[str, Any]] = field(default_factory=list)


class ClinicSide:
    """The clinic-side life of an engine's clinics: patients, doctors, and per-day events."""

    def __init__(self, engine: Engine, history_from: date) -> None:
        self.engine = engine
        self.history_from = history_from
        self.life = engine.scenario.clinic_life
        self.visit_sum = sampler(self.life.visit_sum)
        self.doctors = self._doctors()
        self.admin_ids = {e.id for e in engine.directory.employees if e.role == "administrator"}
        self.call_seed = engine.seeds.derive("clinic")
        self.base: dict[int, list[dict[str, Any]]] = {}
        self.by_phone: dict[int, dict[str, int]] = {}
        for spec in engine.scenario.clinics:
            self.base[spec.id] = self._base_patients(spec.id)
            self.by_phone[spec.id] = {p["phone"]: p["id"] for p in self.base[spec.id]}

    def _doctors(self) -> dict[int, list[dict[str, Any]]]:
        out: dict[int, list[dict[str, Any]]] = {}
        for e in self.engine.directory.employees:
            if e.role == "doctor":
                out.setdefault(e.clinic_id, []).append(
                    {"id": e.id, "name": e.full_name, "clinic_id": e.clinic_id,
                     "specialty": self.engine.specialties.get(e.id, "стоматолог")}
                )  # fmt: skip
        parts = name_parts()
        for spec in self.engine.scenario.clinics:  # clinics without doctors on the PBX
            if spec.id not in out:
                rnd = self.engine.seeds.random("doctors", spec.id)
                out[spec.id] = [
                    {"id": 900 + spec.id * 10 + i, "name": " ".join(parts.draw(rnd)),
                     "clinic_id": spec.id, "specialty": s}
                    for i, s in enumerate(("стоматолог-терапевт", "хирург", "ортопед"))
                ]  # fmt: skip
        return out

    def _base_patients(self, clinic_id: int) -> list[dict[str, Any]]:
        plan = self.engine.plan(clinic_id)
        rnd = self.engine.seeds.random("patient-cards", clinic_id)
        parts, doctors, out = name_parts(), self.doctors[clinic_id], []
        lo, hi = self.life.prior_visits
        seen: set[str] = set()
        for k, phone in enumerate(plan.patients):
            last, first, middle = parts.draw(rnd)
            visits = rnd.randint(lo, hi)
            completed = min(visits, int(visits * self.life.completion_rate + rnd.random()))
            total = int(round(self.visit_sum(rnd) * completed, -1))
            last_visit = self.history_from - timedelta(days=rnd.randint(1, 720))
            if phone in seen:  # two base patients never share a number
                continue
            seen.add(phone)
            out.append(
                _patient(clinic_id * 1_000_000 + k + 1, clinic_id, (last, first, middle), phone,
                         None, prior={"visits": visits, "completed": completed, "sum": total,
                                      "last_visit": last_visit.isoformat(),
                                      "last_doctor_id": rnd.choice(doctors)["id"]})
            )  # fmt: skip
        return out

    # -- one day -------------------------------------------------------------------
    def day(self, world: World, day: date) -> _Day:
        start = world.day_start(day)
        end = world.day_start(day + timedelta(days=1))
        out = _Day()
        booked_today: dict[tuple[int, str], int] = {}
        for call in world.store.between(start, end):
            self._call(world, call, out, booked_today)
        for spec in self.engine.scenario.clinics:
            self._routine_visits(world, spec.id, day, out)
        return out

    def _call(
        self, world: World, call: Call, out: _Day, booked_today: dict[tuple[int, str], int]
    ) -> None:
        admin = next(
            (leg for leg in call.legs
             if leg.answer_ts is not None and leg.employee_id in self.admin_ids),
            None,
        )  # fmt: skip
        if admin is None or call.answer_ts is None or call.clinic_id not in self.base:
            return
        rnd = SplitMix(self.call_seed ^ call.id)
        clinic, phone = call.clinic_id, call.contact_number
        patient_id = self.by_phone[clinic].get(phone) or booked_today.get((clinic, phone))
        script = self.engine.scripted_by_call.get(call.id)
        types = self.life.patient_call_types if patient_id else self.life.new_call_types
        call_type = (script and script.call_type) or _weighted(rnd, types)
        topic = (script and script.topic) or _weighted(rnd, self.life.topics)
        books = "записаться" in call_type.lower() and rnd.random() < self.life.book_rate
        if script is not None and script.books is not None:
            books = script.books
        iso = _iso(world)
        out.comments.append(
            {"call_id": call.id, "call_start": iso(call.start_ts), "clinic_id": clinic,
             "administrator_id": admin.employee_id, "phone": phone, "patient_id": patient_id,
             "new_caller": patient_id is None, "call_type": call_type, "topic": topic,
             "_at": call.start_ts, "_ts": call.end_ts}
        )  # fmt: skip
        if books:
            self._book(world, call, admin.employee_id, patient_id, rnd, out, booked_today)

    def _book(
        self,
        world: World,
        call: Call,
        admin_id: int | None,
        patient_id: int | None,
        rnd: random.Random,
        out: _Day,
        booked_today: dict[tuple[int, str], int],
    ) -> None:
        clinic, iso = call.clinic_id, _iso(world)
        first = patient_id is None
        if patient_id is None:
            patient_id = call.id
            booked_today[(clinic, call.contact_number)] = patient_id
            out.patients.append(
                _patient(patient_id, clinic, name_parts().draw(rnd), call.contact_number,
                         world.local(call.end_ts).date().isoformat(), prior=None,
                         at=call.start_ts, ts=call.end_ts)
            )  # fmt: skip
        doctor = self._doctor(call, clinic, rnd)
        planned = self._slot(world, clinic, call.end_ts, rnd)
        out.appointments.append(
            {"id": call.id, "call_id": call.id, "clinic_id": clinic,
             "administrator_id": admin_id, "patient_id": patient_id,
             "phone": call.contact_number, "booked_at": iso(call.end_ts),
             "doctor_id": doctor, "planned_at": iso(planned), "first_visit": first,
             "_at": call.start_ts, "_ts": call.end_ts}
        )  # fmt: skip
        course = rnd.randint(*self.life.course_visits) if first else 1
        for i in range(course):
            out.visits.append(self._visit(world, call.id * 10 + i, clinic, patient_id, doctor,
                                          planned, call.id, rnd))  # fmt: skip
            planned = self._slot(world, clinic, planned + rnd.randint(7, 21) * 86400, rnd)

    def _doctor(self, call: Call, clinic: int, rnd: random.Random) -> int:
        ids: list[int] = [d["id"] for d in self.doctors[clinic]]
        for leg in reversed(call.legs):  # transferred to a doctor: that doctor
            if leg.answer_ts is not None and leg.employee_id is not None and leg.employee_id in ids:
                return leg.employee_id
        return rnd.choice(ids)

    def _slot(self, world: World, clinic: int, after: int, rnd: random.Random) -> int:
        """A working-hours half-hour slot 1..14 days after `after` (clinic's open days)."""
        spec = self.engine.plan(clinic).spec
        day = world.local(after).date() + timedelta(days=rnd.randint(1, 14))
        for _ in range(7):
            hours = spec.hours(day.weekday())
            if hours is not None and hours[1] - hours[0] >= 60:
                slots = (hours[1] - hours[0] - 30) // 30
                minute = hours[0] + 30 * rnd.randint(0, max(slots, 0))
                return world.day_start(day) + minute * 60
            day += timedelta(days=1)
        return world.day_start(day) + 12 * 3600

    def _visit(
        self,
        world: World,
        visit_id: int,
        clinic: int,
        patient_id: int,
        doctor: int,
        start: int,
        appointment: int | None,
        rnd: random.Random,
    ) -> dict[str, Any]:
        completed = rnd.random() < self.life.completion_rate
        paid = int(round(self.visit_sum(rnd), -1)) if completed else 0
        local = world.local(start)
        return {"id": visit_id, "clinic_id": clinic, "patient_id": patient_id,
                "doctor_id": doctor, "start": local.isoformat(),
                "date": local.date().isoformat(), "sum": paid, "completed": completed,
                "appointment_id": appointment, "_at": start, "_ts": start}  # fmt: skip

    def _routine_visits(self, world: World, clinic: int, day: date, out: _Day) -> None:
        spec = self.engine.plan(clinic).spec
        hours = spec.hours(day.weekday())
        base, doctors = self.base[clinic], self.doctors[clinic]
        if hours is None or not base:
            return
        rnd = self.engine.seeds.random("routine-visits", clinic, day.isoformat())
        n = _poisson(rnd, self.life.daily_visits_per_doctor * len(doctors))
        day_index = (day - date(2000, 1, 1)).days
        start = world.day_start(day)
        for k in range(n):
            minute = rnd.randrange(hours[0], max(hours[1] - 30, hours[0] + 1))
            out.visits.append(
                self._visit(world, 5_000_000_000_000 + day_index * 100_000 + clinic * 1000 + k,
                            clinic, rnd.choice(base)["id"], rnd.choice(doctors)["id"],
                            start + minute * 60, None, rnd)
            )  # fmt: skip


def _patient(
    pid: int,
    clinic: int,
    name: tuple[str, str, str],
    phone: str,
    since: str | None,
    *,
    prior: dict[str, Any] | None,
    at: int | None = None,
    ts: int | None = None,
) -> dict[str, Any]:
    last, first, middle = name
    out = {"id": pid, "clinic_id": clinic, "name": f"{last} {first} {middle}".strip(),
           "last_name": last, "first_name": first, "patronymic": middle, "phone": phone,
           "since": since, "new": since is not None, "prior": prior}  # fmt: skip
    if at is not None and ts is not None:
        out["_at"], out["_ts"] = at, ts
    return out


def _weighted(rnd: random.Random, weights: dict[str, float]) -> str:
    keys, cum = _table(tuple(weights.items()))
    return keys[min(bisect.bisect(cum, rnd.random() * cum[-1]), len(keys) - 1)]


@functools.cache
def _table(items: tuple[tuple[str, float], ...]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    cum, total = [], 0.0
    for _, weight in items:
        total += weight
        cum.append(total)
    return tuple(k for k, _ in items), tuple(cum) if cum else (0.0,)


_MASK = (1 << 64) - 1


class SplitMix(random.Random):
    """splitmix64 behind the `random.Random` API: seeding costs nothing (MT costs ~10 µs).

    The clinic side draws a handful of numbers per call from a stream of its
    own (seed ^ call id), so each call's outcome never depends on other calls.
    """

    def __init__(self, seed: int) -> None:  # deliberately no Mersenne Twister seeding
        self.state = seed & _MASK

    def random(self) -> float:
        self.state = z = (self.state + 0x9E3779B97F4A7C15) & _MASK
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return ((z ^ (z >> 31)) >> 11) * (1.0 / 9007199254740992.0)


def _poisson(rnd: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-mean), 0, rnd.random()
    while p > limit and k < 10_000:
        k += 1
        p *= rnd.random()
    return k


def clinic_side(world: World) -> ClinicSide:
    """The clinic side of the world's engine (patients, doctors), built once per engine."""
    engine: Engine = world.meta["engine"]
    first: date = world.meta.get("history_from") or world.today()
    side = engine.clinic_sides.get(first)
    if not isinstance(side, ClinicSide):
        side = engine.clinic_sides[first] = ClinicSide(engine, first)
    return side


def clinic_truth(world: World, ts_from: int, ts_to: int) -> dict[str, Any]:
    """The clinic-side truth of [ts_from, ts_to), up to now (see the module docstring)."""
    side = clinic_side(world)
    now = world.now()
    first_day = world.local(ts_from).date()
    last_day = world.local(max(ts_from, ts_to - 1)).date()
    horizon = first_day - timedelta(days=COURSE_HORIZON_DAYS)
    days = [_day(side, world, d, now) for d in _dates(horizon, min(last_day, world.today()))]
    keep = _keeper(ts_from, ts_to, now)
    return {
        **_header(world, side, ts_from, ts_to, now),
        "ad_spend": _ad_spend(side, first_day, min(last_day, world.today())),
        "patients": [p for clinic in side.base.values() for p in clinic]
        + [_clean(p) for d in days for p in d.patients if keep(p)],
        "comments": [_clean(c) for d in days for c in d.comments if keep(c)],
        "appointments": [_clean(a) for d in days for a in d.appointments if keep(a)],
        "visits": sorted(
            (_clean(v) for d in days for v in d.visits if keep(v)),
            key=lambda v: (v["start"], v["id"]),
        ),
    }


def _day(side: ClinicSide, world: World, day: date, now: int) -> _Day:
    """A day's clinic events; cached per world once every call of the day has ended."""
    first = world.meta.get("history_from")
    if first is not None and day < first:
        return _Day()
    cache: dict[date, _Day] = world.meta.setdefault("clinic_days", {})
    found = cache.get(day)
    if found is None:
        found = side.day(world, day)
        if world.day_start(day + timedelta(days=1)) + MAX_CALL_SECONDS < now:
            cache[day] = found
    return found


def _dates(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _keeper(ts_from: int, ts_to: int, now: int) -> Any:
    """Rows whose period key is in [ts_from, ts_to) and that have happened by `now`."""
    return lambda row: ts_from <= row["_at"] < ts_to and row["_ts"] <= now


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k[0] != "_"}


def _header(world: World, side: ClinicSide, ts_from: int, ts_to: int, now: int) -> dict[str, Any]:
    iso, d = _iso(world), side.engine.directory
    lines: dict[int, list[str]] = {}
    for line in d.sip_lines:
        lines.setdefault(line.employee_id, []).append(line.login)
    static: dict[str, list[str]] = {}
    for n in d.numbers:
        if n.channel:
            static.setdefault(n.channel, []).append(n.number)
    return {
        "timezone": world.account.timezone,
        "from": iso(ts_from),
        "to": iso(ts_to),
        "now": iso(now),
        "clinics": [{"id": c.id, "name": c.name, "timezone": c.timezone} for c in d.clinics],
        "administrators": [
            {
                "id": e.id,
                "name": e.full_name,
                "clinic_id": e.clinic_id,
                "sip_lines": lines.get(e.id, []),
            }
            for e in d.employees
            if e.role == "administrator"
        ],
        "doctors": [doc for docs in side.doctors.values() for doc in docs],
        "channels": [
            {
                "key": c.key,
                "utm_source": c.utm_source,
                "utm_medium": c.utm_medium,
                "utm_campaign": c.utm_campaign,
                "uis_channel": c.uis_channel,
                "spend_per_day": c.spend_per_day,
                "numbers": static.get(c.key, []),
            }
            for c in side.engine.channels
        ],
    }


def _ad_spend(side: ClinicSide, first: date, last: date) -> list[dict[str, Any]]:
    return [
        {"date": day.isoformat(), "channel": c.key, "amount": c.spend_per_day}
        for day in _dates(first, last)
        for c in side.engine.channels
        if c.spend_per_day
    ]
