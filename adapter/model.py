"""The normalized call: one shape whatever the provider.

`CallRecord` is a finished call as history reports it; `LiveCall` is a call
in progress. Times are always aware datetimes; phone numbers are E.164
(`+79161234567`) when they are phone numbers, and kept verbatim otherwise
(a SIP URI, an extension). `(provider, provider_call_id)` identifies a call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from enum import StrEnum

__all__ = [
    "UTM_FIELDS",
    "CallRecord",
    "Direction",
    "LiveCall",
    "LiveState",
    "to_e164",
]

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")

_NON_DIGITS = re.compile(r"[\s()\-.]")


class Direction(StrEnum):
    IN = "in"
    OUT = "out"
    INTERNAL = "internal"


class LiveState(StrEnum):
    RINGING = "ringing"
    TALKING = "talking"
    ON_HOLD = "on_hold"


def to_e164(raw: str | None) -> str | None:
    """`79161234567`, `8 (916) 123-45-67`, `+7916...` -> `+79161234567`; others verbatim.

    Russian 11-digit numbers starting with 8 become +7; a bare 10-digit number
    gets +7. UIS dial-through suffixes (`74955140578...2345`) are cut off.
    Anything that is not a phone number (SIP URI, short extension) is returned
    unchanged; empty input gives None.
    """
    if raw is None:
        return None
    if len(raw) == 11 and raw.isdigit():  # the common case, fast: 7XXXXXXXXXX / 8XXXXXXXXXX
        return "+" + raw if raw[0] != "8" else "+7" + raw[1:]
    text = raw.strip()
    if not text:
        return None
    head = text.split("...", 1)[0]
    digits = _NON_DIGITS.sub("", head)
    plus = digits.startswith("+")
    digits = digits.lstrip("+")
    if not digits.isdigit() or len(digits) < 10:
        return text
    if not plus and len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    elif not plus and len(digits) == 10:
        digits = "7" + digits
    return "+" + digits


# Not `frozen=True`: a frozen dataclass pays object.__setattr__ per field, 5x the cost of
# building a record (9 us vs 1.6 us), and a year of history is a million of them.
# Treat records as immutable all the same (`dataclasses.replace` for a changed copy);
# `unsafe_hash` keeps them usable in sets and as keys.
@dataclass(slots=True, unsafe_hash=True)
class CallRecord:
    """A finished call as the provider's history reports it (treat as immutable)."""

    provider: str  # uis | mango | clinic
    provider_call_id: str
    started_at: datetime  # aware
    direction: Direction
    finished_at: datetime | None = None
    account: str = ""  # the provider account the call belongs to (see SyncState)
    contact_number: str | None = None  # the outside party (patient), E.164
    virtual_number: str | None = None  # the clinic's number the call went through
    answered: bool = False
    wait_seconds: int = 0
    talk_seconds: int = 0
    employee_id: str | None = None
    employee_name: str | None = None
    sip_line: str | None = None  # the SIP line or number that took the call, if known
    line_description: str | None = None  # free text of the line (clinic API)
    recording_urls: tuple[str, ...] = ()
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    referrer: str | None = None
    finish_reason: str | None = None

    def __post_init__(self) -> None:
        if self.started_at.tzinfo is None:
            raise ValueError(f"started_at must be aware, got {self.started_at!r}")
        if self.finished_at is not None and self.finished_at.tzinfo is None:
            raise ValueError(f"finished_at must be aware, got {self.finished_at!r}")

    @property
    def key(self) -> tuple[str, str]:
        return (self.provider, self.provider_call_id)

    def local_date(self, tz: tzinfo) -> date:
        """The calendar day of the call's start in `tz` (the account's timezone)."""
        return self.started_at.astimezone(tz).date()

    def as_dict(self) -> dict[str, object]:
        """JSON-ready dict: ISO datetimes, lists for tuples."""
        out: dict[str, object] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, StrEnum):
                value = value.value
            out[name] = value
        return out


@dataclass(frozen=True, slots=True)
class LiveCall:
    """A call in progress, as the live window shows it."""

    provider: str
    provider_call_id: str
    started_at: datetime
    direction: Direction
    state: LiveState
    contact_number: str | None = None
    virtual_number: str | None = None
    employee_id: str | None = None
    employee_name: str | None = None
    sip_line: str | None = None  # the line it rings or talks on: filter key of the live window
    line_description: str | None = None
    legs: tuple[str, ...] = field(default=())  # provider leg ids, for disconnecting one
