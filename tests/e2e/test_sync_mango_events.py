"""Mango's live calls end to end: the mock posts signed events over TCP to the adapter's
receiver, and the live board shows exactly the calls that are live in the world."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import httpx
import pytest

from adapter.providers.mango_events import LiveBoard, run_receiver
from mockpbx.testing import MockPBXServer

pytestmark = pytest.mark.slow

LIVE_STATES = {"appeared", "ringing", "talking"}


async def live_truth(http: httpx.AsyncClient, pbx: MockPBXServer, since: datetime) -> set[str]:
    """Calls live now that started after `since` (Mango sends no events from before the
    webhook was set, so earlier calls are unknown to the integrator)."""
    body = (await http.get(f"{pbx.url}/_mockpbx/truth/calls?from={since.date()}")).json()
    return {
        c["ids"]["mango"]["entry_id"]
        for c in body["calls"]
        if c["state"] in LIVE_STATES and datetime.fromisoformat(c["start"]) >= since
    }


async def settled(board: LiveBoard, want: set[str], seconds: float = 15.0) -> set[str]:
    """The board's live entries once they match `want`, or after `seconds` of real time."""
    deadline = time.monotonic() + seconds
    while True:
        got = {c.provider_call_id for c in board.live_calls()}
        if got == want or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.05)


async def test_signed_events__rebuild_the_live_calls(mockpbx: MockPBXServer) -> None:
    creds = mockpbx.credentials["mango"]
    board = LiveBoard("Europe/Moscow")
    async with (
        run_receiver(board, creds["api_key"], creds["api_salt"]) as url,
        httpx.AsyncClient(timeout=10) as http,
    ):
        response = await http.post(f"{mockpbx.url}/_mockpbx/mango/webhook", json={"url": url + "/"})
        assert response.status_code == 200, response.text
        since = mockpbx.clock.now()
        checked = 0
        for _ in range(20):
            await http.post(f"{mockpbx.url}/_mockpbx/clock", json={"advance_seconds": 120})
            want = await live_truth(http, mockpbx, since)
            assert await settled(board, want) == want
            checked += bool(want)
        assert checked >= 3, "the clinic had calls in progress at several moments"
        assert board.events_seen > 0
