"""Requests shaped exactly like public third-party Mango clients send them.

Each test reproduces one client's wire form (path spelling, trailing slash,
JSON separators and key order, quoted numbers, header) so that a change in
the mock that would break such a client fails here first.
"""

from __future__ import annotations

import json
from datetime import datetime

from mockpbx.providers.mango.ids import mango_call_id
from mockpbx.providers.mango.options import MangoOptions

from .conftest import MangoClient, Receiver
from .test_events import hook, place_incoming

FORM = {"Content-type": "application/x-www-form-urlencoded"}


def compact(params: dict[str, object], *, sort_keys: bool = False) -> str:
    """`json.dumps` with the compact separators most Python clients sign over."""
    return json.dumps(params, separators=(",", ":"), sort_keys=sort_keys)


class TestSms:
    """commands/sms as Python-Mango-Office-API sends it (`command_id` "base" last but one)."""

    async def test_sms__from_an_employee_is_accepted(
        self, mango: MangoClient, receiver: Receiver
    ) -> None:
        await hook(mango, receiver)
        ext = mango.state.world.employees[0].extension
        text = compact(
            {"text": "Test API", "from_extension": ext, "to_number": "79999999999"}
            | {"command_id": "base"}
        )
        resp = await mango.post("commands/sms", text, headers=FORM)
        assert resp.status == 200
        assert await resp.json() == {"result": 1000}
        await receiver.wait_for(lambda: bool(receiver.of("events/sms")))
        assert receiver.of("result/sms") == [{"command_id": "base", "result": "1000"}]
        event = receiver.of("events/sms")[0]
        assert event["command_id"] == "base"
        assert event["reason"] == 1000

    async def test_sms__unknown_extension_is_3100(self, mango: MangoClient) -> None:
        params = {"command_id": "s", "text": "x", "from_extension": "999", "to_number": "7999"}
        assert (await mango.json("commands/sms", params))["result"] == 3100

    async def test_sms__to_a_short_number_is_3100(self, mango: MangoClient) -> None:
        emps = mango.state.world.employees
        params = {"text": "x", "from_extension": emps[0].extension, "to_number": emps[1].extension}
        assert (await mango.json("commands/sms", params))["result"] == 3100

    async def test_sms__without_from_extension_is_3103(self, mango: MangoClient) -> None:
        assert (await mango.json("commands/sms", {"to_number": "7999"}))["result"] == 3103


class TestPlayStart:
    """commands/play/start with `internal_id` as a quoted number, as the wrapper sends it."""

    async def test_play__to_a_call_in_the_menu(self, mango: MangoClient) -> None:
        call = place_incoming(mango.state.world, delay=1)
        mango.advance(2)
        params = {
            "command_id": "base",
            "call_id": mango_call_id(call.legs[0].id),
            "internal_id": "1000237176",
        }
        resp = await mango.post("commands/play/start", compact(params), headers=FORM)
        assert await resp.json() == {"result": 1000}

    async def test_play__to_a_talking_leg_is_4100(self, mango: MangoClient) -> None:
        call = place_incoming(mango.state.world, delay=1)
        mango.advance(20)  # 5 s menu + 8 s ring: the employee leg is talking
        params = {"call_id": mango_call_id(call.legs[1].id), "after_play_time": 20}
        assert (await mango.json("commands/play/start", params))["result"] == 4100

    async def test_play__to_an_unknown_call_is_4101(self, mango: MangoClient) -> None:
        params = {"command_id": "base", "call_id": "MToxMDA1NzU5MzoyNDE6NjQzNDY5OTYwOjE="}
        assert (await mango.json("commands/play/start", params))["result"] == 4101


class TestStatsCallsPaging:
    """stats/calls as a pandas-based client pages it: sorted keys, strings, trailing slashes."""

    async def test_trailing_slash_and_sorted_keys__page_by_offset(self, mango: MangoClient) -> None:
        mango.state.options["mango"] = MangoOptions(rate_limits=False)  # 1 request per 2 s
        now = mango.state.world.now()
        tz = mango.state.world.tz
        fmt = "%d.%m.%Y %H:%M:%S"
        params = {
            "start_date": datetime.fromtimestamp(now - 5 * 86400, tz).strftime(fmt),
            "end_date": datetime.fromtimestamp(now, tz).strftime(fmt),
            "context_type": [1],
            "limit": "5",
            "offset": "0",
        }
        seen: list[str] = []
        for offset in ("0", "5"):
            text = compact(params | {"offset": offset}, sort_keys=True)
            reply = await (await mango.post("stats/calls/request/", text)).json()
            key = reply["key"]
            result = await (await mango.post("stats/calls/result/", compact({"key": key}))).json()
            assert result["result"] == 1000
            assert result["status"] == "complete"
            seen += [c["entry_id"] for day in result["data"] for c in day["list"]]
        assert len(seen) == 10
        assert len(set(seen)) == 10
