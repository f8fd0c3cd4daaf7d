"""Replay: recorded answers matched on face, method and normalized parameters."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from mockpbx.record.cassette import Cassette
from mockpbx.record.replay import Replay
from mockpbx.state import ServerState
from mockpbx.testing import MockPBXServer

DATA = Path(__file__).parent / "data"


def _ex(face: str, method: str, request: dict[str, Any], body: Any, status: int = 200) -> Any:
    return {
        "face": face,
        "method": method,
        "kind": "api",
        "request": {"query": {}, "body_kind": "json", "path": "/", **request},
        "response": {
            "status": status,
            "headers": {"Content-Type": "application/json"},
            "body_kind": "json",
            "body": body,
        },
    }


def _rpc(method: str, params: dict[str, Any], result: Any) -> Any:
    request = {
        "method": "POST",
        "body": {"jsonrpc": "2.0", "id": 7, "method": method, "params": params},
    }
    return _ex("uis-data", method, request, {"jsonrpc": "2.0", "id": 7, "result": result})


def _clinic(query: dict[str, str], body: Any) -> Any:
    return _ex(
        "clinic",
        "GetFinishedCalls",
        {"method": "GET", "path": "/GetFinishedCalls", "query": query},
        body,
    )


def _install(
    state: ServerState, face: str, exchanges: list[Any], fallback: str = "not-found"
) -> None:
    cassette = Cassette({"mockpbx_cassette": 1, "face": face}, exchanges)
    state.options["replay"] = Replay([cassette], "world" if fallback == "world" else "not-found")


async def _call(client: TestClient, method: str, params: dict[str, Any], rpc_id: int = 99) -> Any:  # type: ignore[type-arg]
    body = {"jsonrpc": "2.0", "id": rpc_id, "method": method, "params": params}
    resp = await client.post("/uis/dataapi/v2.0", json=body)
    return await resp.json()


async def test_exact_match__answers_the_recorded_reply_with_the_requests_id(
    client: TestClient,
    state: ServerState,  # type: ignore[type-arg]
) -> None:
    """Secrets are ignored in matching; a JSON-RPC reply carries the id of the request."""
    _install(
        state,
        "uis-data",
        [_rpc("get.account", {"access_token": "[redacted]"}, {"data": {"app_id": 1}})],
    )
    got = await _call(client, "get.account", {"access_token": "whatever"}, rpc_id=42)
    assert got == {"jsonrpc": "2.0", "id": 42, "result": {"data": {"app_id": 1}}}


async def test_same_request__gets_recorded_answers_in_order_and_the_last_repeats(
    client: TestClient,
    state: ServerState,  # type: ignore[type-arg]
) -> None:
    """A polled request replays as it happened: first answer, second, then the last again."""
    _install(
        state, "uis-data", [_rpc("get.account", {}, {"n": 1}), _rpc("get.account", {}, {"n": 2})]
    )
    answers = [(await _call(client, "get.account", {}))["result"]["n"] for _ in range(3)]
    assert answers == [1, 2, 2]


async def test_shifted_time_window__matches_the_window_of_the_same_length(
    client: TestClient,
    state: ServerState,  # type: ignore[type-arg]
) -> None:
    """A sliding window asked later matches the recorded one of the same length; paging exact."""
    q = {
        "dateTimeFrom": "2026-05-14T09:00:00+03:00",
        "dateTimeTo": "2026-05-14T10:00:00+03:00",
        "limit": "100",
    }
    _install(state, "clinic", [_clinic(q, [{"Id": "1"}])])
    later = {
        **q,
        "dateTimeFrom": "2026-05-14T09:05:00+03:00",
        "dateTimeTo": "2026-05-14T10:05:00+03:00",
    }
    resp = await client.get("/clinic/v1/GetFinishedCalls", params=later)
    assert resp.status == 200
    assert await resp.json() == [{"Id": "1"}]
    longer = {**q, "dateTimeFrom": "2026-05-14T08:00:00+03:00"}
    assert (await client.get("/clinic/v1/GetFinishedCalls", params=longer)).status == 404
    other_page = {**q, "offset": "100"}
    assert (await client.get("/clinic/v1/GetFinishedCalls", params=other_page)).status == 404


async def test_unmatched__gets_each_providers_own_not_found(
    client: TestClient,
    state: ServerState,  # type: ignore[type-arg]
) -> None:
    """UIS answers JSON-RPC -32601, Mango 404 + result 4001, the clinic face 404 not_found."""
    state.options["replay"] = Replay(
        [Cassette({"face": f}, []) for f in ("uis-data", "mango", "clinic")]
    )
    uis = await _call(client, "get.account", {}, rpc_id=5)
    assert uis["id"] == 5
    assert uis["error"]["code"] == -32601
    assert uis["error"]["data"]["mnemonic"] == "method_not_found"
    mango = await client.post("/mango/vpbx/account/balance", data={"json": "{}"})
    assert mango.status == 404
    assert (await mango.json())["result"] == 4001
    clinic = await client.get("/clinic/v1/GetOngoingCalls")
    assert clinic.status == 404
    assert (await clinic.json())["error"] == "not_found"


async def test_fallback_world__lets_the_simulated_world_answer(
    client: TestClient,
    state: ServerState,  # type: ignore[type-arg]
) -> None:
    """With fallback "world" an unmatched request reaches the mock's own face."""
    _install(state, "clinic", [], fallback="world")
    key = state.credentials.clinic_key
    resp = await client.get("/clinic/v1/GetOngoingCalls", headers={"IDENT-Integration-Key": key})
    assert resp.status == 200
    assert isinstance(await resp.json(), list)


async def test_faces_without_a_cassette_and_the_control_plane__are_untouched(
    client: TestClient,
    state: ServerState,  # type: ignore[type-arg]
) -> None:
    """Only faces that have a cassette are replayed."""
    _install(state, "clinic", [])
    assert (await client.get("/_mockpbx/health")).status == 200
    got = await _call(client, "get.account", {"access_token": state.credentials.uis_access_token})
    assert "result" in got


@pytest.mark.mockpbx(replay=DATA / "clinic.jsonl")
def test_pytest_marker__replays_a_cassette(mockpbx: MockPBXServer) -> None:
    """`@pytest.mark.mockpbx(replay=PATH)` serves the cassette for that test only."""
    with urllib.request.urlopen(f"{mockpbx.url}/clinic/v1/GetOngoingCalls", timeout=10) as resp:
        body = json.loads(resp.read())
    assert body[0]["PhoneFrom"] == "79160000001"


def test_pytest_marker__is_gone_in_the_next_test(mockpbx: MockPBXServer) -> None:
    """Without the marker the world answers again."""
    assert mockpbx.call(lambda s: s.options.get("replay")) is None
