"""Faults behave like the failure they name: expiry persists, rows shift, limits and hits."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from mockpbx.providers.mango import runtime as mango_runtime
from mockpbx.providers.mango.signing import form_body
from mockpbx.providers.uis import rpc as uis_rpc
from mockpbx.state import ServerState

Client = TestClient  # type: ignore[type-arg]

DATA = "/uis/dataapi/v2.0"
YESTERDAY = {"date_from": "2026-05-13 00:00:00", "date_till": "2026-05-13 23:59:59"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def _add(client: Client, **fault: Any) -> dict[str, Any]:
    resp = await client.post("/_mockpbx/faults", json=fault)
    assert resp.status == 201, await resp.text()
    return await resp.json()  # type: ignore[no-any-return]


async def _rpc(client: Client, method: str, **params: Any) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    return await (await client.post(DATA, json=body)).json()  # type: ignore[no-any-return]


def _mnemonic(answer: dict[str, Any]) -> str | None:
    return answer["error"]["data"]["mnemonic"] if "error" in answer else None


async def _login(client: Client, state: ServerState) -> str:
    creds = state.credentials
    answer = await _rpc(client, "login.user", login=creds.uis_login, password=creds.uis_password)
    return str(answer["result"]["data"]["access_token"])


class TestExpireToken:
    async def test_uis_session__stays_invalid_until_a_new_login(
        self, client: Client, state: ServerState
    ) -> None:
        """The ended session fails on every method, even once the fault is gone."""
        session = await _login(client, state)
        fault = await _add(client, face="uis", method="get.account", kind="expire_token", count=1)
        assert _mnemonic(await _rpc(client, "get.account", access_token=session)) == (
            "access_token_invalid"
        )
        await client.delete(f"/_mockpbx/faults/{fault['id']}")
        for method in ("get.account", "get.employees"):
            answer = await _rpc(client, method, access_token=session)
            assert _mnemonic(answer) == "access_token_invalid"
        fresh = await _login(client, state)
        assert _mnemonic(await _rpc(client, "get.account", access_token=fresh)) is None

    async def test_uis_static_key__stays_expired_until_the_fault_is_removed(
        self, client: Client, state: ServerState
    ) -> None:
        """access_token_expired on every method while the fault exists; sessions still work."""
        key = state.credentials.uis_access_token
        fault = await _add(client, face="uis", method="get.account", kind="expire_token", count=1)
        for method in ("get.account", "get.account", "get.employees"):
            answer = await _rpc(client, method, access_token=key)
            assert _mnemonic(answer) == "access_token_expired"
            assert answer["error"]["code"] == -32001
        session = await _login(client, state)
        assert _mnemonic(await _rpc(client, "get.employees", access_token=session)) is None
        listed = (await (await client.get("/_mockpbx/faults")).json())["faults"]
        assert (listed[0]["hits"], listed[0]["remaining"]) == (3, 0)
        await client.delete(f"/_mockpbx/faults/{fault['id']}")
        assert _mnemonic(await _rpc(client, "get.account", access_token=key)) is None

    async def test_login_request__is_not_hit(self, client: Client, state: ServerState) -> None:
        """A request without a credential has nothing to expire: the fault waits for one."""
        await _add(client, face="uis", kind="expire_token", count=1)
        session = await _login(client, state)
        assert _mnemonic(await _rpc(client, "get.account", access_token=session)) == (
            "access_token_invalid"
        )

    async def test_mango_key__is_refused_until_the_fault_is_removed(
        self, client: Client, state: ServerState
    ) -> None:
        creds = state.credentials
        _, body = form_body(creds.mango_api_key, creds.mango_api_salt, {})
        url = "/mango/vpbx/config/users/request"
        fault = await _add(client, face="mango", kind="expire_token", count=1)
        for _ in range(2):
            resp = await client.post(url, data=body, headers=FORM)
            assert (resp.status, (await resp.json())["result"]) == (401, 3105)
        await client.delete(f"/_mockpbx/faults/{fault['id']}")
        assert (await client.post(url, data=body, headers=FORM)).status == 200

    async def test_clinic_key__is_refused_until_the_fault_is_removed(
        self, client: Client, state: ServerState
    ) -> None:
        headers = {"IDENT-Integration-Key": state.credentials.clinic_key}
        fault = await _add(client, face="clinic", kind="expire_token", count=1)
        for _ in range(2):
            resp = await client.get("/clinic/v1/GetOngoingCalls", headers=headers)
            assert resp.status == 401
        await client.delete(f"/_mockpbx/faults/{fault['id']}")
        assert (await client.get("/clinic/v1/GetOngoingCalls", headers=headers)).status == 200


class TestDuplicateRows:
    async def _page(self, client: Client, key: str, offset: int, limit: int) -> list[int]:
        answer = await _rpc(client, "get.calls_report", access_token=key, **YESTERDAY,
                            fields=["id"], limit=limit, offset=offset)  # fmt: skip
        return [row["id"] for row in answer["result"]["data"]]

    @pytest.mark.parametrize("rows", [1, 4, 50])
    async def test_no_page_exceeds_limit_and_paging_to_a_short_page_loses_nothing(
        self, client: Client, state: ServerState, rows: int
    ) -> None:
        """Even with more rows arriving per page than a page holds, paging moves on."""
        key = state.credentials.uis_access_token
        everything = await self._page(client, key, 0, 1000)
        await _add(client, face="uis", method="get.calls_report", kind="duplicate_rows", rows=rows)
        pages, offset = [await self._page(client, key, 0, 5)], 5
        while len(pages[-1]) == 5:
            pages.append(await self._page(client, key, offset, 5))
            offset += 5
        assert all(len(page) <= 5 for page in pages)
        seen = [i for page in pages for i in page]
        assert set(seen) == set(everything)
        assert len(seen) > len(everything)
        assert pages[1][: min(rows, 4)] == pages[0][5 - min(rows, 4) :]

    async def test_a_new_pass_from_offset_0__reads_the_list_settled(
        self, client: Client, state: ServerState
    ) -> None:
        key = state.credentials.uis_access_token
        await _add(client, face="uis", kind="duplicate_rows", rows=2, count=1)
        first = await self._page(client, key, 0, 5)
        assert (await self._page(client, key, 5, 5))[:2] == first[3:]
        again = await self._page(client, key, 0, 5)
        assert (await self._page(client, key, 5, 5))[0] not in again

    async def _mango_page(self, client: Client, state: ServerState, offset: int) -> list[str]:
        creds = state.credentials
        window = {"start_date": "13.05.2026 00:00:00", "end_date": "13.05.2026 23:59:59",
                  "limit": 5, "offset": offset}  # fmt: skip
        pages = []
        for method, payload in (("stats/calls/request", window), ("stats/calls/result", None)):
            _, body = form_body(creds.mango_api_key, creds.mango_api_salt, payload or pages[-1])
            resp = await client.post(f"/mango/vpbx/{method}", data=body, headers=FORM)
            pages.append(await resp.json())
        return [item["entry_id"] for day in pages[-1]["data"] for item in day["list"]]

    async def test_mango_stats_calls__pages_shift_the_same_way(
        self, client: Client, state: ServerState
    ) -> None:
        """stats/calls/request pages by limit/offset: the fault shifts its page too."""
        state.options["mango"] = {"rate_limits": False}
        plain = await self._mango_page(client, state, 5)
        await _add(client, face="mango", method="stats/calls/request", kind="duplicate_rows",
                   rows=2, count=1)  # fmt: skip
        first = await self._mango_page(client, state, 0)
        second = await self._mango_page(client, state, 5)
        assert len(second) == 5
        assert second[:2] == first[3:]
        assert second[2:] == plain[:3]


class TestLateRows:
    async def test_hits_count_requests_and_delayed_calls_are_apart(
        self, client: Client, state: ServerState
    ) -> None:
        """Before any request a late_rows fault has no hits, only delayed calls."""
        fault = await _add(client, face="*", kind="late_rows", delay_seconds=3600,
                           window={"from": "+0s", "to": "+2h"})  # fmt: skip
        assert fault["hits"] == 0
        assert fault["delayed_calls"] > 0
        await client.post("/_mockpbx/clock", json={"advance_seconds": 3600})
        key = state.credentials.uis_access_token
        await _rpc(client, "get.account", access_token=key)
        listed = (await (await client.get("/_mockpbx/faults")).json())["faults"][0]
        assert (listed["hits"], listed["delayed_calls"]) == (1, fault["delayed_calls"])


class TestRateLimitClock:
    async def _stats_request(self, client: Client, state: ServerState) -> int:
        creds = state.credentials
        payload = {"date_from": "1778619600", "date_to": "1778706000"}
        _, body = form_body(creds.mango_api_key, creds.mango_api_salt, payload)
        return (await client.post("/mango/vpbx/stats/request", data=body, headers=FORM)).status

    async def test_mango_429__clears_when_the_virtual_clock_moves(
        self, client: Client, state: ServerState
    ) -> None:
        """stats/request allows 1 per 2 s, counted on the virtual clock by default."""
        assert [await self._stats_request(client, state) for _ in range(2)] == [200, 429]
        state.world.clock.advance(2)
        assert await self._stats_request(client, state) == 200

    async def test_mango_real_time_limits__ignore_the_virtual_clock(
        self, client: Client, state: ServerState, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(mango_runtime, "time", SimpleNamespace(monotonic=lambda: 100.0))
        resp = await client.post("/_mockpbx/mango/options", json={"rate_limit_clock": "real"})
        assert resp.status == 200, await resp.text()
        assert [await self._stats_request(client, state) for _ in range(2)] == [200, 429]
        state.world.clock.advance(3600)
        assert await self._stats_request(client, state) == 429

    @pytest.mark.parametrize(
        ("clock", "after_a_minute"), [("virtual", None), ("real", "limit_exceeded")]
    )
    async def test_uis_minute_points__follow_the_chosen_clock(
        self,
        client: Client,
        state: ServerState,
        monkeypatch: pytest.MonkeyPatch,
        clock: str,
        after_a_minute: str | None,
    ) -> None:
        """A virtual minute gives the points back, unless the limits run on real time."""
        monkeypatch.setattr(uis_rpc, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))
        state.options["uis"] = {"minute_limit": 1, "rate_limit_clock": clock}
        key = state.credentials.uis_access_token
        assert _mnemonic(await _rpc(client, "get.account", access_token=key)) is None
        assert _mnemonic(await _rpc(client, "get.account", access_token=key)) == "limit_exceeded"
        state.world.clock.advance(60)
        assert _mnemonic(await _rpc(client, "get.account", access_token=key)) == after_a_minute
