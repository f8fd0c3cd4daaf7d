"""Request schemas of both APIs and the field catalogue of the Data API `get.*` methods.

Params are parsed by strict pydantic models (unknown members forbidden) and
pydantic's complaints are translated into UIS errors naming the field:
missing -> required_parameter_missed, extra -> unexpected_parameters,
wrong JSON type -> data_type_error, anything else -> invalid_parameter_value.

The field catalogue (`catalog.json`) is copied from the official docs (its
`source` names the comagic/comagic.github.io commit): name, type, returned by
default, filterable, sortable, for every documented result field. The
methods the docs' method table lacks (get.scenarios, get.tags, get.media_files,
get.group_employees) and the table's top-level `site_blocks`/`operator_sites`
are read from the docs pages of the same commit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mockpbx.providers.uis.errors import MISSING, UisError, err

__all__ = [
    "CallsReportParams",
    "DisconnectLegParams",
    "EmployeeCallParams",
    "FieldSpec",
    "GetParams",
    "ListCallsParams",
    "LoginParams",
    "LogoutParams",
    "ReleaseCallParams",
    "ReportParams",
    "SimpleCallParams",
    "TokenParams",
    "catalog",
    "check_wall_clock",
    "finish_reason_label",
    "parse_params",
]

P = TypeVar("P", bound=BaseModel)

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class LoginParams(_Strict):
    login: str
    password: str


class LogoutParams(_Strict):
    access_token: str


class TokenParams(_Strict):
    access_token: str
    user_id: int | None = None


class SortItem(_Strict):
    field: str
    order: Literal["asc", "desc"] = "asc"


class GetParams(TokenParams):
    limit: int = Field(1000, ge=0, le=10_000)
    offset: int = Field(0, ge=0, le=100_000)
    filter: dict[str, Any] | None = None
    fields: list[str] | None = None
    sort: list[SortItem] | None = None


class ReportParams(GetParams):
    date_from: str
    date_till: str

    @field_validator("date_from", "date_till")
    @classmethod
    def _date(cls, value: str) -> str:
        check_wall_clock(value)  # ValueError -> invalid_parameter_value
        return value


class CallsReportParams(ReportParams):
    include_ongoing_calls: bool | None = None


class Message(_Strict):
    type: Literal["media", "tts"]
    value: str


class _StartCall(TokenParams):
    virtual_phone_number: str
    contact: str
    switch_at_once: bool = False
    early_switching: bool = False
    media_file_id: int | None = None
    virtual_phone_usage_rule: Literal[
        "fixed", "fixed_for_numa", "random", "regional_random", "regional_fixed_for_numa"
    ] = "fixed"
    show_virtual_phone_number: bool = True
    external_id: str | None = None
    dtmf_string: str | None = Field(None, pattern=r"^[0-9*#.]*$")
    direction: Literal["in", "out"] = "in"
    contact_message: Message | None = None


class EmployeeRef(_Strict):
    id: int
    phone_number: str | None = None


class EmployeeCallParams(_StartCall):
    first_call: Literal["contact", "employee"]
    employee: EmployeeRef
    employee_message: Message | None = None


class SimpleCallParams(_StartCall):
    first_call: Literal["contact", "operator"]
    operator: str
    operator_confirmation: str | None = Field(None, pattern=r"^([0-9*#]|any)$")
    operator_message: Message | None = None


class ListCallsParams(TokenParams):
    direction: Literal["in", "out"] | None = None
    virtual_phone_number: str | None = None


class ReleaseCallParams(TokenParams):
    call_session_id: int


class DisconnectLegParams(ReleaseCallParams):
    leg_id: int


def check_wall_clock(value: str) -> datetime:
    """`YYYY-MM-DD hh:mm:ss` as a datetime (tzinfo UTC as a placeholder); ValueError if not."""
    if len(value) != 19:
        raise ValueError("expected YYYY-MM-DD hh:mm:ss")
    return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=UTC)


# -- parsing ------------------------------------------------------------------------
_TYPE_ERRORS = ("_type", "_parsing", "model_type", "dict_type", "list_type", "bool_type")


def parse_params(model: type[P], params: dict[str, Any]) -> P:
    """`params` validated by `model`, or the UIS error for the first problem."""
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise _to_uis(exc, params) from None


def _to_uis(exc: ValidationError, params: dict[str, Any]) -> UisError:
    errors = exc.errors(include_url=False)
    first = min(errors, key=_severity)
    loc = [str(part) for part in first["loc"] if not isinstance(part, int)]
    field = ".".join(loc) or None
    value = first.get("input", MISSING) if first["type"] != "missing" else MISSING
    kind = first["type"]
    if kind == "missing":
        return err("required_parameter_missed", field=field)
    if kind == "extra_forbidden":
        return err("unexpected_parameters", field=field, value=value)
    if kind.endswith(_TYPE_ERRORS) and kind != "literal_error":
        return err("data_type_error", field=field, value=value)
    return err("invalid_parameter_value", field=field, value=value)


def _severity(error: Any) -> int:
    order = {"extra_forbidden": 0, "missing": 1}
    return order.get(error["type"], 2)


# -- catalogue ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: str
    default: bool
    filterable: bool
    sortable: bool


@cache
def _raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((Path(__file__).parent / "catalog.json").read_text("utf-8"))
    return data


@cache
def catalog(method: str) -> dict[str, FieldSpec]:
    """The documented result fields of a Data API `get.*` method, in the docs' order."""
    return {row[0]: FieldSpec(*row) for row in _raw()["data"][method]}


def finish_reason_label(reason: str, *, legs: bool = False) -> str | None:
    table = _raw()["leg_finish_reasons" if legs else "call_finish_reasons"]
    label = table.get(reason)
    return str(label) if label else None
