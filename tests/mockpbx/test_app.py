"""The root app's guard: internal errors never reach clients; client hang-ups are no error."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.test_utils import TestClient

from mockpbx.app import create_app
from mockpbx.state import ServerState


async def _client_with(
    aiohttp_client: Callable[..., Awaitable[TestClient]],  # type: ignore[type-arg]
    state: ServerState,
    exc: Exception,
) -> TestClient:  # type: ignore[type-arg]
    async def boom(request: web.Request) -> web.Response:
        raise exc

    app = create_app(state)
    app.router.add_get("/boom", boom)
    return await aiohttp_client(app)


async def test_internal_error__is_a_json_500_without_traceback_and_is_recorded(
    aiohttp_client: Callable[..., Awaitable[TestClient]],  # type: ignore[type-arg]
    state: ServerState,
) -> None:
    client = await _client_with(aiohttp_client, state, RuntimeError("secret detail"))
    resp = await client.get("/boom")
    assert resp.status == 500
    assert "secret detail" not in await resp.text()
    assert any("secret detail" in e for e in state.server_errors)


async def test_client_hang_up__is_not_recorded_as_a_server_error(
    aiohttp_client: Callable[..., Awaitable[TestClient]],  # type: ignore[type-arg]
    state: ServerState,
) -> None:
    client = await _client_with(aiohttp_client, state, ConnectionResetError("peer gone"))
    with contextlib.suppress(Exception):  # the connection may be dropped: that is the point
        await client.get("/boom")
    assert state.server_errors == []
