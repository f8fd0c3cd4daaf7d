"""A partial provider, read from its own answers: capabilities it lacks are dropped and said,
either reading of the clinic contract's open points loads every call once, and the
dialer and the reports explain what they cannot do."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from adapter.dialer import CallerId, choose_caller_id
from adapter.errors import CapabilityError
from adapter.model import CallRecord, Direction
from adapter.providers.base import Capability, RetryPolicy
from adapter.providers.clinic import ClinicClient
from adapter.reports.unavailable import recordings_note, tracking_note

MSK = ZoneInfo("Europe/Moscow")
URL = "https://pbx.example.com/ident/v1"
DAY = datetime(2024, 5, 14, tzinfo=MSK)
FAST = RetryPolicy(attempts=2, initial=0.0, maximum=0.0, timeout=5)


async def _no_sleep(_: float) -> None:
    return None


def _client(handler: Any) -> ClinicClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return ClinicClient(http, url=URL, key="k", timezone=MSK, retry=FAST, sleep=_no_sleep)


def _call(start: datetime, wait: int, talk: int) -> dict[str, Any]:
    return {
        "DateAndTime": start.isoformat(),
        "Direction": "in",
        "PhoneFrom": f"7916{int(start.timestamp()) % 10**7:07d}",
        "PhoneTo": "74951234567",
        "WaitInSeconds": wait,
        "TalkInSeconds": talk,
    }


async def test_clinic_without_ongoing_calls__drops_the_capability_and_says_why() -> None:
    client = _client(lambda request: httpx.Response(404, json={"error": "not_found"}))
    with pytest.raises(CapabilityError, match="gives no current calls"):
        await client.current_calls()
    assert Capability.CURRENT_CALLS not in client.capabilities


# calls around midnight: one crossing it, one starting exactly at it
CROSSING = _call(DAY + timedelta(hours=23, minutes=58), 10, 230)  # ends 00:02 next day
AT_MIDNIGHT = _call(DAY + timedelta(days=1), 5, 60)


def _provider(by_end: bool, inclusive: bool) -> Any:
    def ends(c: dict[str, Any]) -> float:
        start = datetime.fromisoformat(c["DateAndTime"]).timestamp()
        return start + c["WaitInSeconds"] + c["TalkInSeconds"] if by_end else start

    def handler(request: httpx.Request) -> httpx.Response:
        q = request.url.params
        lo = datetime.fromisoformat(q["dateTimeFrom"]).timestamp()
        hi = datetime.fromisoformat(q["dateTimeTo"]).timestamp()
        picked = [
            c
            for c in (CROSSING, AT_MIDNIGHT)
            if lo <= ends(c) < hi or (inclusive and ends(c) == hi)
        ]
        return httpx.Response(200, json=picked[int(q["offSet"]) :])

    return handler


@pytest.mark.parametrize("by_end", [False, True], ids=["start", "end"])
@pytest.mark.parametrize("inclusive", [False, True], ids=["to_exclusive", "to_inclusive"])
async def test_day_windows__get_every_call_once_under_either_reading(
    by_end: bool, inclusive: bool
) -> None:
    """Day by day, as the sync asks: each call in exactly one window, whatever the reading."""
    client = _client(_provider(by_end, inclusive))
    seen: list[str] = []
    for day in range(3):
        lo = DAY + timedelta(days=day - 1)
        async for page in client.history(lo, lo + timedelta(days=1)):
            seen += [r.provider_call_id for r in page]
    assert sorted(seen) == sorted(set(seen))
    assert len(seen) == 2


def _record(number: str | None, when: datetime) -> CallRecord:
    return CallRecord("uis", f"id{when.timestamp():.0f}", when, Direction.IN, virtual_number=number)


class _Cache:
    def __init__(self, records: list[CallRecord]) -> None:
        self.records = records

    def iter_calls(self, start: datetime, end: datetime, **_: Any) -> list[CallRecord]:
        return [r for r in self.records if start <= r.started_at < end]


class _Uis:
    name = "uis"
    capabilities = frozenset({Capability.CALLBACK})

    async def main_number(self) -> str:
        return "+74950000001"


async def test_caller_id__the_number_the_patient_last_called_first() -> None:
    cache = _Cache([_record("+74951110000", DAY), _record("+74952220000", DAY + timedelta(1))])
    chosen = await choose_caller_id(
        _Uis(),
        "+79161234567",
        None,
        "+74953330000",
        cache,
        DAY + timedelta(days=2),  # type: ignore[arg-type]
    )
    assert chosen == CallerId("+74952220000", "last_called", DAY + timedelta(1))
    assert "last called" in chosen.describe()


async def test_caller_id__else_the_configured_then_the_main_number() -> None:
    empty = _Cache([])
    configured = await choose_caller_id(_Uis(), "+7916", None, "74953330000", empty)  # type: ignore[arg-type]
    assert configured.number == "+74953330000"
    main = await choose_caller_id(_Uis(), "+7916", None, None, empty)  # type: ignore[arg-type]
    assert (main.number, main.why) == ("+74950000001", "main")
    given = await choose_caller_id(_Uis(), "+7916", "74954440000", None, empty)  # type: ignore[arg-type]
    assert given.why == "given"


def test_recordings_note__only_when_answered_calls_have_no_link() -> None:
    answered = [{"status": "answered", "recording_url": None}]
    assert "recordings unavailable" in (recordings_note(None, answered) or "")
    assert recordings_note(None, [{"status": "missed", "recording_url": None}]) is None
    linked = [*answered, {"status": "answered", "recording_url": "https://r/1"}]
    assert recordings_note(None, linked) is None


def test_tracking_note__only_when_no_incoming_call_is_tagged() -> None:
    assert "UTM columns" in (tracking_note(None, 10, 0) or "")
    assert tracking_note(None, 10, 1) is None
    assert tracking_note(None, 0, 0) is None
