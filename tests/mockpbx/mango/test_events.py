"""Signed events posted to a real aiohttp receiver, following Mango's documented sequences."""

from __future__ import annotations

import asyncio
from typing import Any

from mockpbx.core.calls import build_incoming
from mockpbx.core.model import Call
from mockpbx.core.world import World
from mockpbx.providers.mango.ids import mango_call_id, mango_entry_id, mango_recording_id
from mockpbx.providers.mango.options import MangoOptions

from .conftest import MangoClient, Receiver, sent, until


def place_incoming(world: World, *, answered: bool = True, delay: int = 5) -> Call:
    """An incoming call starting `delay` s from now: 5 s menu, 8 s ring, 60 s talk."""
    targets = [world.find_target(e.id) for e in world.employees[:2]]
    call = build_incoming(
        world.next_call_id(),
        start=world.now() + delay,
        contact="79161112233",
        virtual_number=world.numbers[0].number,
        targets=targets,
        answered_by=0 if answered else None,
        answer_delay=8,
        talk=60,
        ivr_seconds=5,
        patience=30,
    )
    return world.add_call(call)


async def hook(mango: MangoClient, receiver: Receiver) -> None:
    resp = await mango.http.post("/_mockpbx/mango/webhook", json={"url": receiver.url})
    assert resp.status == 200


def of_entry(receiver: Receiver, path: str, call: Call) -> list[dict[str, Any]]:
    entry = mango_entry_id(call.id)
    return [p for p in receiver.of(path) if p.get("entry_id") == entry]


def calls_by_leg(receiver: Receiver, call: Call) -> dict[str, list[dict[str, Any]]]:
    legs: dict[str, list[dict[str, Any]]] = {}
    for event in of_entry(receiver, "events/call", call):
        legs.setdefault(event["call_id"], []).append(event)
    return {k: sorted(v, key=lambda e: e["seq"]) for k, v in legs.items()}


async def finish(mango: MangoClient, receiver: Receiver, call: Call, path: str) -> None:
    mango.advance(max(call.end_ts - mango.state.world.now(), 0) + 30)
    await receiver.wait_for(lambda: bool(of_entry(receiver, path, call)))


class TestIncomingCall:
    async def test_sequence__ivr_then_employee(
        self, mango: MangoClient, receiver: Receiver
    ) -> None:
        world = mango.state.world
        await hook(mango, receiver)
        call = place_incoming(world)
        await finish(mango, receiver, call, "events/record/added")
        legs = calls_by_leg(receiver, call)
        ivr = legs[mango_call_id(call.legs[0].id)]
        emp = legs[mango_call_id(call.legs[1].id)]
        line = world.numbers[0].number
        assert [(e["call_state"], e["location"]) for e in ivr] == [
            ("Appeared", "ivr"),
            ("Disconnected", "ivr"),
        ]
        assert ivr[0]["to"] == {"number": line, "line_number": line}
        assert ivr[1]["disconnect_reason"] == 1100
        assert [e["call_state"] for e in emp] == ["Appeared", "Connected", "Disconnected"]
        assert [e["seq"] for e in emp] == [1, 2, 3]
        assert emp[0]["from"] == {"number": "79161112233", "taken_from_call_id": ivr[0]["call_id"]}
        assert emp[0]["to"]["extension"] == world.employees[0].extension
        assert emp[0]["to"]["line_number"] == line
        assert emp[0]["to"]["number"].startswith("sip:")
        assert emp[0]["timestamp"] == call.start_ts + 5
        assert emp[1]["timestamp"] == call.answer_ts
        assert emp[2]["disconnect_reason"] in (1110, 1120)
        assert receiver.bad == []

    async def test_sequence__dtmf_summary_and_recording(
        self, mango: MangoClient, receiver: Receiver
    ) -> None:
        world = mango.state.world
        await hook(mango, receiver)
        call = place_incoming(world)
        await finish(mango, receiver, call, "events/record/added")
        (dtmf,) = of_entry(receiver, "events/dtmf", call)
        assert dtmf["location"] == "ivr"
        assert dtmf["call_id"] == mango_call_id(call.legs[0].id)
        (summary,) = of_entry(receiver, "events/summary", call)
        assert summary["call_direction"] == 1
        assert summary["entry_result"] == 1
        assert summary["to"]["extension"] == world.employees[0].extension
        assert (summary["create_time"], summary["talk_time"], summary["end_time"]) == (
            call.start_ts,
            call.answer_ts,
            call.end_ts,
        )
        recording = sorted(of_entry(receiver, "events/recording", call), key=lambda e: e["seq"])
        assert [e["recording_state"] for e in recording] == ["Started", "Completed"]
        assert recording[1]["completion_code"] == 1000
        (added,) = of_entry(receiver, "events/record/added", call)
        assert added["recording_id"] == mango_recording_id(call.id)
        assert added["user_id"] == world.employees[0].mango_user_id

    async def test_missed__legs_never_connect(self, mango: MangoClient, receiver: Receiver) -> None:
        await hook(mango, receiver)
        call = place_incoming(mango.state.world, answered=False)
        await finish(mango, receiver, call, "events/summary")
        for events in calls_by_leg(receiver, call).values():
            assert "Connected" not in [e["call_state"] for e in events]
            assert events[-1]["call_state"] == "Disconnected"
        (summary,) = of_entry(receiver, "events/summary", call)
        assert summary["entry_result"] == 0
        assert summary["talk_time"] == 0
        assert of_entry(receiver, "events/recording", call) == []

    async def test_history__is_not_flooded(self, mango: MangoClient, receiver: Receiver) -> None:
        """Calls that ended before the webhook was set produce no events."""
        world = mango.state.world
        before = place_incoming(world)
        mango.advance(before.end_ts - world.now() + 60)
        await hook(mango, receiver)
        after = place_incoming(world)
        await finish(mango, receiver, after, "events/summary")
        assert of_entry(receiver, "events/call", before) == []
        assert of_entry(receiver, "events/summary", before) == []


class TestCommandsAndEvents:
    async def test_callback__employee_leg_then_contact_leg(
        self, mango: MangoClient, receiver: Receiver
    ) -> None:
        world = mango.state.world
        world.meta["callback"] = {"employee_answer_rate": 1.0, "contact_answer_rate": 1.0}
        await hook(mango, receiver)
        emp = world.employees[1]
        params = {
            "command_id": "cbk-1",
            "from": {"extension": emp.extension},
            "to_number": "79035550000",
        }
        assert (await mango.json("commands/callback", params))["result"] == 1000
        await receiver.wait_for(lambda: bool(receiver.of("result/callback")))
        assert receiver.of("result/callback") == [{"command_id": "cbk-1", "result": "1000"}]
        call = world.live_calls()[-1]
        await finish(mango, receiver, call, "events/summary")
        leg1, leg2 = calls_by_leg(receiver, call).values()
        assert leg1[0]["to"]["extension"] == emp.extension
        assert leg1[0]["from"] == {"number": "79035550000"}
        assert leg1[-1]["disconnect_reason"] == 1000
        assert leg2[0]["from"]["extension"] == emp.extension
        assert leg2[0]["from"]["taken_from_call_id"] == leg1[0]["call_id"]
        assert leg2[0]["to"] == {"number": "79035550000"}
        assert all(e["command_id"] == "cbk-1" for e in leg1 + leg2)
        assert all(e["callback_initiator"] == "API" for e in leg1 + leg2)
        assert leg1[0]["timestamp"] < leg2[0]["timestamp"]

    async def test_transfer_hold__consultative_sequence(
        self, mango: MangoClient, receiver: Receiver
    ) -> None:
        world = mango.state.world
        mango.state.options["mango"] = MangoOptions(rate_limits=False)
        await hook(mango, receiver)
        call = place_incoming(world)
        mango.advance(call.answer_ts - world.now() + 10)  # in conversation
        old = mango_call_id(call.legs[1].id)
        initiator = world.employees[0].extension
        target = world.employees[2].extension
        params = {
            "command_id": "tr-1",
            "call_id": old,
            "method": "hold",
            "to_number": target,
            "initiator": initiator,
        }
        assert (await mango.json("commands/transfer", params))["result"] == 1000
        await finish(mango, receiver, call, "events/summary")
        legs = calls_by_leg(receiver, call)
        held = legs[old]
        assert [e["call_state"] for e in held] == [
            "Appeared",
            "Connected",
            "OnHold",
            "Disconnected",
        ]
        new = legs[mango_call_id(call.legs[-1].id)]
        states = [(e["call_state"], e.get("transfer")) for e in new]
        assert states == [
            ("Appeared", "consultative"),
            ("Connected", "consultative"),
            ("Connected", "blind"),
            ("Disconnected", "consultative"),
        ]
        assert new[0]["from"]["extension"] == initiator
        assert new[2]["from"] == {"number": "79161112233", "taken_from_call_id": old}
        assert new[0]["to"]["extension"] == target
        assert new[0]["command_id"] == "tr-1"
        assert "callback_initiator" not in new[0]
        assert receiver.of("result/transfer") == [{"command_id": "tr-1", "result": "1000"}]
        await receiver.wait_for(lambda: len(of_entry(receiver, "events/recording", call)) == 3)
        recording = sorted(of_entry(receiver, "events/recording", call), key=lambda e: e["seq"])
        assert [(e["recording_state"], e["call_id"]) for e in recording] == [
            ("Started", old),
            ("Continued", new[0]["call_id"]),
            ("Completed", new[0]["call_id"]),
        ]


class TestBlindTransfer:
    async def test_blind__old_leg_ends_new_leg_takes_the_contact(
        self, mango: MangoClient, receiver: Receiver
    ) -> None:
        world = mango.state.world
        await hook(mango, receiver)
        call = place_incoming(world)
        mango.advance(call.answer_ts - world.now() + 10)
        old = mango_call_id(call.legs[1].id)
        params = {
            "command_id": "tr-2",
            "call_id": old,
            "method": "blind",
            "to_number": world.employees[2].extension,
            "initiator": world.employees[0].extension,
        }
        assert (await mango.json("commands/transfer", params))["result"] == 1000
        await finish(mango, receiver, call, "events/summary")
        legs = calls_by_leg(receiver, call)
        held = legs[old]
        assert [e["call_state"] for e in held][-2:] == ["OnHold", "Disconnected"]
        assert held[-1]["disconnect_reason"] == 1120
        new = legs[mango_call_id(call.legs[-1].id)]
        assert [e["call_state"] for e in new] == ["Appeared", "Connected", "Disconnected"]
        assert {e["transfer"] for e in new} == {"blind"}
        assert new[0]["from"] == {"number": "79161112233", "taken_from_call_id": old}
        assert new[0]["timestamp"] == held[-1]["timestamp"]


class TestDelivery:
    async def test_every_attempt__is_journaled_out(
        self, mango: MangoClient, receiver: Receiver
    ) -> None:
        await hook(mango, receiver)
        call = place_incoming(mango.state.world)
        await finish(mango, receiver, call, "events/summary")
        await until(lambda: bool(sent(mango.state, "events/summary")))
        out = sent(mango.state)
        assert {e.method for e in out} >= {"events/call", "events/summary"}
        assert all(e.status == 200 for e in out)
        assert all(e.path.startswith(receiver.url) for e in out)

    async def test_drop__posts_nothing(self, mango: MangoClient, receiver: Receiver) -> None:
        await hook(mango, receiver)
        await mango.http.post("/_mockpbx/mango/delivery", json={"drop": 1.0})
        call = place_incoming(mango.state.world)
        mango.advance(call.end_ts - mango.state.world.now() + 30)
        await until(lambda: bool(sent(mango.state, "events/summary")))
        out = sent(mango.state)
        assert of_entry(receiver, "events/call", call) == []
        assert all(e.fault == "drop" and e.status == 0 for e in out)

    async def test_duplicate__posts_each_event_twice(
        self, mango: MangoClient, receiver: Receiver
    ) -> None:
        await hook(mango, receiver)
        await mango.http.post("/_mockpbx/mango/delivery", json={"duplicate": 1.0})
        call = place_incoming(mango.state.world)
        mango.advance(call.end_ts - mango.state.world.now() + 30)
        await receiver.wait_for(lambda: len(of_entry(receiver, "events/summary", call)) == 2)
        keys = [(e["call_id"], e["seq"]) for e in of_entry(receiver, "events/call", call)]
        assert len(keys) == 2 * len(set(keys))

    async def test_failing_receiver__is_retried(
        self, mango: MangoClient, receiver: Receiver
    ) -> None:
        mango.state.options["mango"] = MangoOptions(webhook_retries=1)
        receiver.status = 500
        await hook(mango, receiver)
        call = place_incoming(mango.state.world)
        await finish(mango, receiver, call, "events/summary")
        entry = mango_entry_id(call.id)

        def summaries() -> list[Any]:
            return [e for e in sent(mango.state, "events/summary") if e.params["entry_id"] == entry]

        await until(lambda: len(summaries()) == 2)
        assert [e.status for e in summaries()] == [500, 500]

    async def test_quoted_values__when_configured(
        self, mango: MangoClient, receiver: Receiver
    ) -> None:
        mango.state.options["mango"] = MangoOptions(events_quoted=True)
        await hook(mango, receiver)
        call = place_incoming(mango.state.world)
        await finish(mango, receiver, call, "events/summary")
        event = of_entry(receiver, "events/call", call)[0]
        assert isinstance(event["seq"], str)
        assert isinstance(event["timestamp"], str)

    async def test_stats_ready__posts_result_stat(
        self, mango: MangoClient, receiver: Receiver
    ) -> None:
        await hook(mango, receiver)
        now = mango.state.world.now()
        params = {"date_from": now - 86400, "date_to": now, "request_id": "r-7"}
        key = (await mango.json("stats/request", params))["key"]
        await receiver.wait_for(lambda: bool(receiver.of("result/stat")))
        assert receiver.of("result/stat") == [{"key": key, "request_id": "r-7"}]

    async def test_reorder__swaps_neighbours(self, mango: MangoClient, receiver: Receiver) -> None:
        mango.state.options["mango"] = MangoOptions(webhook_concurrency=1)
        await hook(mango, receiver)
        await mango.http.post("/_mockpbx/mango/delivery", json={"reorder": 1.0})
        call = place_incoming(mango.state.world)
        await finish(mango, receiver, call, "events/summary")
        await receiver.wait_for(lambda: bool(of_entry(receiver, "events/record/added", call)))
        entry = mango_entry_id(call.id)
        arrived = [
            (p.get("timestamp"), path) for path, p in receiver.posts if p.get("entry_id") == entry
        ]
        stamps = [ts for ts, _ in arrived if isinstance(ts, int)]
        assert stamps != sorted(stamps)  # neighbours swapped: e.g. the DTMF before the call
        assert {e.fault for e in sent(mango.state)} >= {"reorder"}

    async def test_delay__is_marked_in_the_journal(
        self, mango: MangoClient, receiver: Receiver
    ) -> None:
        await hook(mango, receiver)
        await mango.http.post("/_mockpbx/mango/delivery", json={"delay_seconds": 0.05})
        call = place_incoming(mango.state.world)
        await finish(mango, receiver, call, "events/summary")
        await until(lambda: bool(sent(mango.state, "events/summary")))
        assert {e.fault for e in sent(mango.state)} == {"delay"}

    async def test_slow_receiver__times_out_and_is_journaled(
        self, mango: MangoClient, receiver: Receiver
    ) -> None:
        mango.state.options["mango"] = MangoOptions(webhook_timeout=0.05)
        receiver.delay = 0.5
        await hook(mango, receiver)
        call = place_incoming(mango.state.world)
        mango.advance(call.start_ts - mango.state.world.now() + 1)  # only the first event
        await until(lambda: bool(sent(mango.state, "events/call")))
        (entry,) = sent(mango.state, "events/call")
        assert entry.status == 0
        assert (entry.error or "").startswith("TimeoutError")


class TestWebhookChanges:
    async def test_stats_ready_later__posts_result_stat_when_the_clock_gets_there(
        self, mango: MangoClient, receiver: Receiver
    ) -> None:
        mango.state.options["mango"] = MangoOptions(stats_ready_after=60)
        await hook(mango, receiver)
        now = mango.state.world.now()
        key = (await mango.json("stats/request", {"date_from": now - 3600, "date_to": now}))["key"]
        mango.advance(59)
        await asyncio.sleep(0.1)  # room for a wrong early post to arrive
        assert receiver.of("result/stat") == []
        mango.advance(1)
        await receiver.wait_for(lambda: bool(receiver.of("result/stat")))
        assert receiver.of("result/stat")[0]["key"] == key

    async def test_new_url__gets_events_from_the_change_on(
        self, mango: MangoClient, receiver: Receiver
    ) -> None:
        world = mango.state.world
        await mango.http.post("/_mockpbx/mango/webhook", json={"url": "http://127.0.0.1:9/dead/"})
        first = place_incoming(world)
        mango.advance(first.end_ts - world.now() + 30)
        await until(lambda: bool(sent(mango.state, "events/summary")))
        await hook(mango, receiver)
        second = place_incoming(world)
        await finish(mango, receiver, second, "events/summary")
        assert of_entry(receiver, "events/call", first) == []
        assert of_entry(receiver, "events/summary", second)
        dead = [e for e in sent(mango.state) if "/dead/" in e.path]
        assert dead
        assert all(e.status == 0 for e in dead)
