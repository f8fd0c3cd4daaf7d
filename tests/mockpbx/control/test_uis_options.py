"""/_mockpbx/uis/options: the UIS face's documented contradictions, switchable over HTTP."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from mockpbx.state import ServerState


async def test_post__changes_only_the_given_options(client: TestClient, state: ServerState) -> None:  # type: ignore[type-arg]
    before = await (await client.get("/_mockpbx/uis/options")).json()
    resp = await client.post("/_mockpbx/uis/options", json={"minute_limit": 5})
    after = await resp.json()
    assert resp.status == 200
    assert after == {**before, "minute_limit": 5}
    body = {"jsonrpc": "2.0", "id": 1, "method": "get.account",
            "params": {"access_token": state.credentials.uis_access_token}}  # fmt: skip
    reply = await (await client.post("/uis/dataapi/v2.0", json=body)).json()
    assert reply["result"]["metadata"]["limits"]["minute_limit"] == 5


async def test_post__refuses_unknown_options_and_bad_values(client: TestClient) -> None:  # type: ignore[type-arg]
    unknown = await client.post("/_mockpbx/uis/options", json={"minute_limt": 5})
    assert unknown.status == 400
    assert (await unknown.json())["field"] == "minute_limt"
    bad = await client.post("/_mockpbx/uis/options", json={"interval_limit": "a year"})
    assert bad.status == 400
