"""Helpers shared by the UIS face tests (importable: the test dir is on sys.path)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

DATA = "/uis/dataapi/v2.0"
CALL = "/uis/callapi/v4.0"
YESTERDAY = {"date_from": "2026-05-13 00:00:00", "date_till": "2026-05-13 23:59:59"}


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
