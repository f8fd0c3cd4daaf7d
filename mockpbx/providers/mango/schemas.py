"""Request parameters of each method, parsed from the `json` form field.

Lenient where the real API is: unknown fields are ignored (third-party
clients send extra or misspelt optional fields, and Mango ignores unsupported
`sip_headers`), numbers may arrive quoted, and empty strings mean "not given".
A missing required field is result 3103; a wrong type 3104.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mockpbx.providers.mango.errors import MangoError
from mockpbx.validation import first_error

__all__ = [
    "Callback",
    "CallbackGroup",
    "Hangup",
    "Party",
    "PlayStart",
    "RecordingPost",
    "RecordingStart",
    "Route",
    "Sms",
    "StatsCallsRequest",
    "StatsRequest",
    "Transfer",
    "parse",
]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class Party(_Lenient):
    extension: str = ""
    number: str = ""


class _Command(_Lenient):
    command_id: str = Field("", max_length=128)


class Callback(_Command):
    from_: Party = Field(alias="from")
    to_number: str = Field(min_length=1, max_length=128)
    line_number: str = ""
    sip_headers: dict[str, Any] = Field(default_factory=dict)


class CallbackGroup(_Command):
    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)
    line_number: str = Field(min_length=1)


class Hangup(_Command):
    call_id: str = Field(min_length=1)


class Route(_Command):
    call_id: str = Field(min_length=1)
    to_number: str = Field(min_length=1, max_length=128)
    sip_headers: dict[str, Any] = Field(default_factory=dict)


class Transfer(_Command):
    call_id: str = Field(min_length=1)
    method: str = "blind"
    to_number: str = Field(min_length=1, max_length=128)
    initiator: str = Field(min_length=1)

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        if value not in ("blind", "hold"):
            raise ValueError("method must be blind or hold")
        return value


class RecordingStart(_Command):
    call_id: str = Field(min_length=1)
    call_party_number: str = Field(min_length=1)


class PlayStart(_Command):
    call_id: str = Field(min_length=1)
    after_play_time: int = Field(0, ge=0)
    internal_id: str = ""  # the doc calls it required, yet its own example omits it


class Sms(_Command):
    text: str = ""
    from_extension: str = Field(min_length=1)
    to_number: str = Field(min_length=1, max_length=128)
    sms_sender: str = Field("", max_length=128)


class StatsRequest(_Lenient):
    date_from: int
    date_to: int
    fields: str | list[str] = ""
    from_: Party | None = Field(None, alias="from")
    to: Party | None = None
    call_party: Party | None = None
    request_id: str = ""


class StatsCallsRequest(_Lenient):
    start_date: str = Field(min_length=1)
    end_date: str = Field(min_length=1)
    limit: int
    offset: int = Field(ge=0)
    user_ids: list[int] = Field(default_factory=list)
    group_ids: list[int] = Field(default_factory=list)
    context_type: int | list[int] | None = None
    context_status: int | None = None
    recall_status: int | None = None
    search_string: str = ""
    ext_params: int = 0
    ext_fields: list[str] = Field(default_factory=list)

    @field_validator("limit")
    @classmethod
    def _limit(cls, value: int) -> int:
        if value not in (1, 5, 10, 20, 50, 100, 500, 1000, 2000, 5000):
            raise ValueError("limit must be one of 1, 5, 10, 20, 50, 100, 500, 1000, 2000, 5000")
        return value

    @field_validator("search_string")
    @classmethod
    def _search(cls, value: str) -> str:
        if value and len(value) < 3:
            raise ValueError("search_string needs at least 3 characters")
        return value


class RecordingPost(_Lenient):
    recording_id: str = Field(min_length=1)
    action: str = "download"

    @field_validator("action")
    @classmethod
    def _action(cls, value: str) -> str:
        if value not in ("download", "play"):
            raise ValueError("action must be download or play")
        return value


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], params: dict[str, Any]) -> M:
    """`params` as `model`, or a MangoError naming the first bad field."""
    try:
        return model.model_validate(_blanks_to_none(params))
    except ValidationError as exc:
        err = first_error(exc)
        code = 3103 if err.type == "missing" else 3104
        raise MangoError(code, f"{err.field or 'json'}: {err.msg}") from None


def _blanks_to_none(params: dict[str, Any]) -> dict[str, Any]:
    """Optional objects sent as "" or [] (some PHP clients) count as not given."""
    return {k: v for k, v in params.items() if not (v == "" or (v == [] and k in ("from", "to")))}
