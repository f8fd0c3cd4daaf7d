"""Parsing of the clinic face's query parameters and bodies, and its options.

Requests are parsed strictly: a bad value gets 400 naming the parameter.
The contract's open points (contract/openapi/provider.v1.yaml) are options, read per request
from `state.options["clinic"]` (`options_of`), so a test can flip them on a running server
(`/_mockpbx/clinic/options`); every reset restores the server's baseline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from multidict import MultiMapping
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mockpbx.core.profiles import ProfileName, lacks
from mockpbx.providers.base import FaceOptions
from mockpbx.providers.clinic.errors import BadParameter
from mockpbx.state import ServerState
from mockpbx.validation import first_error

__all__ = [
    "OPTIONS",
    "CallbackBody",
    "ClinicOptions",
    "Page",
    "Period",
    "TimeTableBody",
    "options_of",
    "parse_body",
    "parse_page",
    "parse_period",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
M = TypeVar("M", bound=BaseModel)


class ClinicOptions(BaseModel):
    """Settings of the clinic face: every open point of the contract, made configurable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    auth_status: Literal[401, 403] = 401  # status for a missing or wrong key
    default_limit: int = Field(100, ge=1)
    max_limit: int = Field(1000, ge=1)  # larger `limit` values are refused with 400
    offset_names: tuple[str, ...] = ("offset", "offSet")  # accepted spellings
    to_inclusive: bool = False  # contract: dateTimeTo is exclusive
    missed_talk: Literal["null", "zero"] = "null"  # TalkInSeconds of an unanswered call
    line_description: Literal["sip_line", "number_name", "none"] = "sip_line"
    time_offset: Literal["account", "utc"] = "account"  # offset of rendered times
    include_id: bool = True  # the optional `Id` of each call
    callback: bool = True  # offer the optional POST /StartCallback
    tickets_per_day: int = Field(6, ge=0, le=500)
    tickets_days: int = Field(90, ge=1)  # leads exist only this many days back
    history_limit_days: int = Field(3660, ge=1)  # periods are clamped to this far back
    # capability profile (core/profiles.py): a missing method answers 404 as if the
    # route did not exist; missing recordings or tracking leave those fields null
    profile: tuple[ProfileName, ...] = ()

    def lacks(self, feature: str) -> bool:
        return lacks(self.profile, feature)


OPTIONS = FaceOptions("clinic", ClinicOptions)


def options_of(state: ServerState) -> ClinicOptions:
    """The face's options in effect (converted from a dict on first use)."""
    return OPTIONS.of(state)


@dataclass(frozen=True, slots=True)
class Period:
    """[ts_from, ts_to) in whole epoch seconds, as the world indexes calls."""

    ts_from: int
    ts_to: int


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int


def parse_time(name: str, value: str | None) -> datetime:
    if value is None or value == "":
        raise BadParameter(name, "is required (ISO 8601 with a UTC offset)")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise BadParameter(name, f"is not ISO 8601: {value[:64]!r}") from None
    if when.tzinfo is None or "T" not in value.upper():
        raise BadParameter(name, f"must be a date and time with a UTC offset: {value[:64]!r}")
    return when


def _epoch(when: datetime) -> float:
    # subtraction never overflows, unlike .timestamp() on year 1 or 9999 with an offset
    return (when - _EPOCH).total_seconds()


def parse_period(query: MultiMapping[str], options: ClinicOptions) -> Period:
    """dateTimeFrom (inclusive) and dateTimeTo (exclusive unless `to_inclusive`)."""
    start = _epoch(parse_time("dateTimeFrom", query.get("dateTimeFrom")))
    end = _epoch(parse_time("dateTimeTo", query.get("dateTimeTo")))
    # calls start on whole seconds: start_ts >= start  <=>  start_ts >= ceil(start)
    ts_to = math.floor(end) + 1 if options.to_inclusive else math.ceil(end)
    return Period(math.ceil(start), ts_to)


def _int(name: str, raw: str, low: int, high: int | None) -> int:
    try:
        value = int(raw, 10)
    except ValueError:
        raise BadParameter(name, f"must be an integer, got {raw[:32]!r}") from None
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise BadParameter(name, f"must be {bounds}, got {str(value)[:32]}")
    return value


def parse_page(query: MultiMapping[str], options: ClinicOptions) -> Page:
    raw_limit = query.get("limit")
    limit = (
        options.default_limit
        if raw_limit is None
        else _int("limit", raw_limit, 1, options.max_limit)
    )
    offset = 0
    for name in options.offset_names:
        raw = query.get(name)
        if raw is not None:
            offset = _int(name, raw, 0, None)  # past the end is simply []
    return Page(limit, offset)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CallbackBody(_Strict):
    EmployeePhone: str = Field(min_length=1, max_length=32)
    ClientPhone: str = Field(pattern=r"^\+?[0-9]{5,15}$")


class TimeTableBody(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    Doctors: list[dict[str, Any]]
    Branches: list[dict[str, Any]]
    Intervals: list[dict[str, Any]]


def parse_body(model: type[M], body: Any) -> M:
    """Validate a JSON body; the first problem becomes a 400 naming the field."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = first_error(exc)
        raise BadParameter(first.field or "body", first.msg) from None
