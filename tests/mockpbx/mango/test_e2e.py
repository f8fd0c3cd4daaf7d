"""End to end over real TCP: a mockpbx server, a signed-post client and an integrator receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from mockpbx.providers.mango.signing import sign
from mockpbx.testing import MockPBXServer

from .conftest import Receiver


@pytest.fixture
async def tcp_receiver(mockpbx: MockPBXServer) -> AsyncIterator[Receiver]:
    creds = mockpbx.credentials["mango"]
    rec = Receiver(creds["api_key"], creds["api_salt"])
    app = web.Application()
    app.router.add_post("/hook/{path:.+}", rec.handle)
    server = TestServer(app)
    await server.start_server()
    rec.url = str(server.make_url("/hook/"))
    yield rec
    await server.close()


async def _post(
    session: aiohttp.ClientSession, pbx: MockPBXServer, method: str, params: Any
) -> Any:
    creds = pbx.credentials["mango"]
    text = orjson.dumps(params).decode()
    form = {
        "vpbx_api_key": creds["api_key"],
        "sign": sign(creds["api_key"], text, creds["api_salt"]),
        "json": text,
    }
    async with session.post(creds["url"] + method, data=form) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json() if resp.content_type == "application/json" else await resp.text()


async def test_callback__events_reach_the_integrator_over_tcp(
    mockpbx: MockPBXServer, tcp_receiver: Receiver
) -> None:
    mockpbx.call(lambda s: s.world.meta.update(callback={"contact_answer_rate": 1.0}))
    async with aiohttp.ClientSession() as session:
        resp = await session.post(
            f"{mockpbx.url}/_mockpbx/mango/webhook", json={"url": tcp_receiver.url}
        )
        assert resp.status == 200
        users = await _post(session, mockpbx, "config/users/request", {})
        ext = users["users"][0]["telephony"]["extension"]
        params = {"command_id": "e2e-1", "from": {"extension": ext}, "to_number": "79035550100"}
        assert (await _post(session, mockpbx, "commands/callback", params))["result"] == 1000
        await tcp_receiver.wait_for(lambda: bool(tcp_receiver.of("result/callback")))
        mockpbx.clock.advance(3600)
        await tcp_receiver.wait_for(
            lambda: any(
                e.get("to", {}).get("number") == "79035550100"
                for e in tcp_receiver.of("events/summary")
            ),
            seconds=10,
        )
    mine = [e for e in tcp_receiver.of("events/call") if e.get("command_id") == "e2e-1"]
    assert {e["call_state"] for e in mine} >= {"Appeared", "Connected", "Disconnected"}
    assert tcp_receiver.bad == []
    mockpbx.journal.assert_called(face="mango", method="commands/callback", times=1)
    assert any(e.direction == "out" for e in mockpbx.journal.entries(face="mango"))


async def test_stats__csv_over_tcp(mockpbx: MockPBXServer) -> None:
    now = int(mockpbx.clock.now().timestamp())
    async with aiohttp.ClientSession() as session:
        key = (
            await _post(
                session, mockpbx, "stats/request", {"date_from": now - 86400, "date_to": now}
            )
        )["key"]
        body = await _post(session, mockpbx, "stats/result", {"key": key})
    rows = [r.split(";") for r in body.split("\n") if r]
    assert rows
    assert all(len(r) == 11 for r in rows)
