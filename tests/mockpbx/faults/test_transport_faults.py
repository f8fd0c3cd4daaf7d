"""Faults that need a real socket (reset, truncate, hang, latency), over TCP."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from mockpbx.testing import MockPBXServer


def _report_body(pbx: MockPBXServer) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "get.calls_report",
        "params": {
            "access_token": pbx.credentials["uis"]["access_token"],
            "date_from": "2026-05-13 00:00:00",
            "date_till": "2026-05-14 00:00:00",
        },
    }


async def _post_fault(session: aiohttp.ClientSession, pbx: MockPBXServer, **fault: Any) -> None:
    async with session.post(f"{pbx.url}/_mockpbx/faults", json=fault) as resp:
        assert resp.status == 201, await resp.text()


async def _report(session: aiohttp.ClientSession, pbx: MockPBXServer) -> tuple[int, bytes]:
    url = pbx.credentials["uis"]["data_api_url"]
    async with session.post(url, json=_report_body(pbx)) as resp:
        return resp.status, await resp.read()


async def test_reset__drops_the_connection(mockpbx: MockPBXServer) -> None:
    async with aiohttp.ClientSession() as session:
        await _post_fault(session, mockpbx, face="uis", kind="reset", count=1)
        with pytest.raises(aiohttp.ClientError):
            await _report(session, mockpbx)
        status, _ = await _report(session, mockpbx)
        assert status == 200


async def test_truncate__sends_a_body_shorter_than_announced(mockpbx: MockPBXServer) -> None:
    async with aiohttp.ClientSession() as session:
        await _post_fault(session, mockpbx, face="uis", kind="truncate", count=1)
        with pytest.raises(aiohttp.ClientPayloadError):
            await _report(session, mockpbx)
        status, body = await _report(session, mockpbx)
        assert status == 200
        assert "result" in json.loads(body)


async def test_truncate__keep_bytes_cuts_exactly_there(mockpbx: MockPBXServer) -> None:
    """The client receives exactly `keep_bytes` of the announced body before the cut."""
    reader, writer = await asyncio.open_connection(mockpbx.host, mockpbx.port)
    async with aiohttp.ClientSession() as session:
        await _post_fault(session, mockpbx, face="uis", kind="truncate", keep_bytes=10)
    payload = json.dumps(_report_body(mockpbx)).encode()
    writer.write(
        b"POST /uis/dataapi/v2.0 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(payload)}\r\n\r\n".encode()
        + payload
    )
    raw = await reader.read()  # until the server closes
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"Content-Length" in head
    assert len(body) == 10


async def test_latency__delays_one_request_without_blocking_another(
    mockpbx: MockPBXServer,
) -> None:
    async with aiohttp.ClientSession() as session:
        await _post_fault(session, mockpbx, face="uis", kind="latency", seconds=0.6, count=1)
        finished: list[str] = []

        async def run(name: str, delay: float) -> None:
            await asyncio.sleep(delay)
            await _report(session, mockpbx)
            finished.append(name)

        await asyncio.gather(run("slow", 0), run("fast", 0.1))
        assert finished == ["fast", "slow"]


async def test_hang__keeps_the_client_waiting_until_it_gives_up(mockpbx: MockPBXServer) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.5)) as session:
        await _post_fault(session, mockpbx, face="uis", kind="hang", seconds=60, count=1)
        with pytest.raises(asyncio.TimeoutError):
            await _report(session, mockpbx)
        async with session.delete(f"{mockpbx.url}/_mockpbx/faults") as resp:
            assert resp.status == 200  # releases the hanging handler
        status, _ = await _report(session, mockpbx)
        assert status == 200
