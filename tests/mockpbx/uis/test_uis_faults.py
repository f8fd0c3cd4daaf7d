"""The fault hook as the UIS face honours it: replies in the JSON-RPC shape, duplicate rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from mockpbx import keys
from mockpbx.state import ProviderErrorFault, ServerState, TokenExpiredFault

if TYPE_CHECKING:
    from tests.mockpbx.uis.conftest import Rpc

YESTERDAY = {"date_from": "2026-05-13 00:00:00", "date_till": "2026-05-13 23:59:59"}


class _Hook:
    """A fault hook that does one scripted thing for one method."""

    def __init__(self, method: str, action: Any) -> None:
        self.method = method
        self.action = action
        self.seen: list[tuple[str, str]] = []

    async def intercept(
        self, request: web.Request, face: str, method: str
    ) -> web.StreamResponse | None:
        self.seen.append((face, method))
        if method != self.method:
            return None
        if isinstance(self.action, Exception):
            raise self.action
        if isinstance(self.action, int):
            request[keys.FAULT_DUPLICATE_ROWS] = _Shift(self.action)
            return None
        response: web.StreamResponse = self.action
        return response


class _Shift:
    """A page shift of `n` rows (what the registry's duplicate_rows fault hands the face)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def start(self, offset: int, limit: int, listing: str) -> int:
        return max(offset - self.n, 0)


async def test_hook__sees_face_and_method(data: Rpc, state: ServerState) -> None:
    hook = state.faults = _Hook("none", None)
    await data.ok("get.account")
    assert hook.seen == [("uis", "get.account")]


async def test_provider_error__is_internal_error_by_default(data: Rpc, state: ServerState) -> None:
    state.faults = _Hook("get.account", ProviderErrorFault())
    error = await data.error("get.account")
    assert error["code"] == -32603
    assert error["data"]["mnemonic"] == "internal_error"
    entry = next(state.journal.entries(face="uis"))
    assert entry.fault == "provider_error"


async def test_provider_error__with_code_and_message(data: Rpc, state: ServerState) -> None:
    state.faults = _Hook("get.account", ProviderErrorFault(-32029, "slow down"))
    error = await data.error("get.account")
    assert (error["code"], error["message"]) == (-32029, "slow down")
    assert error["data"]["mnemonic"] == "limit_exceeded"


async def test_token_expired__is_access_token_expired(data: Rpc, state: ServerState) -> None:
    state.faults = _Hook("get.calls_report", TokenExpiredFault())
    error = await data.error("get.calls_report", **YESTERDAY)
    assert (error["code"], error["data"]["mnemonic"]) == (-32001, "access_token_expired")


async def test_returned_response__is_sent_as_is(data: Rpc, state: ServerState) -> None:
    state.faults = _Hook("get.account", web.Response(status=503, text="busy"))
    resp = await data.client.post(
        data.path,
        json={"jsonrpc": "2.0", "id": 1, "method": "get.account", "params": {}},
    )
    assert resp.status == 503
    assert await resp.text() == "busy"


async def test_duplicate_rows__repeat_the_previous_pages_tail_and_lose_nothing(
    data: Rpc, state: ServerState
) -> None:
    plain = await data.ok("get.calls_report", **YESTERDAY, fields=["id"], limit=5, offset=5)
    state.faults = _Hook("get.calls_report", 2)
    shifted = await data.ok("get.calls_report", **YESTERDAY, fields=["id"], limit=5, offset=5)
    everything = await data.ok("get.calls_report", **YESTERDAY, fields=["id"], limit=10)
    ids = [row["id"] for row in everything["data"]]
    assert [row["id"] for row in plain["data"]] == ids[5:10]
    assert [row["id"] for row in shifted["data"]] == ids[3:8]  # shifted, never over limit
