"""Fixtures for the UIS face: the app through aiohttp's test client, and JSON-RPC helpers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from mockpbx.app import create_app, create_state
from mockpbx.state import ServerState
from mockpbx.testing import DEFAULT_START

ClientFactory = Callable[..., Awaitable[TestClient]]  # type: ignore[type-arg]

DATA = "/uis/dataapi/v2.0"
CALL = "/uis/callapi/v4.0"


class Rpc:
    """Posts JSON-RPC requests to one UIS API and returns (HTTP status, body)."""

    def __init__(self, client: TestClient, path: str, token: str) -> None:  # type: ignore[type-arg]
        self.client = client
        self.path = path
        self.token = token

    async def raw(self, body: Any, **kwargs: Any) -> tuple[int, Any]:
        resp = await self.client.post(self.path, data=body, **kwargs)
        return resp.status, await resp.json(content_type=None)

    async def __call__(self, method: str, *, auth: bool = True, **params: Any) -> dict[str, Any]:
        if auth and "access_token" not in params:
            params["access_token"] = self.token
        body = {"jsonrpc": "2.0", "id": "req1", "method": method, "params": params}
        resp = await self.client.post(self.path, json=body)
        assert resp.status == 200, await resp.text()
        doc: dict[str, Any] = await resp.json()
        assert doc["jsonrpc"] == "2.0"
        assert doc["id"] == "req1"
        return doc

    async def ok(self, method: str, **params: Any) -> Any:
        doc = await self(method, **params)
        assert "result" in doc, doc
        return doc["result"]

    async def error(self, method: str, **params: Any) -> dict[str, Any]:
        doc = await self(method, **params)
        assert "error" in doc, doc
        error: dict[str, Any] = doc["error"]
        return error


@pytest.fixture
def state() -> ServerState:
    return create_state(seed=1, start=DEFAULT_START, rate=0)


@pytest.fixture
async def client(aiohttp_client: ClientFactory, state: ServerState) -> TestClient:  # type: ignore[type-arg]
    return await aiohttp_client(create_app(state))


@pytest.fixture
def data(client: TestClient, state: ServerState) -> Rpc:  # type: ignore[type-arg]
    return Rpc(client, DATA, state.credentials.uis_access_token)


@pytest.fixture
def call(client: TestClient, state: ServerState) -> Rpc:  # type: ignore[type-arg]
    return Rpc(client, CALL, state.credentials.uis_access_token)
