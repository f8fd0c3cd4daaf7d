"""The JSON-RPC envelope both UIS APIs share: parsing, errors, auth, sessions, limits."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import orjson
import pytest

from mockpbx.providers.uis.options import UisOptions
from mockpbx.state import ServerState

if TYPE_CHECKING:
    from tests.mockpbx.uis.conftest import Rpc

YESTERDAY = {"date_from": "2026-05-13 00:00:00", "date_till": "2026-05-13 23:59:59"}


def _envelope(**members: object) -> bytes:
    return orjson.dumps({"jsonrpc": "2.0", "id": 1, **members})


class TestEnvelope:
    async def test_broken_json__is_a_parse_error(self, data: Rpc) -> None:
        status, body = await data.raw(b'{"jsonrpc": "2.0", "id": 1,')
        assert status == 200
        assert body["id"] is None
        assert body["error"]["code"] == -32700
        assert body["error"]["data"]["mnemonic"] == "parse_error"
        assert body["error"]["message"] == "Invalid JSON was received by the server."

    async def test_batch__is_refused(self, data: Rpc) -> None:
        _, body = await data.raw(b"[" + _envelope(method="get.account", params={}) + b"]")
        assert body["error"]["code"] == -32099
        assert body["error"]["data"]["mnemonic"] == "batch_opreations_not_supported"

    async def test_missing_id__is_a_notification_and_refused(self, data: Rpc) -> None:
        body = orjson.dumps({"jsonrpc": "2.0", "method": "get.account", "params": {}})
        _, doc = await data.raw(body)
        assert doc["error"]["code"] == -32099
        assert doc["error"]["data"]["mnemonic"] == "notifications_not_supported"

    @pytest.mark.parametrize(
        ("members", "field"),
        [
            ({"jsonrpc": "1.0", "method": "get.account", "params": {}}, "jsonrpc"),
            ({"method": 5, "params": {}}, "method"),
            ({"method": "get.account", "params": [1]}, "params"),
        ],
    )
    async def test_bad_envelope__is_an_invalid_request(
        self, data: Rpc, members: dict[str, object], field: str
    ) -> None:
        _, doc = await data.raw(_envelope(**members))
        assert doc["id"] == 1
        assert doc["error"]["code"] == -32600
        assert doc["error"]["data"] == {
            "mnemonic": "invalid_request",
            "field": field,
            "value": doc["error"]["data"]["value"],
        }

    async def test_unknown_method__is_method_not_found(self, data: Rpc) -> None:
        error = await data.error("get.nothing")
        assert error["code"] == -32601
        assert error["data"]["mnemonic"] == "method_not_found"

    @pytest.mark.parametrize("rpc_id", [7, "abc-1"])
    async def test_id__is_echoed_as_sent(
        self, data: Rpc, state: ServerState, rpc_id: object
    ) -> None:
        token = state.credentials.uis_access_token
        body = orjson.dumps(
            {
                "jsonrpc": "2.0",
                "id": rpc_id,
                "method": "get.account",
                "params": {"access_token": token},
            }
        )
        _, doc = await data.raw(body, headers={"Content-Type": "application/json; charset=UTF-8"})
        assert doc["id"] == rpc_id
        assert doc["result"]["data"][0]["timezone"] == "Europe/Moscow"

    async def test_reply__is_utf8_json(self, data: Rpc) -> None:
        resp = await data.client.post(data.path, data=_envelope(method="get.account", params={}))
        assert resp.headers["Content-Type"] == "application/json; charset=utf-8"

    async def test_error_status__is_configurable(self, data: Rpc, state: ServerState) -> None:
        state.options["uis"] = UisOptions(error_http_status=400)
        status, doc = await data.raw(b"nope")
        assert status == 400
        assert doc["error"]["code"] == -32700

    async def test_oversized_body__is_refused_in_the_rpc_shape(self, data: Rpc) -> None:
        status, doc = await data.raw(io.BytesIO(b" " * (5 * 1024 * 1024)))
        assert status == 413
        assert doc["error"]["code"] == -32600
        assert doc["error"]["data"]["mnemonic"] == "invalid_request"


class TestParams:
    async def test_unknown_param__is_unexpected_parameters_naming_it(self, data: Rpc) -> None:
        error = await data.error("get.account", colour="red")
        assert error["code"] == -32602
        assert error["data"]["mnemonic"] == "unexpected_parameters"
        assert error["data"]["field"] == "colour"

    async def test_missing_required__names_the_field(self, data: Rpc) -> None:
        error = await data.error("get.calls_report", date_from="2026-05-13 00:00:00")
        assert error["data"]["mnemonic"] == "required_parameter_missed"
        assert error["data"]["field"] == "date_till"
        assert "limits" in error["data"]["metadata"]  # metadata rides along in errors too

    async def test_wrong_type__is_data_type_error(self, data: Rpc) -> None:
        error = await data.error("get.calls_report", **YESTERDAY, limit="10")
        assert error["data"]["mnemonic"] == "data_type_error"
        assert error["data"]["field"] == "limit"
        assert error["data"]["value"] == "10"

    async def test_limit_over_max__is_invalid_parameter_value(self, data: Rpc) -> None:
        error = await data.error("get.calls_report", **YESTERDAY, limit=10_001)
        assert error["data"]["mnemonic"] == "invalid_parameter_value"
        assert error["data"]["field"] == "limit"


class TestAuth:
    async def test_missing_token__is_required_parameter_missed(self, data: Rpc) -> None:
        error = await data.error("get.account", auth=False)
        assert error["data"] == {"mnemonic": "required_parameter_missed", "field": "access_token"}

    async def test_unknown_token__is_access_token_invalid(self, data: Rpc) -> None:
        error = await data.error("get.account", access_token="nope")
        assert error["code"] == -32001
        assert error["data"]["mnemonic"] == "access_token_invalid"

    async def test_login__gives_a_session_key_for_an_hour(
        self, data: Rpc, state: ServerState
    ) -> None:
        creds = state.credentials
        result = await data.ok(
            "login.user", auth=False, login=creds.uis_login, password=creds.uis_password
        )
        session = result["data"]
        assert session["expire_at"] == state.world.now() + 3600
        assert session["app_id"] == state.world.account.app_id
        assert "result" in await data("get.account", access_token=session["access_token"])

    async def test_session__expires_after_an_hour_of_virtual_time(
        self, data: Rpc, state: ServerState
    ) -> None:
        creds = state.credentials
        result = await data.ok(
            "login.user", auth=False, login=creds.uis_login, password=creds.uis_password
        )
        state.world.clock.advance(3600)
        error = await data.error("get.account", access_token=result["data"]["access_token"])
        assert error["code"] == -32001
        assert "result" in await data("get.account")  # the static key never expires

    async def test_wrong_password__is_auth_error(self, data: Rpc, state: ServerState) -> None:
        error = await data.error(
            "login.user", auth=False, login=state.credentials.uis_login, password="x"
        )
        assert (error["code"], error["data"]["mnemonic"]) == (-32001, "auth_error")

    async def test_logout__invalidates_the_session(self, data: Rpc, state: ServerState) -> None:
        creds = state.credentials
        token = (
            await data.ok(
                "login.user", auth=False, login=creds.uis_login, password=creds.uis_password
            )
        )["data"]["access_token"]
        assert (await data.ok("logout.user", access_token=token))["data"] == {}
        error = await data.error("get.account", access_token=token)
        assert error["data"]["mnemonic"] == "access_token_invalid"

    async def test_expire_key__is_configurable(self, data: Rpc, state: ServerState) -> None:
        state.options["uis"] = UisOptions(login_expire_key="both")
        creds = state.credentials
        session = (
            await data.ok(
                "login.user", auth=False, login=creds.uis_login, password=creds.uis_password
            )
        )["data"]
        assert session["expire"] == session["expire_at"]


class TestLimits:
    async def test_success__costs_one_point(self, data: Rpc) -> None:
        first = (await data.ok("get.account"))["metadata"]["limits"]
        second = (await data.ok("get.account"))["metadata"]["limits"]
        assert first["day_limit"] == 50_000
        assert first["minute_limit"] == 250
        assert second["day_remaining"] == first["day_remaining"] - 1
        assert second["minute_remaining"] == first["minute_remaining"] - 1

    async def test_error__costs_nothing(self, data: Rpc) -> None:
        before = (await data.ok("get.account"))["metadata"]["limits"]["day_remaining"]
        await data.error("get.calls_report", date_from="bad", date_till="bad")
        after = (await data.ok("get.account"))["metadata"]["limits"]["day_remaining"]
        assert after == before - 1

    async def test_spent_minute__is_limit_exceeded_until_the_next_minute(
        self, data: Rpc, state: ServerState
    ) -> None:
        state.options["uis"] = UisOptions(minute_limit=2)
        await data.ok("get.account")
        await data.ok("get.account")
        error = await data.error("get.account")
        assert error["code"] == -32029
        assert error["data"]["mnemonic"] == "limit_exceeded"
        assert error["message"] == (
            "Limit per minute has been exceeded. Value of current limit per minute is 2"
        )
        state.world.clock.advance(60)
        assert "result" in await data("get.account")

    async def test_spent_day__is_limit_exceeded(self, data: Rpc, state: ServerState) -> None:
        state.options["uis"] = UisOptions(day_limit=1)
        await data.ok("get.account")
        error = await data.error("get.account")
        assert error["data"]["params"] == {"limit_type": "day", "limit_max_value": 1}


class TestJournal:
    async def test_request__is_journaled_without_secrets(
        self, data: Rpc, state: ServerState
    ) -> None:
        await data.ok("get.calls_report", **YESTERDAY, limit=1)
        await data.error("get.nothing")
        entries = list(state.journal.entries(face="uis"))
        assert [e.method for e in entries] == ["get.calls_report", "get.nothing"]
        assert entries[0].params == {**YESTERDAY, "limit": 1}
        assert entries[1].error == "method_not_found"
