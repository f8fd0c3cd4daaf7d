"""The dispatch every face shares (providers/base.py): the same steps, each face's wire error."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from mockpbx.core.errors import CallNotFound
from mockpbx.providers.mango import routes as mango_routes
from mockpbx.providers.mango.context import Ctx
from mockpbx.providers.mango.signing import sign
from mockpbx.state import ProviderErrorFault, ServerState


class _Raising:
    """A fault hook (not the FaultRegistry) that raises without marking the request."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    async def intercept(
        self, request: web.Request, face: str, method: str
    ) -> web.StreamResponse | None:
        self.seen.append((face, method))
        raise ProviderErrorFault(message="scripted")


async def _call(client: TestClient, state: ServerState, face: str) -> Any:  # type: ignore[type-arg]
    """One request of `face`'s first method a client would call."""
    if face == "uis":
        body = {"jsonrpc": "2.0", "id": 7, "method": "get.account",
                "params": {"access_token": state.credentials.uis_access_token}}  # fmt: skip
        return await client.post("/uis/dataapi/v2.0", json=body)
    if face == "mango":
        return await client.post("/mango/vpbx/account/balance", data={"json": "{}"})
    return await client.get("/clinic/v1/GetOngoingCalls")


# face -> (method the journal names, HTTP status, the journal's error)
INJECTED = {
    "uis": ("get.account", 200, "internal_error"),
    "mango": ("account/balance", 200, "5000: scripted"),
    "clinic": ("GetOngoingCalls", 503, "scripted"),
}


@pytest.mark.parametrize("face", sorted(INJECTED))
async def test_injected_fault__is_the_faces_error_and_marked_in_the_journal(
    client: TestClient,  # type: ignore[type-arg]
    state: ServerState,
    face: str,
) -> None:
    """A hook's InjectedFault becomes the face's wire error; the journal names the fault
    kind even when the hook did not mark it."""
    hook = _Raising()
    state.faults = hook
    method, status, error = INJECTED[face]
    response = await _call(client, state, face)
    assert response.status == status
    assert hook.seen == [(face, method)]
    entry = next(state.journal.entries(face=face))
    assert (entry.method, entry.fault, entry.error) == (method, "provider_error", error)


async def test_mango_world_error__is_a_result_code(
    client: TestClient,  # type: ignore[type-arg]
    state: ServerState,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A world error no Mango handler translated answers its result code, not a 500."""

    async def gone(ctx: Ctx) -> web.StreamResponse:
        raise CallNotFound("leg ended")

    monkeypatch.setitem(mango_routes.METHODS, "account/balance", gone)
    creds = state.credentials
    form = {"vpbx_api_key": creds.mango_api_key, "json": "{}"}
    form["sign"] = sign(creds.mango_api_key, "{}", creds.mango_api_salt)
    response = await client.post("/mango/vpbx/account/balance", data=form)
    assert response.status == 200
    assert (await response.json())["result"] == 4101
    assert next(state.journal.entries(face="mango")).error == "4101: leg ended"
    assert state.server_errors == []
