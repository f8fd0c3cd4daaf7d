"""The one interface every provider client implements, and what they share.

A client declares its `capabilities`; a caller checks them before using an
optional method, and an optional method a client lacks raises
`CapabilityError` (never crashes, never fakes data):

    HISTORY        history(start, end): finished calls of a period, streamed in pages
    CURRENT_CALLS  current_calls(): calls ringing or talking now
    RECORDINGS     CallRecord.recording_urls are filled with links a browser opens
    UTM            CallRecord.utm_* and referrer are filled
    CALLBACK       callback(...): the PBX rings the employee first, then the contact

A partial provider (most virtual PBXs give only finished calls) is read
from its own answers: when the provider says a method does not exist (UIS
-32601, a clinic API's 404/405/501, Mango's 404/4001), the client drops that
capability (`lost`) and raises `CapabilityError` saying why, so callers
degrade (the live window explains, the dialer gives a `callto:` link)
instead of crashing. Recordings and UTM tags that never come are noticed
from the data (`adapter.reports.unavailable`).

Clients take an injected `httpx.AsyncClient` (timeouts are set on each
request from `RetryPolicy.timeout`), retry transient failures with tenacity,
and split long periods into their provider's maximum window.

A new client (e.g. `adapter.providers.clinic.ClinicClient`) fits by
implementing `Provider`: a `name`, `capabilities`, `max_window`, `account()`,
`history()`, `current_calls()`, `callback()` and `aclose()`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar, runtime_checkable
from zoneinfo import ZoneInfo

from adapter.errors import CapabilityError
from adapter.model import CallRecord, LiveCall

__all__ = [
    "AccountInfo",
    "CallbackRequest",
    "CallbackResult",
    "Capability",
    "Provider",
    "RetryPolicy",
    "lost",
    "split_period",
]


class Capability(StrEnum):
    HISTORY = "history"
    CURRENT_CALLS = "current_calls"
    RECORDINGS = "recordings"
    UTM = "utm"
    CALLBACK = "callback"


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """The provider account: `key` names it in the store's sync state."""

    key: str  # e.g. "uis:1001", "mango:<api key prefix>"
    name: str
    timezone: ZoneInfo


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    """Ring the employee first, then the contact (never the other way round)."""

    contact_number: str  # E.164 or digits
    employee_id: str | None = None  # UIS employee id
    extension: str | None = None  # Mango: the employee's extension
    employee_phone: str | None = None  # a specific active number/SIP line of the employee
    virtual_number: str | None = None  # caller id shown to the contact (UIS), line (Mango)
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class CallbackResult:
    provider: str
    request_id: str  # UIS call_session_id, Mango command_id


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard a client tries before a transient failure reaches the caller."""

    attempts: int = 6  # tries per request, the first included
    initial: float = 0.5  # first backoff, seconds (exponential with jitter)
    maximum: float = 30.0  # longest single wait, seconds (also caps Retry-After)
    timeout: float = 30.0  # per request: connect, read, write, pool


@runtime_checkable
class Provider(Protocol):
    """An async client of one provider account."""

    name: str
    capabilities: frozenset[Capability]
    max_window: timedelta  # longest period one history request may span

    async def account(self) -> AccountInfo:
        """The account: its key (for sync state), name and timezone."""
        ...

    def history(self, start: datetime, end: datetime) -> AsyncIterator[list[CallRecord]]:
        """Finished calls that started in [start, end), in pages, oldest first.

        Pages are streamed (memory does not grow with the period); windows
        longer than `max_window` are split. Rows may repeat across pages;
        consumers de-duplicate by `CallRecord.key`.
        """
        ...

    async def current_calls(self) -> list[LiveCall]:
        """Calls ringing or talking now; CapabilityError without CURRENT_CALLS."""
        ...

    async def callback(self, request: CallbackRequest) -> CallbackResult:
        """Start a callback, employee first; CapabilityError without CALLBACK."""
        ...

    async def aclose(self) -> None:
        """Release what the client holds (sessions); never closes the injected http client."""
        ...


_Day = TypeVar("_Day", bound=date)


def add_months(when: _Day, months: int) -> _Day:
    """`when` (a date or datetime) plus calendar months, the day clamped to the month's length."""
    month0 = when.month - 1 + months
    year, month = when.year + month0 // 12, month0 % 12 + 1
    for day in range(when.day, 27, -1):
        try:
            return when.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return when.replace(year=year, month=month, day=min(when.day, 28))


def split_period(
    start: datetime, end: datetime, *, max_span: timedelta, max_months: int | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut into consecutive windows no longer than `max_span`
    (and, with `max_months`, no longer than that many calendar months)."""
    cursor = start
    while cursor < end:
        stop = min(end, cursor + max_span)
        if max_months is not None:
            stop = min(stop, add_months(cursor, max_months))
        yield cursor, stop
        cursor = stop


def lost(provider: Provider, capability: Capability, why: str) -> CapabilityError:
    """The provider answered that it lacks `capability`: drop it from the client, say why."""
    provider.capabilities = provider.capabilities - {capability}
    return CapabilityError(why)
