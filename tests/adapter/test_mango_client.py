"""The Mango Office client against scripted answers (httpx.MockTransport)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import httpx
import pytest

from adapter.errors import AuthError, CapabilityError, UnavailableError
from adapter.model import Direction
from adapter.providers.base import CallbackRequest, RetryPolicy
from adapter.providers.mango import MangoClient, MangoSettings
from adapter.providers.mango_signing import recording_link_sign, sign

MSK = ZoneInfo("Europe/Moscow")
FAST = RetryPolicy(attempts=4, initial=0.0, maximum=0.0, timeout=5)
KEY, SALT = "9ipl5monmwkkyg3adfx2s6frz7b", "cv3z37sqp6kvsjs4i7vd3lf6r5rwztg2"


def context(entry: str, start: datetime, *, answered: bool = True, **extra: Any) -> dict[str, Any]:
    ts = int(start.timestamp())
    leg = {
        "call_type": "user",
        "call_abonent_id": 300043164,
        "call_abonent_info": "Иванова Анна",
        "call_abonent_number": "sip:anna@vpbx.mangosip.ru",
        "call_start_time": ts,
        "call_answer_time": ts + 7 if answered else None,
        "call_end_time": ts + 67,
        "talk_duration": 60 if answered else 0,
        "recording_id": ["MToxMDAwNjA4NTo1MDA5NDExMDIyOjE="] if answered else [],
        "DirectionInbound": True,
    }
    base = {
        "entry_id": entry,
        "context_type": 1,
        "context_status": 1 if answered else 0,
        "caller_number": "79161234567",
        "called_number": "74951234567",
        "context_start_time": ts,
        "duration": 67,
        "talk_duration": 60 if answered else 0,
        "context_calls": [leg],
        "cost": 1.5,
    }
    base.update(extra)
    return base


class FakeMango:
    """A scripted Mango: stats are ready after one 204 and one `work` poll."""

    def __init__(self, contexts: list[dict[str, Any]] | None = None) -> None:
        self.contexts = contexts or []
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.script: list[Callable[[str], httpx.Response | None] | None] = []
        self.keys: dict[str, dict[str, Any]] = {}
        self.polls: dict[str, int] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        method = request.url.path.split("/vpbx/", 1)[1]
        if form["vpbx_api_key"] != KEY or form["sign"] != sign(KEY, form["json"], SALT):
            return httpx.Response(401, json={"result": 3102})
        payload = json.loads(form["json"])
        self.posts.append((method, payload))
        if self.script:
            step = self.script.pop(0)
            answer = step(method) if step is not None else None
            if answer is not None:
                return answer
        if method == "stats/calls/request":
            key = f"k{len(self.keys)}"
            self.keys[key] = payload
            return httpx.Response(200, json={"key": key})
        if method == "stats/calls/result/":
            return self._result(payload["key"])
        return httpx.Response(200, json={"result": 1000})

    def _result(self, key: str) -> httpx.Response:
        if key not in self.keys:
            return httpx.Response(404)
        self.polls[key] = self.polls.get(key, 0) + 1
        if self.polls[key] == 1:
            return httpx.Response(204)
        if self.polls[key] == 2:
            return httpx.Response(200, json={"result": 1000, "status": "work", "data": []})
        request = self.keys[key]
        offset, limit = int(request["offset"]), int(request["limit"])
        page = self.contexts[offset : offset + limit]
        data = [{"period": "2026-05-13", "list": page, "total_calls_count": len(page)}]
        return httpx.Response(200, json={"result": 1000, "status": "complete", "data": data})

    def methods(self) -> list[str]:
        return [m for m, _ in self.posts]


def client(fake: FakeMango, **settings: Any) -> tuple[MangoClient, list[float]]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    options: dict[str, Any] = {"url": "https://mango.test/vpbx/", "api_key": KEY, "api_salt": SALT}
    options.update(settings)
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake))
    return MangoClient(http, MangoSettings(**options), retry=FAST, sleep=sleep), slept


async def collect(c: MangoClient, start: datetime, end: datetime) -> list[Any]:
    return [r for page in [p async for p in c.history(start, end)] for r in page]


DAY = datetime(2026, 5, 13, tzinfo=MSK)


def mango_time(text: str) -> datetime:
    return datetime.strptime(text + " +0300", "%d.%m.%Y %H:%M:%S %z")


def test_sign__matches_the_documented_vector() -> None:
    text = (
        '{"command_id":"your-command-id","from":{"extension":"<extension>","number":""},'
        '"to_number":"<to_number>"}'
    )
    assert sign("<YOUR_API_KEY>", text, "<YOUR_API_SALT>") == (
        "afdeb462cd5e0e422a9c9220390124608df06a4472cb1add6ebd6e24184bd15a"
    )


def test_recording_link_sign__matches_the_documented_vector() -> None:
    assert recording_link_sign("nokey", 33091482931, "23firh9023hfdkew=", "nosalt") == (
        "614c9d0a90f3fcac7a3fa61a71fde696fe9c54f35bcb05d3a9dc9b0211df3ea1"
    )


class TestHistory:
    async def test_history__polls_until_complete_and_normalizes(self) -> None:
        fake = FakeMango([context("NTAwOTQxMTAyMg==", DAY.replace(hour=23, minute=59))])
        c, slept = client(fake, poll_interval=0.5)
        [call] = await collect(c, DAY, DAY + timedelta(days=1))
        assert fake.methods() == ["stats/calls/request"] + ["stats/calls/result/"] * 3
        assert slept == [0.5, 0.5]
        assert call.provider == "mango"
        assert call.provider_call_id == "NTAwOTQxMTAyMg=="
        assert call.started_at == DAY.replace(hour=23, minute=59)
        assert call.direction is Direction.IN
        assert (call.contact_number, call.virtual_number) == ("+79161234567", "+74951234567")
        assert (call.answered, call.wait_seconds, call.talk_seconds) == (True, 7, 60)
        assert (call.employee_id, call.employee_name) == ("300043164", "Иванова Анна")
        assert call.sip_line == "sip:anna@vpbx.mangosip.ru"
        [url] = call.recording_urls
        assert "/queries/recording/link/MToxMDAwNjA4NTo1MDA5NDExMDIyOjE=/play/" in url

    async def test_history__sends_dates_in_mango_format(self) -> None:
        fake = FakeMango([])
        c, _ = client(fake)
        await collect(c, DAY, DAY + timedelta(days=1))
        request = fake.posts[0][1]
        assert (request["start_date"], request["end_date"]) == (
            "13.05.2026 00:00:00",
            "13.05.2026 23:59:59",
        )

    async def test_history__pages_with_offset(self) -> None:
        fake = FakeMango([context(f"e{i}", DAY + timedelta(minutes=i)) for i in range(12)])
        c, _ = client(fake, page_size=5)
        calls = await collect(c, DAY, DAY + timedelta(days=1))
        assert sorted({r.provider_call_id for r in calls}) == sorted(f"e{i}" for i in range(12))
        offsets = [p["offset"] for m, p in fake.posts if m == "stats/calls/request"]
        assert offsets == ["0", "3", "6", "9"]  # pages overlap by 2 rows (limit // 2)

    async def test_history__windows_are_shorter_than_30_days(self) -> None:
        fake = FakeMango([])
        c, _ = client(fake)
        await collect(c, DAY - timedelta(days=65), DAY)
        windows = [
            (p["start_date"], p["end_date"]) for m, p in fake.posts if m == "stats/calls/request"
        ]
        assert len(windows) == 3
        for lo, hi in windows:
            span = mango_time(hi) - mango_time(lo)
            assert span < timedelta(days=30)

    async def test_missed_call__has_no_talk_and_waits_its_duration(self) -> None:
        fake = FakeMango([context("m1", DAY.replace(hour=9), answered=False)])
        c, _ = client(fake)
        [call] = await collect(c, DAY, DAY + timedelta(days=1))
        assert (call.answered, call.talk_seconds, call.wait_seconds) == (False, 0, 67)
        assert call.recording_urls == ()

    async def test_expired_key__requests_the_page_again(self) -> None:
        fake = FakeMango([context("e1", DAY.replace(hour=9))])
        fake.script += [None, lambda m: httpx.Response(404)]
        c, _ = client(fake)
        calls = await collect(c, DAY, DAY + timedelta(days=1))
        assert len(calls) == 1
        assert fake.methods().count("stats/calls/request") == 2


class TestFailures:
    async def test_rate_limit__waits_retry_after(self) -> None:
        fake = FakeMango()
        body = {
            "name": "Service Unavailable",
            "message": "Rate limit exceeded.",
            "code": 0,
            "status": 429,
        }
        fake.script.append(lambda m: httpx.Response(429, json=body, headers={"Retry-After": "2"}))
        c, slept = client(fake)
        c._retry = RetryPolicy(attempts=3, initial=0, maximum=30, timeout=5)
        await c.callback(CallbackRequest(contact_number="+79161234567", extension="101"))
        assert slept == [2.0]

    async def test_retries__log_rate_limits_as_info_and_failures_as_warnings(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        fake = FakeMango()
        fake.script.append(lambda m: httpx.Response(429, json={"status": 429}))
        fake.script.append(lambda m: httpx.Response(503))
        c, _ = client(fake)
        caplog.set_level(logging.INFO, logger="adapter.providers")
        await c.callback(CallbackRequest(contact_number="+79161234567", extension="101"))
        levels = [(r.levelno, "429" in r.getMessage()) for r in caplog.records]
        assert levels == [(logging.INFO, True), (logging.WARNING, False)]

    async def test_wrong_salt__is_an_auth_error(self) -> None:
        c, _ = client(FakeMango(), api_salt="wrong")
        with pytest.raises(AuthError, match="401"):
            await c.callback(CallbackRequest(contact_number="+79161234567", extension="101"))

    @pytest.mark.parametrize("code", [5001, "5008"])
    async def test_server_result_codes__are_transient(self, code: object) -> None:
        fake = FakeMango()
        fake.script += [lambda m: httpx.Response(200, json={"result": code})] * 4
        c, _ = client(fake)
        with pytest.raises(UnavailableError, match="result 50"):
            await c.callback(CallbackRequest(contact_number="+79161234567", extension="101"))
        assert len(fake.posts) == 4

    async def test_legacy_420__maps_its_code(self) -> None:
        fake = FakeMango()
        fake.script.append(lambda m: httpx.Response(420, json={"code": 3105}))
        c, _ = client(fake)
        with pytest.raises(AuthError, match="3105"):
            await c.callback(CallbackRequest(contact_number="+79161234567", extension="101"))


class TestCommands:
    async def test_callback__from_the_employee_extension_to_the_number(self) -> None:
        fake = FakeMango()
        c, _ = client(fake, line_number="74951234567")
        result = await c.callback(
            CallbackRequest(contact_number="+79161234567", extension="101", external_id="cmd-1")
        )
        assert result.request_id == "cmd-1"
        method, payload = fake.posts[-1]
        assert method == "commands/callback"
        assert payload == {
            "command_id": "cmd-1",
            "from": {"extension": "101"},
            "to_number": "79161234567",
            "line_number": "74951234567",
        }

    async def test_current_calls__need_the_event_board(self) -> None:
        c, _ = client(FakeMango())
        with pytest.raises(CapabilityError, match="events receiver"):
            await c.current_calls()
