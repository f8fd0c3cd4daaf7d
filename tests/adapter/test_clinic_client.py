"""The clinic HTTP API client against scripted answers (httpx.MockTransport), then the mock."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from adapter.errors import AuthError, CapabilityError, ProtocolError, UnavailableError
from adapter.model import Direction, LiveState
from adapter.providers.base import CallbackRequest, Capability, Provider, RetryPolicy
from adapter.providers.clinic import ClinicClient

MSK = ZoneInfo("Europe/Moscow")
FAST = RetryPolicy(attempts=3, initial=0.0, maximum=0.0, timeout=5)
URL = "https://pbx.example.com/ident/v1"
START = datetime(2024, 5, 14, tzinfo=MSK)


def call(n: int, **extra: Any) -> dict[str, Any]:
    body = {
        "DateAndTime": (START + timedelta(minutes=n)).isoformat(),
        "Direction": "in",
        "PhoneFrom": f"7916{n:07d}",
        "PhoneTo": "74951234567",
        "WaitInSeconds": 5,
        "TalkInSeconds": 60,
        "LineDescription": "101",
        "RecordUrl": f"https://rec.example/{n}/0123456789abcdef0123456789abcdef",
        "UtmSource": "yandex",
        "UtmMedium": "cpc",
        "UtmCampaign": None,
        "UtmTerm": None,
        "UtmContent": None,
        "HttpReferer": "https://yandex.ru/",
    }
    return {**body, **extra}


Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler, **kwargs: Any) -> ClinicClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return ClinicClient(http, url=URL, key="k", timezone=MSK, retry=FAST, sleep=_no_sleep, **kwargs)


async def _no_sleep(_: float) -> None:
    return None


async def collect(c: ClinicClient, start: datetime, end: datetime) -> list[Any]:
    return [r for page in [p async for p in c.history(start, end)] for r in page]


class TestHistory:
    async def test_history__pages_until_a_short_page(self) -> None:
        calls = [call(n) for n in range(25)]
        seen: list[dict[str, str]] = []

        def handler(request: httpx.Request) -> httpx.Response:
            q = dict(request.url.params)
            seen.append(q)
            assert request.headers["IDENT-Integration-Key"] == "k"
            offset, limit = int(q["offset"]), int(q["limit"])
            return httpx.Response(200, json=calls[offset : offset + limit])

        records = await collect(client(handler, page_size=10), START, START + timedelta(days=1))
        assert [r.contact_number for r in records] == [f"+7916{n:07d}" for n in range(25)]
        assert [q["offset"] for q in seen] == ["0", "10", "20"]
        assert seen[0]["dateTimeFrom"] == "2024-05-13T21:00:00+00:00"

    async def test_history__normalizes_a_call(self) -> None:
        out = call(
            1,
            Direction="out",
            PhoneFrom="74951234567",
            PhoneTo="79160000001",
            TalkInSeconds=None,
            RecordUrl=None,
            Id=77,
        )
        c = client(lambda _: httpx.Response(200, json=[out]))
        (record,) = await collect(c, START, START + timedelta(hours=1))
        assert record.provider_call_id == "77"
        assert record.direction is Direction.OUT
        assert record.contact_number == "+79160000001"
        assert record.virtual_number == "+74951234567"
        assert not record.answered
        assert record.recording_urls == ()
        assert record.started_at.utcoffset() == timedelta(hours=3)

    async def test_history__id_without_provider_id_is_stable_and_shared_with_live(self) -> None:
        """A call's id is the same in history and in the live list (no Id from the provider)."""
        body = call(3)
        c = client(lambda _: httpx.Response(200, json=[body]))
        (record,) = await collect(c, START, START + timedelta(hours=1))
        (live,) = await c.current_calls()
        assert record.provider_call_id == live.provider_call_id
        assert record.utm_source == "yandex"
        assert record.referrer == "https://yandex.ru/"

    async def test_history__long_period_is_split_into_windows(self) -> None:
        periods: list[str] = []

        def handler(request: httpx.Request) -> httpx.Response:
            periods.append(request.url.params["dateTimeFrom"])
            return httpx.Response(200, json=[])

        c = client(handler, max_window=timedelta(days=10))
        await collect(c, START, START + timedelta(days=25))
        assert len(periods) == 3

    async def test_history__5xx_and_truncated_json_are_retried(self) -> None:
        answers = iter(
            [
                httpx.Response(503),
                httpx.Response(200, content=b'[{"DateAndT'),
                httpx.Response(200, json=[call(1)]),
            ]
        )
        records = await collect(client(lambda _: next(answers)), START, START + timedelta(hours=1))
        assert len(records) == 1

    async def test_history__persistent_5xx__raises_unavailable(self) -> None:
        with pytest.raises(UnavailableError):
            await collect(client(lambda _: httpx.Response(500)), START, START + timedelta(hours=1))

    @pytest.mark.parametrize("status", [401, 403])
    async def test_history__refused_key__raises_auth_error(self, status: int) -> None:
        with pytest.raises(AuthError):
            await collect(
                client(lambda _: httpx.Response(status)), START, START + timedelta(hours=1)
            )

    @pytest.mark.parametrize("body", [{"calls": []}, [{"DateAndTime": "2024-05-14T10:00:00"}]])
    async def test_history__wrong_shape__raises_protocol_error(self, body: Any) -> None:
        """A non-list, or a time without offset, is a protocol error, never 'no calls'."""
        with pytest.raises(ProtocolError):
            await collect(
                client(lambda _: httpx.Response(200, json=body)), START, START + timedelta(hours=1)
            )


class TestLiveAndCallback:
    async def test_current_calls__ringing_and_talking(self) -> None:
        ringing, talking = call(1, TalkInSeconds=None), call(2, TalkInSeconds=12)
        c = client(lambda _: httpx.Response(200, json=[ringing, talking]))
        states = [lc.state for lc in await c.current_calls()]
        assert states == [LiveState.RINGING, LiveState.TALKING]

    async def test_callback__posts_employee_then_client(self) -> None:
        sent: list[Any] = []

        def handler(request: httpx.Request) -> httpx.Response:
            sent.append(json.loads(request.content))
            return httpx.Response(202, json={"Id": "9", "DateAndTime": START.isoformat()})

        result = await client(handler).callback(
            CallbackRequest("+79161234567", employee_phone="101")
        )
        assert sent == [{"EmployeePhone": "101", "ClientPhone": "79161234567"}]
        assert result.request_id == "9"

    async def test_callback__not_offered__raises_capability_error(self) -> None:
        c = client(lambda _: httpx.Response(501))
        with pytest.raises(CapabilityError):
            await c.callback(CallbackRequest("+79161234567", employee_phone="101"))

    async def test_callback__server_error__is_not_retried(self) -> None:
        """A callback that may have been placed is never sent twice."""
        count = 0

        def handler(_: httpx.Request) -> httpx.Response:
            nonlocal count
            count += 1
            return httpx.Response(502)

        with pytest.raises(UnavailableError):
            await client(handler).callback(CallbackRequest("+79161234567", employee_phone="101"))
        assert count == 1

    def test_client__implements_the_provider_interface(self) -> None:
        c = client(lambda _: httpx.Response(200, json=[]), callback=False)
        assert isinstance(c, Provider)
        assert Capability.CALLBACK not in c.capabilities


async def test_clinic_client__reads_the_reference_face_over_tcp(mockpbx: Any) -> None:
    """End to end: the client's history and live list match the mock's own truth."""
    creds = mockpbx.credentials["clinic"]
    async with httpx.AsyncClient() as http:
        c = ClinicClient(
            http, url=creds["url"], key=creds["key"], timezone=MSK, retry=FAST, page_size=50
        )
        start = datetime(2026, 5, 13, tzinfo=MSK)
        records = await collect(c, start, start + timedelta(days=1))
        truth = mockpbx.call(
            lambda s: s.world.history(int(start.timestamp()), int(start.timestamp()) + 86400)
        )
        assert [r.provider_call_id for r in records] == [str(t.id) for t in truth]
        assert any(r.recording_urls for r in records)
        assert any(r.utm_source for r in records)
        employee = mockpbx.call(lambda s: s.world.lines_of(s.world.employees[0].id)[0].login)
        await c.callback(CallbackRequest("+79161112233", employee_phone=employee))
        live = await c.current_calls()
        assert any(lc.contact_number == "+79161112233" for lc in live)


async def test_sync__caches_closed_days_equal_to_history_despite_faults(
    mockpbx: Any, tmp_path: Any
) -> None:
    """The sync job over the clinic client: 5xx, truncated bodies, resets and overlapping
    pages on GetFinishedCalls, yet every closed day in the cache equals the world's history."""
    from adapter.config import Settings
    from adapter.runtime import open_runtime
    from adapter.store import SqlStore
    from adapter.sync import SyncOptions, run_once

    faults = [
        ("http_status", {"status": 503, "probability": 0.2}),
        ("truncate", {"probability": 0.1}),
        ("reset", {"probability": 0.05}),
        # every page starts 3 rows early: rows repeat across pages (a random mix of shifted
        # and unshifted pages would lose rows for any limit/offset client, per the contract)
        ("duplicate_rows", {"rows": 3, "probability": 1.0}),
    ]
    creds = mockpbx.credentials["clinic"]
    store_url = f"sqlite:///{tmp_path}/cache.sqlite3"
    settings = Settings(provider="clinic", store=store_url, mockpbx=mockpbx.url)
    async with open_runtime(settings) as rt, httpx.AsyncClient() as http:
        for kind, spec in faults:
            body = {"face": "clinic", "method": "GetFinishedCalls", "kind": kind, **spec}
            (await http.post(f"{mockpbx.url}/_mockpbx/faults", json=body)).raise_for_status()
        retry = RetryPolicy(attempts=12, initial=0.0, maximum=0.0, timeout=2)
        source = ClinicClient(
            http, url=creds["url"], key=creds["key"], timezone=MSK, retry=retry, page_size=40
        )
        report = await run_once(source, rt.require_store(), rt.clock, SyncOptions(backfill_days=3))
    assert report.days == 3
    first = datetime.combine(report.date_from, datetime.min.time(), MSK)
    end = datetime.combine(report.date_to, datetime.min.time(), MSK)
    store = SqlStore(store_url)
    try:
        cached = sorted(r.provider_call_id for r in store.iter_calls(first, end))
    finally:
        store.close()
    truth = mockpbx.call(lambda s: s.world.history(int(first.timestamp()), int(end.timestamp())))
    assert cached == sorted(str(c.id) for c in truth)
    assert mockpbx.journal.count(face="clinic", method="GetFinishedCalls") > 3
