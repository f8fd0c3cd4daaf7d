"""Scenario files: the declarative description of a clinic's telephony life.

A scenario is validated by these pydantic models; unknown keys are errors,
so a typo never silently falls back to a default. `loader.py` reads YAML
files into them and names the file and field path of every mistake.

Everything is optional: `Scenario()` is the default small clinic (three
administrators, a main number and two tracking numbers, 30 days of history).
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, time
from typing import Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mockpbx.core.calls import LEGS_PER_CALL
from mockpbx.core.profiles import ProfileName
from mockpbx.scenarios.fault_targets import FAULT_METHODS, listed

__all__ = [
    "Channel",
    "ClinicLife",
    "ClinicSpec",
    "Distribution",
    "Durations",
    "FaultSpec",
    "FaultWindow",
    "NumberSpec",
    "RouteSpec",
    "Scenario",
    "ScriptedCall",
    "Shares",
    "SipLineSpec",
    "StaffSpec",
    "Volume",
    "parse_offset",
    "parse_span",
]

DEFAULT_STAFF_KEYS = ("admin1", "admin2", "admin3")  # the default clinic's administrators
DEFAULT_NUMBER_KEYS = ("main", "yandex", "site")  # and its numbers

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

FaultKind = Literal[
    "latency",
    "provider_error",
    "http_status",
    "rate_limit",
    "reset",
    "hang",
    "truncate",
    "duplicate_rows",
    "late_rows",
    "expire_token",
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)  # one source: the literal
# The fields each kind uses beyond face, method, kind, count, probability and window.
FAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "latency": ("seconds", "distribution"),
    "provider_error": ("code", "message"),
    "http_status": ("status",),
    "rate_limit": ("retry_after",),
    "reset": (),
    "hang": ("seconds",),
    "truncate": ("keep_bytes",),
    "duplicate_rows": ("rows",),
    "late_rows": ("delay_seconds",),
    "expire_token": (),
}
FAULT_COMMON = ("face", "method", "kind", "count", "probability", "window")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@functools.cache
def parse_span(span: str) -> tuple[int, int]:
    """'09:00-21:00' -> (540, 1260)."""
    try:
        a, b = span.split("-")
        ha, ma = (int(x) for x in a.strip().split(":"))
        hb, mb = (int(x) for x in b.strip().split(":"))
    except ValueError:
        raise ValueError(f"expected 'HH:MM-HH:MM', got {span!r}") from None
    start, end = ha * 60 + ma, hb * 60 + mb
    if not 0 <= start < end <= 24 * 60:
        raise ValueError(f"expected opening before closing within a day, got {span!r}")
    return start, end


_OFFSET = re.compile(r"^\+(\d+(?:\.\d+)?)([smhd]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_offset(value: str) -> float | None:
    """'+90s', '+30m', '+2h', '+1d', '+600' -> seconds; None if `value` is not an offset."""
    match = _OFFSET.match(value.strip())
    if match is None:
        return None
    return float(match.group(1)) * _UNITS[match.group(2)]


class ClinicSpec(_Strict):
    """One clinic (a branch of the network): where calls go and when it is open."""

    id: int = Field(1, ge=1, le=999)
    name: str = "Стоматология «Улыбка»"
    address: str = ""
    timezone: str | None = None  # defaults to the account's
    # "HH:MM-HH:MM" per weekday (mon..sun); null = closed that day
    working_hours: dict[str, str | None] = Field(
        default_factory=lambda: {
            "mon": "09:00-21:00",
            "tue": "09:00-21:00",
            "wed": "09:00-21:00",
            "thu": "09:00-21:00",
            "fri": "09:00-21:00",
            "sat": "10:00-18:00",
            "sun": None,
        }
    )
    volume_factor: float = Field(1.0, ge=0, description="scales the scenario's call volume")

    @field_validator("working_hours")
    @classmethod
    def _check_hours(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        for day, span in value.items():
            if day not in _DAYS:
                raise ValueError(f"unknown weekday {day!r}; expected one of {', '.join(_DAYS)}")
            if span is not None:
                parse_span(span)
        return value

    @field_validator("timezone")
    @classmethod
    def _check_tz(cls, value: str | None) -> str | None:
        return None if value is None else _check_timezone(value)

    def hours(self, weekday: int) -> tuple[int, int] | None:
        """(open, close) in minutes after midnight for weekday 0=Mon, or None if closed."""
        span = self.working_hours.get(_DAYS[weekday])
        return None if span is None else parse_span(span)


def _check_timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"expected an IANA timezone such as Europe/Moscow, got {value!r}"
        ) from None
    return value


class SipLineSpec(_Strict):
    """A SIP line of an employee; `workstation` names the computer it is set up on."""

    login: str | None = None  # generated when omitted
    workstation: str | None = None
    registered: bool = True


class StaffSpec(_Strict):
    key: str | None = None  # referenced by routes and scripted calls
    role: Literal["administrator", "doctor", "manager"] = "administrator"
    name: str | None = None  # "Фамилия Имя Отчество"; generated when omitted
    specialty: str | None = None  # doctors: "терапевт", "хирург-имплантолог", ...
    clinic: int = 1
    answer_rate: float = Field(0.85, ge=0, le=1)
    sip_lines: list[SipLineSpec] = Field(default_factory=lambda: [SipLineSpec()])
    count: int = Field(1, ge=1, description="this many alike employees")


class NumberSpec(_Strict):
    key: str
    type: Literal["va", "call_tracking", "dynamic_call_tracking"] = "va"
    number: str | None = None  # E.164 digits; generated when omitted
    name: str = ""
    clinic: int = 1
    channel: str | None = None  # the ad channel of a static tracking number
    weight: float = Field(1.0, ge=0)  # share of incoming calls
    pool_size: int = Field(1, ge=1)  # dynamic call tracking: numbers in the pool

    @field_validator("number")
    @classmethod
    def _digits(cls, value: str | None) -> str | None:
        if value is not None and not (value.isdigit() and 10 <= len(value) <= 15):
            raise ValueError(f"expected E.164 digits without '+', got {value!r}")
        return value


class RouteSpec(_Strict):
    """Which employees' SIP lines ring when a number is called."""

    number: str  # a NumberSpec key, or "*" for every number of the clinic
    clinic: int = 1
    roles: list[str] = Field(default_factory=lambda: ["administrator"])
    staff: list[str] = Field(default_factory=list)  # StaffSpec keys; overrides roles
    strategy: Literal["sequential", "simultaneous"] = "sequential"
    ring_seconds: int = Field(20, ge=5, le=120)


class Channel(_Strict):
    key: str
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: list[str] | str | None = None
    utm_content: str | None = None
    referrer_domains: list[str] = Field(default_factory=list)
    uis_channel: str = "paid"
    weight: float = Field(1.0, ge=0)
    spend_per_day: float | None = Field(None, ge=0)


class Distribution(_Strict):
    kind: Literal["lognormal", "uniform", "fixed"] = "lognormal"
    median: float = Field(60, ge=0)
    sigma: float = Field(0.6, ge=0)
    low: float = Field(0, ge=0)
    high: float = Field(600, ge=0)


class Durations(_Strict):
    answer_delay: Distribution = Distribution(kind="uniform", low=3, high=15)
    talk: Distribution = Distribution(kind="lognormal", median=120, sigma=0.7, low=5, high=3600)
    patience: Distribution = Distribution(kind="uniform", low=30, high=120)


class Volume(_Strict):
    calls_per_day: float = Field(60, ge=0)
    # relative weights per hour of day (24, clinic-local) and weekday (7, Monday first)
    by_hour: list[float] = Field(
        default_factory=lambda: [
            0, 0, 0, 0, 0, 0, 0, 0.2, 0.8, 2.2, 2.6, 2.4,
            1.8, 1.0, 1.2, 1.8, 1.7, 1.5, 1.2, 0.9, 0.6, 0.3, 0.1, 0,
        ]
    )  # fmt: skip
    by_weekday: list[float] = Field(default_factory=lambda: [1.2, 1.1, 1.0, 1.0, 1.0, 0.6, 0.3])

    @field_validator("by_hour")
    @classmethod
    def _hours(cls, value: list[float]) -> list[float]:
        if len(value) != 24 or min(value) < 0:
            raise ValueError(f"expected 24 non-negative hourly weights, got {len(value)}")
        return value

    @field_validator("by_weekday")
    @classmethod
    def _weekdays(cls, value: list[float]) -> list[float]:
        if len(value) != 7 or min(value) < 0:
            raise ValueError(f"expected 7 non-negative weekday weights, got {len(value)}")
        return value


class Shares(_Strict):
    outgoing: float = Field(0.15, ge=0, le=1)  # extra outgoing calls per incoming call
    repeat_callers: float = Field(0.35, ge=0, le=1)  # new callers who call again that day
    existing_patients: float = Field(0.55, ge=0, le=1)
    callbacks_of_missed: float = Field(0.6, ge=0, le=1)
    transfers: float = Field(0.05, ge=0, le=1)
    late_rows: float = Field(0.0, ge=0, le=1)  # history rows that arrive late
    late_rows_delay: int = Field(600, ge=0)
    recorded: float = Field(1.0, ge=0, le=1)


class ClinicLife(_Strict):
    """How the clinic side (patients, comments, bookings, visits) follows from calls."""

    # call types an administrator picks, with weights, for existing and new callers
    patient_call_types: dict[str, float] = Field(
        default_factory=lambda: {
            "Пациент. Хочет записаться": 5.0,
            "Пациент. Перенос записи": 2.0,
            "Пациент. Вопрос по лечению": 2.0,
            "Пациент. Отмена записи": 1.0,
        }
    )
    new_call_types: dict[str, float] = Field(
        default_factory=lambda: {
            "Новый клиент. Хочет записаться": 5.0,
            "Новый клиент. Узнать цены": 3.0,
            "Спам или ошибка номера": 1.0,
        }
    )
    topics: dict[str, float] = Field(
        default_factory=lambda: {
            "Лечение кариеса": 4.0,
            "Профгигиена": 3.0,
            "Имплантация": 2.0,
            "Протезирование": 2.0,
            "Ортодонтия": 1.0,
            "Удаление зуба": 2.0,
            "Консультация": 2.0,
        }
    )
    book_rate: float = Field(0.8, ge=0, le=1)  # of calls whose type contains "записаться"
    completion_rate: float = Field(0.85, ge=0, le=1)  # visits that take place
    course_visits: tuple[int, int] = (1, 4)  # visits in a new patient's treatment course
    visit_sum: Distribution = Distribution(median=7000, sigma=0.8, low=1500, high=250_000)
    daily_visits_per_doctor: float = Field(4.0, ge=0)  # existing patients, booked in person
    prior_visits: tuple[int, int] = (1, 30)  # an existing patient's visits before the history


class ScriptedCall(_Strict):
    """A call at an exact time with a decided outcome.

    `at` is ISO 8601 with an offset, or local "HH:MM[:SS]" on the start day
    plus `day` days (so built-in scenarios work whatever the start date).
    """

    at: str
    day: int = 0
    clinic: int = 1
    direction: Literal["in", "out"] = "in"
    number: str | None = None  # NumberSpec key; default the clinic's first number
    contact: str | None = None  # E.164 digits, or "patient" (one of the base); default: new
    answered_by: str | None = None  # StaffSpec key; null = missed
    answer_after: int = Field(8, ge=0)
    talk: int = Field(120, ge=1)
    patience: int = Field(60, ge=1)
    transfer_to: str | None = None  # StaffSpec key
    transfer_after: int = Field(30, ge=1)
    late_seconds: int = Field(0, ge=0)  # history shows the call this long after it ends
    call_type: str | None = None
    topic: str | None = None
    books: bool | None = None  # the administrator books an appointment

    @field_validator("contact")
    @classmethod
    def _check_contact(cls, value: str | None) -> str | None:
        if value is not None and value != "patient" and not value.isdigit():
            raise ValueError(f"expected E.164 digits or 'patient', got {value!r}")
        return value

    @field_validator("at")
    @classmethod
    def _check_at(cls, value: str) -> str:
        scripted_time(value)
        return value

    @model_validator(mode="after")
    def _out_needs_employee(self) -> ScriptedCall:
        if self.direction == "out" and self.answered_by is None:
            raise ValueError("an outgoing scripted call needs answered_by (the employee who dials)")
        return self


def scripted_time(value: str) -> datetime | time:
    """The absolute time (aware datetime) or local wall time of a scripted call."""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        when = None
    if when is not None:
        if when.tzinfo is None:
            raise ValueError(f"expected an ISO time with offset or 'HH:MM[:SS]', got {value!r}")
        return when
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"expected an ISO time with offset or 'HH:MM[:SS]', got {value!r}"
        ) from None


class FaultWindow(_Strict):
    """A virtual-clock window: ISO 8601 with offset, or '+N[s|m|h|d]' after the start."""

    from_: str | None = Field(None, alias="from")
    to: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("from_", "to")
    @classmethod
    def _check(cls, value: str | None) -> str | None:
        if value is None or parse_offset(value) is not None:
            return value
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"expected ISO 8601 with offset or '+2h', got {value!r}") from None
        if when.tzinfo is None:
            raise ValueError(f"expected a UTC offset in {value!r}")
        return value


class FaultSpec(_Strict):
    """One fault: which requests it hits (face, method, count/probability/window) and how."""

    face: str
    method: str = "*"
    kind: FaultKind
    count: int | None = Field(None, ge=1)
    probability: float | None = Field(None, ge=0, le=1)
    window: FaultWindow | None = None
    seconds: float | None = Field(None, ge=0)  # latency, hang
    distribution: Distribution | None = None  # latency drawn from this (seconds)
    status: int | None = Field(None, ge=400, le=599)  # http_status
    retry_after: int = Field(1, ge=0)  # rate_limit
    code: int | str | None = None  # provider_error
    message: str | None = None  # provider_error
    rows: int = Field(1, ge=1)  # duplicate_rows: rows arriving at the head per hit
    delay_seconds: int = Field(600, ge=0)  # late_rows
    keep_bytes: int | None = Field(None, ge=0)  # truncate: bytes sent (default: half)

    @field_validator("face")
    @classmethod
    def _known_face(cls, value: str) -> str:
        if value != "*" and value not in FAULT_METHODS:
            raise ValueError(f"Input should be {listed(['*', *sorted(FAULT_METHODS)])}")
        return value

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str, info: ValidationInfo) -> str:
        face = info.data.get("face")
        if value == "*" or face is None:  # an unknown face is refused on its own
            return value
        faces = sorted(FAULT_METHODS) if face == "*" else [face]
        known = sorted({m for f in faces for m in FAULT_METHODS[f]})
        if value not in known:
            whose = "a method of any face" if face == "*" else f"a {face} method"
            raise ValueError(f"Input should be '*' or {whose}: {listed(known)}")
        return value

    @field_validator(*{f for fields in FAULT_FIELDS.values() for f in fields})
    @classmethod
    def _used_by_kind(cls, value: Any, info: ValidationInfo) -> Any:
        kind = info.data.get("kind")
        if kind is None or info.field_name in FAULT_FIELDS[kind]:
            return value
        uses = FAULT_FIELDS[kind]
        what = f"it uses {listed(uses)}" if uses else "it takes no other fields"
        raise ValueError(f"a {kind} fault does not use {info.field_name} ({what})")

    def used_fields(self) -> dict[str, Any]:
        """The fault as JSON with only the fields its kind uses (the API's echo)."""
        keep = {*FAULT_COMMON, *FAULT_FIELDS[self.kind]}
        body = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return {k: v for k, v in body.items() if k in keep}


class Scenario(_Strict):
    name: str = "default"
    description: str = ""
    account_name: str = "Клиника"
    timezone: str = "Europe/Moscow"
    app_id: int = 14200
    history_days: int = Field(30, ge=0, le=3660)
    start_time: str | None = None  # local "HH:MM" of the start day when no start is given
    clinics: list[ClinicSpec] = Field(default_factory=lambda: [ClinicSpec()], min_length=1)
    staff: list[StaffSpec] = Field(default_factory=list)
    numbers: list[NumberSpec] = Field(default_factory=list)
    routes: list[RouteSpec] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list)
    volume: Volume = Volume()
    durations: Durations = Durations()
    shares: Shares = Shares()
    patients_per_clinic: int = Field(2000, ge=0, le=200_000)
    clinic_life: ClinicLife = ClinicLife()
    scripted: list[ScriptedCall] = Field(default_factory=list)
    faults: list[FaultSpec] = Field(default_factory=list)
    callback: dict[str, float] = Field(default_factory=dict)  # API callbacks' answer rates
    # Mango: the integrator's base URL that events/* and result/* are POSTed to
    mango_webhook: str | None = Field(None, pattern=r"^https?://[^\s/]+")
    # A fixed key for the server's secrets (credentials, link hashes, tokens): byte-identical
    # golden runs; without one each server draws a random key. `mockpbx serve --secret-key`
    # and the pytest marker's `secret_key` win over it.
    secret_key: str | None = Field(None, min_length=1, max_length=200)
    # capability profiles per face (core/profiles.py), e.g. {"uis": ["history_only"]};
    # a face's own options, when they name a profile, take precedence
    profiles: dict[Literal["uis", "mango", "clinic"], list[ProfileName]] = Field(
        default_factory=dict
    )

    @field_validator("timezone")
    @classmethod
    def _check_tz(cls, value: str) -> str:
        return _check_timezone(value)

    @field_validator("start_time")
    @classmethod
    def _check_start(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                time.fromisoformat(value)
            except ValueError:
                raise ValueError(f"expected local 'HH:MM', got {value!r}") from None
        return value

    def staff_keys(self) -> list[str]:
        """Keys of the staff (a spec with `count: N` gives key1..keyN)."""
        if not self.staff:
            return list(DEFAULT_STAFF_KEYS)
        out: list[str] = []
        for s in self.staff:
            if s.key:
                out.extend([s.key] if s.count == 1 else [f"{s.key}{n + 1}" for n in range(s.count)])
        return out

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        _check_references(self)
        return self


# A call's legs: the caller's, one per SIP line rung, one for a transfer (core.calls.leg_id).
MAX_ROUTE_LINES = LEGS_PER_CALL - 2


def _check_route_sizes(sc: Scenario) -> None:
    """No route (nor a clinic's administrators, who take calls no route names) rings more
    SIP lines than a call has legs for; refused here, not when a day is generated."""
    by_key = {}
    for s in sc.staff:
        if s.key:
            keys = [s.key] if s.count == 1 else [f"{s.key}{n + 1}" for n in range(s.count)]
            by_key.update(dict.fromkeys(keys, len(s.sip_lines)))

    def lines(clinic: int, roles: list[str]) -> int:
        return sum(
            len(s.sip_lines) * s.count for s in sc.staff if s.clinic == clinic and s.role in roles
        )

    sizes = [
        (f"routes[{i}]", sum(by_key[k] for k in r.staff) if r.staff else lines(r.clinic, r.roles))
        for i, r in enumerate(sc.routes)
    ]
    sizes += [
        (f"clinics[{i}] administrators", lines(c.id, ["administrator"]))
        for i, c in enumerate(sc.clinics)
    ]
    for where, n in sizes:
        if n > MAX_ROUTE_LINES:
            raise ValueError(
                f"{where}: rings {n} SIP lines; a call has at most {LEGS_PER_CALL} legs (the "
                f"caller's, one per line rung, one for a transfer), so at most {MAX_ROUTE_LINES}"
            )


def _check_references(sc: Scenario) -> None:
    """Clinic ids, staff keys, number keys and channels referenced anywhere must exist."""
    clinic_ids = {c.id for c in sc.clinics}
    if len(clinic_ids) != len(sc.clinics):
        raise ValueError("clinics: ids must be unique")
    staff_keys = set(sc.staff_keys())
    number_keys = {n.key for n in sc.numbers} if sc.numbers else set(DEFAULT_NUMBER_KEYS)
    channel_keys = {c.key for c in sc.channels}
    for where, clinic in [
        *((f"staff[{i}].clinic", s.clinic) for i, s in enumerate(sc.staff)),
        *((f"numbers[{i}].clinic", n.clinic) for i, n in enumerate(sc.numbers)),
        *((f"routes[{i}].clinic", r.clinic) for i, r in enumerate(sc.routes)),
        *((f"scripted[{i}].clinic", s.clinic) for i, s in enumerate(sc.scripted)),
    ]:
        if clinic not in clinic_ids:
            raise ValueError(f"{where}: no clinic with id {clinic}")
    for i, n in enumerate(sc.numbers):
        if n.channel and n.channel not in channel_keys:
            raise ValueError(f"numbers[{i}].channel: no channel {n.channel!r}")
    for i, r in enumerate(sc.routes):
        if r.number != "*" and r.number not in number_keys:
            raise ValueError(f"routes[{i}].number: no number with key {r.number!r}")
        for key in r.staff:
            if key not in staff_keys:
                raise ValueError(f"routes[{i}].staff: no staff with key {key!r}")
    _check_route_sizes(sc)
    for i, s in enumerate(sc.scripted):
        for field in ("answered_by", "transfer_to"):
            key = getattr(s, field)
            if key is not None and key not in staff_keys:
                raise ValueError(f"scripted[{i}].{field}: no staff with key {key!r}")
        if s.number is not None and s.number not in number_keys:
            raise ValueError(f"scripted[{i}].number: no number with key {s.number!r}")
