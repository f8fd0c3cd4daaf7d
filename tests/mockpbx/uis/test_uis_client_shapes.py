"""Requests shaped exactly like public third-party UIS/CoMagic clients send them.

Each test reproduces one client's wire form (header, `id` type, param types,
filters, field lists, recording URL spelling) so that a change in the mock
that would break such a client fails here first.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiohttp.test_utils import TestClient

from mockpbx.state import ServerState

from .conftest import DATA, Rpc

# requests' `json=` sends these bytes and this header.
JSON = {"Content-Type": "application/json"}


async def post(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:  # type: ignore[type-arg]
    resp = await client.post(DATA, data=json.dumps(body).encode(), headers=JSON)
    assert resp.status == 200
    doc: dict[str, Any] = await resp.json()
    return doc


def window(state: ServerState, days: int = 2) -> tuple[str, str]:
    now = state.world.now()
    fmt = "%Y-%m-%d %H:%M:%S"
    tz = state.world.tz
    return (
        datetime.fromtimestamp(now - days * 86400, tz).strftime(fmt),
        datetime.fromtimestamp(now, tz).strftime(fmt),
    )


class TestEnvelope:
    async def test_object_that_is_not_a_request__is_invalid_request(
        self,
        client: TestClient,  # type: ignore[type-arg]
    ) -> None:
        """A script posting `{"email": ...}` (no jsonrpc, method or id) gets -32600, not -32099."""
        doc = await post(client, {"email": "x@example.com"})
        assert doc["id"] is None
        assert doc["error"]["code"] == -32600
        assert doc["error"]["data"]["mnemonic"] == "invalid_request"


class TestDataApiShapes:
    async def test_login_by_session__then_token_reuse_and_logout(
        self,
        client: TestClient,  # type: ignore[type-arg]
        state: ServerState,
    ) -> None:
        """comagic-wrapper/comagic-data-api-sdk: `id` like "req_call1700000000", bare header."""
        creds = state.credentials
        doc = await post(
            client,
            {
                "jsonrpc": "2.0",
                "id": "req_call1700000000",
                "method": "login.user",
                "params": {"login": creds.uis_login, "password": creds.uis_password},
            },
        )
        data = doc["result"]["data"]
        assert set(data) >= {"access_token", "app_id", "expire_at"}
        token = data["access_token"]
        body = {"jsonrpc": "2.0", "id": 1, "method": "get.account"}
        account = await post(client, body | {"params": {"access_token": token}})
        assert account["result"]["data"][0]["timezone"] == "Europe/Moscow"
        body = {"jsonrpc": "2.0", "id": "req1", "method": "logout.user"}
        bye = await post(client, body | {"params": {"access_token": token}})
        assert bye["result"]["data"] == {}

    async def test_call_legs__filtered_by_an_integer_session_id(
        self, data: Rpc, state: ServerState
    ) -> None:
        date_from, date_till = window(state, days=7)
        calls = (await data.ok("get.calls_report", date_from=date_from, date_till=date_till))[
            "data"
        ]
        session = calls[0]
        fields = ["id", "call_session_id", "calling_phone_number", "is_operator", "is_transfered"]
        legs = await data.ok(
            "get.call_legs_report",
            filter={"field": "call_session_id", "operator": "=", "value": session["id"]},
            fields=fields,
            date_from=session["start_time"],
            date_till=session["finish_time"],
        )
        assert legs["data"]
        assert {leg["call_session_id"] for leg in legs["data"]} == {session["id"]}
        assert all(list(leg) == fields for leg in legs["data"])

    async def test_employees__jsquery_on_extension(self, data: Rpc) -> None:
        employees = (await data.ok("get.employees", fields=["id", "extension"]))["data"]
        ext = employees[1]["extension"]["extension_phone_number"]
        found = await data.ok(
            "get.employees",
            filter={
                "field": "extension",
                "operator": "jsquery",
                "value": f'extension_phone_number="{ext}"',
            },
            fields=["id"],
        )
        assert found["data"] == [{"id": employees[1]["id"]}]

    async def test_sip_lines__a_repeated_field_is_returned_once(self, data: Rpc) -> None:
        lines = await data.ok(
            "get.sip_lines",
            fields=["physical_state", "virtual_phone_number", "type", "virtual_phone_number"],
        )
        assert lines["data"]
        assert all(
            list(row) == ["physical_state", "virtual_phone_number", "type"] for row in lines["data"]
        )

    async def test_calls_report__without_date_till_names_the_parameter(
        self, data: Rpc, state: ServerState
    ) -> None:
        """comagic-wrapper's README call sends date_from but never date_till."""
        date_from, _ = window(state)
        error = await data.error("get.calls_report", date_from=date_from)
        assert error["code"] == -32602
        assert error["data"]["mnemonic"] == "required_parameter_missed"
        assert error["data"]["field"] == "date_till"


class TestRecordingLinks:
    async def test_talk_link__built_by_scripts_with_a_trailing_slash(
        self,
        client: TestClient,  # type: ignore[type-arg]
        data: Rpc,
        state: ServerState,
    ) -> None:
        """`/system/media/talk/{communication_id}/{record}/`, as a CallGear script builds it."""
        date_from, date_till = window(state, days=7)
        rows = (await data.ok("get.calls_report", date_from=date_from, date_till=date_till))["data"]
        row = next(r for r in rows if r["call_records"])
        path = f"/system/media/talk/{row['communication_id']}/{row['call_records'][0]}/"
        resp = await client.get(path)
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "audio/mpeg"
        assert len(await resp.read()) > 0
