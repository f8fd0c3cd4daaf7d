"""Scenario files: the declarative description of a clinic's telephony life.

A scenario is validated by these pydantic models; unknown keys are errors,
so a typo never silently falls back to a default.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "Channel",
    "ClinicSpec",
    "Durations",
    "NumberSpec",
    "RouteSpec",
    "Scenario",
    "SipLineSpec",
    "StaffSpec",
    "Volume",
]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClinicSpec(_Strict):
    id: int = 1
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

    @field_validator("working_hours")
    @classmethod
    def _check_hours(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        for day, span in value.items():
            if day not in _DAYS:
                raise ValueError(f"unknown weekday {day!r}; expected one of {', '.join(_DAYS)}")
            if span is not None:
                parse_span(span)
        return value

    def hours(self, weekday: int) -> tuple[int, int] | None:
        """(open, close) in minutes after midnight for weekday 0=Mon, or None if closed."""
        span = self.working_hours.get(_DAYS[weekday])
        return None if span is None else parse_span(span)


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


class SipLineSpec(_Strict):
    login: str | None = None  # generated when omitted
    workstation: str | None = None
    registered: bool = True


class StaffSpec(_Strict):
    role: Literal["administrator", "doctor", "manager"] = "administrator"
    name: str | None = None  # "Фамилия Имя Отчество"; generated when omitted
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


class RouteSpec(_Strict):
    number: str  # a NumberSpec key, or "*" for every number of the clinic
    clinic: int = 1
    roles: list[str] = Field(default_factory=lambda: ["administrator"])
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
    median: float = 60
    sigma: float = 0.6
    low: float = 0
    high: float = 600


class Durations(_Strict):
    answer_delay: Distribution = Distribution(kind="uniform", low=3, high=15)
    talk: Distribution = Distribution(kind="lognormal", median=120, sigma=0.7)
    patience: Distribution = Distribution(kind="uniform", low=30, high=120)


class Volume(_Strict):
    calls_per_day: float = Field(60, ge=0)
    # relative weights per hour of day (24) and weekday (7, Monday first)
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
        if len(value) != 24:
            raise ValueError(f"expected 24 hourly weights, got {len(value)}")
        return value

    @field_validator("by_weekday")
    @classmethod
    def _weekdays(cls, value: list[float]) -> list[float]:
        if len(value) != 7:
            raise ValueError(f"expected 7 weekday weights, got {len(value)}")
        return value


class Shares(_Strict):
    outgoing: float = Field(0.15, ge=0, le=1)  # extra outgoing calls per incoming call
    repeat_callers: float = Field(0.35, ge=0, le=1)
    existing_patients: float = Field(0.55, ge=0, le=1)
    callbacks_of_missed: float = Field(0.6, ge=0, le=1)
    transfers: float = Field(0.05, ge=0, le=1)
    late_rows: float = Field(0.0, ge=0, le=1)  # history rows that arrive late
    late_rows_delay: int = Field(600, ge=0)
    recorded: float = Field(1.0, ge=0, le=1)


class Scenario(_Strict):
    name: str = "default"
    description: str = ""
    account_name: str = "Клиника"
    timezone: str = "Europe/Moscow"
    app_id: int = 14200
    history_days: int = Field(30, ge=0)
    clinics: list[ClinicSpec] = Field(default_factory=lambda: [ClinicSpec()])
    staff: list[StaffSpec] = Field(default_factory=list)
    numbers: list[NumberSpec] = Field(default_factory=list)
    routes: list[RouteSpec] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list)
    volume: Volume = Volume()
    durations: Durations = Durations()
    shares: Shares = Shares()
    patients_per_clinic: int = Field(2000, ge=0)
