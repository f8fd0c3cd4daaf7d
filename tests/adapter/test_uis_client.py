"""The UIS client against scripted JSON-RPC answers (httpx.MockTransport)."""

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
from adapter.providers.base import CallbackRequest, Capability, RetryPolicy
from adapter.providers.uis import REPORT_FIELDS, UisClient, UisSettings

MSK = ZoneInfo("Europe/Moscow")
DATA = "https://dataapi.test/v2.0"
CALL = "https://callapi.test/v4.0"
FAST = RetryPolicy(attempts=4, initial=0.0, maximum=0.0, timeout=5)


def row(call_id: int, start: str, **extra: Any) -> dict[str, Any]:
    base = {
        "id": call_id,
        "start_time": start,
        "finish_time": start,
        "direction": "in",
        "is_lost": False,
        "contact_phone_number": "79161234567",
        "virtual_phone_number": "74951234567",
        "wait_duration": 5,
        "talk_duration": 60,
        "full_record_file_link": f"https://media.test/{call_id}/abc",
        "last_answered_employee_id": 25,
        "last_answered_employee_full_name": "Иванова Анна",
        "utm_source": "yandex",
        "some_new_field": "ignored",
    }
    base.update(extra)
    return base


class FakeUis:
    """A scripted UIS: answers by method; `script` lists per-call overrides in order."""

    def __init__(self, rows: list[dict[str, Any]] | None = None) -> None:
        self.rows = rows or []
        self.requests: list[dict[str, Any]] = []
        self.script: list[Callable[[dict[str, Any]], httpx.Response | None]] = []
        self.valid_tokens = {"static"}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        if self.script:
            answer = self.script.pop(0)(body)
            if answer is not None:
                return answer
        method, params = body["method"], body["params"]
        if method == "login.user":
            self.valid_tokens.add("session")
            return ok(body, {"data": {"access_token": "session", "expire_at": 0}})
        if params.get("access_token") not in self.valid_tokens:
            return err(body, -32001, "access_token_invalid")
        if method == "get.account":
            return ok(
                body, {"data": [{"app_id": 7, "name": "Clinic", "timezone": "Europe/Moscow"}]}
            )
        if method == "get.calls_report":
            offset, limit = params["offset"], params["limit"]
            return ok(
                body,
                {
                    "data": self.rows[offset : offset + limit],
                    "metadata": {"total_items": len(self.rows)},
                },
            )
        if method == "list.calls":
            return ok(body, {"data": LIVE})
        if method == "start.employee_call":
            return ok(body, {"data": {"call_session_id": 555}})
        return err(body, -32601, "method_not_found")

    def methods(self) -> list[str]:
        return [r["method"] for r in self.requests]


LIVE = [
    {
        "call_session_id": 206597836,
        "direction": "in",
        "start_time": "2026-05-14 10:26:48",
        "virtual_phone_number": "74951045771",
        "contact_phone_number": "74959268686",
        "legs": [
            {
                "leg_id": 1,
                "calling_phone_number": "74959268686",
                "called_phone_number": "74951045771",
                "is_operator": False,
                "state": "Разговор",
            },
            {
                "leg_id": 2,
                "calling_phone_number": "74959268686",
                "called_phone_number": "0123456",
                "is_operator": True,
                "employee_id": 25,
                "employee_full_name": "Тест",
                "state": "Разговор",
            },
        ],
    }
]


def ok(body: dict[str, Any], result: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": result})


def err(body: dict[str, Any], code: int, mnemonic: str, **data: Any) -> httpx.Response:
    error = {"code": code, "message": mnemonic, "data": {"mnemonic": mnemonic, **data}}
    return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "error": error})


def client(fake: FakeUis, **settings: Any) -> tuple[UisClient, list[float]]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    options = {"data_api_url": DATA, "call_api_url": CALL, "access_token": "static"}
    options.update(settings)
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake))
    return UisClient(http, UisSettings(**options), retry=FAST, sleep=sleep), slept


async def collect(c: UisClient, start: datetime, end: datetime) -> list[Any]:
    return [r for page in [p async for p in c.history(start, end)] for r in page]


class TestHistory:
    async def test_history__normalizes_rows(self) -> None:
        fake = FakeUis([row(1, "2026-05-13 23:59:30", utm_medium="cpc", referrer="https://ya.ru")])
        c, _ = client(fake)
        [call] = await collect(
            c, datetime(2026, 5, 13, tzinfo=MSK), datetime(2026, 5, 14, tzinfo=MSK)
        )
        assert call.provider_call_id == "1"
        assert call.started_at == datetime(2026, 5, 13, 23, 59, 30, tzinfo=MSK)
        assert call.started_at.utcoffset() == timedelta(hours=3)
        assert call.account == "uis:7"
        assert call.direction is Direction.IN
        assert (call.contact_number, call.virtual_number) == ("+79161234567", "+74951234567")
        assert (call.wait_seconds, call.talk_seconds, call.answered) == (5, 60, True)
        assert call.employee_id == "25"
        assert call.recording_urls == ("https://media.test/1/abc",)
        assert (call.utm_source, call.utm_medium, call.referrer) == (
            "yandex",
            "cpc",
            "https://ya.ru",
        )

    async def test_history__asks_only_needed_fields_sorted_in_account_wall_clock(self) -> None:
        fake = FakeUis([])
        c, _ = client(fake)
        start = datetime(2026, 5, 13, 21, 0, tzinfo=ZoneInfo("UTC"))  # 00:00 in Moscow
        await collect(c, start, start + timedelta(days=1))
        params = fake.requests[-1]["params"]
        assert params["fields"] == list(REPORT_FIELDS)
        assert params["sort"] == [{"field": "start_time", "order": "asc"}]
        assert (params["date_from"], params["date_till"]) == (
            "2026-05-14 00:00:00",
            "2026-05-14 23:59:59",
        )
        assert params["limit"] == 10000

    async def test_history__pages_until_a_short_page(self) -> None:
        rows = [row(i, f"2026-05-13 10:{i:02d}:00") for i in range(25)]
        fake = FakeUis(rows)
        c, _ = client(fake, page_size=10)
        calls = await collect(
            c, datetime(2026, 5, 13, tzinfo=MSK), datetime(2026, 5, 14, tzinfo=MSK)
        )
        assert sorted({int(r.provider_call_id) for r in calls}) == list(range(25))
        offsets = [
            r["params"]["offset"] for r in fake.requests if r["method"] == "get.calls_report"
        ]
        assert offsets == [0, 5, 10, 15, 20]  # each page overlaps the previous by 5 rows

    async def test_history__survives_pages_served_from_earlier_rows(self) -> None:
        """A page that starts a few rows early (rows shifted) never makes us skip rows."""
        rows = [row(i, f"2026-05-13 10:{i:02d}:00") for i in range(40)]
        fake = FakeUis(rows)

        def shifted(body: dict[str, Any]) -> httpx.Response | None:
            params = body["params"]
            if body["method"] != "get.calls_report" or params["offset"] == 0:
                return None
            start = max(0, params["offset"] - 4)
            page = rows[start : start + params["limit"]]
            return ok(body, {"data": page, "metadata": {"total_items": len(rows)}})

        fake.script += [shifted] * 30
        c, _ = client(fake, page_size=10)
        calls = await collect(
            c, datetime(2026, 5, 13, tzinfo=MSK), datetime(2026, 5, 14, tzinfo=MSK)
        )
        assert sorted({int(r.provider_call_id) for r in calls}) == list(range(40))

    async def test_history__splits_a_year_into_windows_of_at_most_3_months(self) -> None:
        fake = FakeUis([])
        c, _ = client(fake)
        await collect(c, datetime(2025, 1, 1, tzinfo=MSK), datetime(2026, 1, 1, tzinfo=MSK))
        windows = [
            (r["params"]["date_from"], r["params"]["date_till"])
            for r in fake.requests
            if r["method"] == "get.calls_report"
        ]
        assert len(windows) >= 5
        assert windows[0][0] == "2025-01-01 00:00:00"
        assert windows[-1][1] == "2025-12-31 23:59:59"
        for lo, hi in windows:
            span = datetime.fromisoformat(hi) - datetime.fromisoformat(lo)
            assert span < timedelta(days=90)

    async def test_history__tolerates_sparse_rows_and_string_ids(self) -> None:
        fake = FakeUis([{"id": "42", "start_time": "2026-05-13 09:00:00", "is_lost": True}])
        c, _ = client(fake)
        [call] = await collect(
            c, datetime(2026, 5, 13, tzinfo=MSK), datetime(2026, 5, 14, tzinfo=MSK)
        )
        assert (call.provider_call_id, call.answered, call.talk_seconds) == ("42", False, 0)
        assert (call.contact_number, call.utm_source, call.recording_urls) == (None, None, ())

    async def test_history__a_row_without_start_time_is_a_protocol_error(self) -> None:
        fake = FakeUis([{"id": 1, "direction": "in"}])
        c, _ = client(fake)
        with pytest.raises(ProtocolError, match="start_time"):
            await collect(c, datetime(2026, 5, 13, tzinfo=MSK), datetime(2026, 5, 14, tzinfo=MSK))

    async def test_history__drops_rows_outside_the_period(self) -> None:
        fake = FakeUis([row(1, "2026-05-12 23:59:59"), row(2, "2026-05-13 00:00:00")])
        c, _ = client(fake)
        calls = await collect(
            c, datetime(2026, 5, 13, tzinfo=MSK), datetime(2026, 5, 14, tzinfo=MSK)
        )
        assert [r.provider_call_id for r in calls] == ["2"]


class TestFailures:
    async def test_expired_token__logs_in_and_retries(self) -> None:
        fake = FakeUis([row(1, "2026-05-13 10:00:00")])
        fake.script.append(lambda b: err(b, -32001, "access_token_expired"))
        c, _ = client(fake, login="admin", password="pw")
        calls = await collect(
            c, datetime(2026, 5, 13, tzinfo=MSK), datetime(2026, 5, 14, tzinfo=MSK)
        )
        assert len(calls) == 1
        assert "login.user" in fake.methods()
        assert fake.requests[-1]["params"]["access_token"] == "session"

    async def test_expired_token__without_login_is_an_auth_error(self) -> None:
        fake = FakeUis([])
        fake.script.append(lambda b: err(b, -32001, "access_token_expired"))
        c, _ = client(fake)
        with pytest.raises(AuthError, match="access_token_expired"):
            await c.account()

    async def test_login_only__opens_a_session_first(self) -> None:
        fake = FakeUis([])
        c, _ = client(fake, access_token=None, login="admin", password="pw")
        await c.account()
        assert fake.methods() == ["login.user", "get.account"]

    @pytest.mark.parametrize(
        "failure",
        [
            lambda b: httpx.Response(503, text="busy"),
            lambda b: httpx.Response(200, content=b'{"jsonrpc": "2.0", "res'),
            lambda b: err(b, -32603, "internal_error"),
        ],
        ids=["http-503", "truncated-body", "internal-error"],
    )
    async def test_transient_failure__is_retried(self, failure: Any) -> None:
        fake = FakeUis([])
        fake.script += [failure, failure]
        c, slept = client(fake)
        assert (await c.account()).key == "uis:7"
        assert fake.methods() == ["get.account"] * 3
        assert len(slept) == 2

    async def test_connection_errors__are_retried_then_raised(self) -> None:
        def boom(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused", request=request)

        http = httpx.AsyncClient(transport=httpx.MockTransport(boom))

        async def sleep(_: float) -> None:
            return None

        c = UisClient(
            http, UisSettings(data_api_url=DATA, access_token="t"), retry=FAST, sleep=sleep
        )
        with pytest.raises(UnavailableError, match="ConnectError"):
            await c.account()

    async def test_limit_exceeded__waits_minute_reset_and_retries(self) -> None:
        fake = FakeUis([])
        limits = {"limits": {"minute_remaining": 0, "minute_reset": 7}}
        fake.script.append(lambda b: err(b, -32029, "limit_exceeded", metadata=limits))
        c, slept = client(fake)
        c._retry = RetryPolicy(attempts=3, initial=0, maximum=60, timeout=5)
        await c.account()
        assert slept == [7.0]

    async def test_minute_limit_exhausted__next_request_waits(self) -> None:
        fake = FakeUis([])
        metadata = {"limits": {"minute_remaining": 0, "minute_reset": 3}}
        fake.script.append(
            lambda b: ok(
                b, {"data": [{"app_id": 7, "timezone": "Europe/Moscow"}], "metadata": metadata}
            )
        )
        c, slept = client(fake)
        c._retry = RetryPolicy(attempts=3, initial=0, maximum=60, timeout=5)
        await c.account()
        await collect(c, datetime(2026, 5, 13, tzinfo=MSK), datetime(2026, 5, 14, tzinfo=MSK))
        assert len(slept) == 1
        assert 2.0 < slept[0] <= 3.0

    async def test_invalid_params__is_a_protocol_error_not_retried(self) -> None:
        fake = FakeUis([])
        fake.script.append(lambda b: err(b, -32602, "invalid_parameter_value", field="date_from"))
        c, _ = client(fake)
        with pytest.raises(ProtocolError, match="date_from"):
            await c.account()
        assert fake.methods() == ["get.account"]


class TestCallApi:
    async def test_current_calls__from_list_calls(self) -> None:
        c, _ = client(FakeUis())
        [live] = await c.current_calls()
        assert live.provider_call_id == "206597836"
        assert live.state is LiveState.TALKING
        assert live.sip_line == "0123456"
        assert live.employee_id == "25"
        assert live.contact_number == "+74959268686"
        assert live.started_at.tzinfo is not None

    async def test_callback__rings_the_employee_first(self) -> None:
        fake = FakeUis()
        c, _ = client(fake, virtual_number="+74951234567")
        result = await c.callback(CallbackRequest(contact_number="+79161234567", employee_id="25"))
        assert result.request_id == "555"
        params = fake.requests[-1]["params"]
        assert params["first_call"] == "employee"
        assert params["employee"] == {"id": 25}
        assert (params["contact"], params["virtual_phone_number"]) == ("79161234567", "74951234567")

    async def test_without_call_api__live_calls_are_a_capability_error(self) -> None:
        c, _ = client(FakeUis(), call_api_url=None)
        assert Capability.CURRENT_CALLS not in c.capabilities
        with pytest.raises(CapabilityError, match="Call API"):
            await c.current_calls()


@pytest.mark.parametrize("zone", ["Europe/Moscow", "Europe/Berlin", "America/New_York"])
@pytest.mark.parametrize(
    "wall",
    ["2026-05-13 10:00:00", "2026-10-25 02:30:00", "2026-03-29 02:30:00", "2026-11-01 01:30"],
)
def test_wall_clock_times__match_the_zone_on_every_parse(zone: str, wall: str) -> None:
    """The cached-offset fast path gives the instant ZoneInfo gives, DST edges included."""
    from adapter.providers.uis import _local

    tz = ZoneInfo(zone)
    expected = datetime.fromisoformat(wall).replace(tzinfo=tz)
    for _ in range(2):  # the first parse fills the cache, the second uses it
        got = _local(wall, tz)
        assert got.timestamp() == expected.timestamp()
        assert got.utcoffset() == expected.utcoffset()
