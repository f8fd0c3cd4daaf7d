"""commands/* over HTTP: synchronous reply, world effect, and the result/<command> post."""

from __future__ import annotations

from mockpbx.core.model import CallKind, LegRole
from mockpbx.providers.mango.ids import mango_call_id
from mockpbx.providers.mango.options import MangoOptions

from .conftest import MangoClient, Receiver
from .test_events import calls_by_leg, finish, hook, place_incoming


class TestCallback:
    async def test_callback__rings_the_employee_first(self, mango: MangoClient) -> None:
        world = mango.state.world
        emp = world.employees[0]
        line = world.numbers[0].number
        params = {
            "command_id": "c1",
            "from": {"extension": emp.extension, "number": ""},
            "to_number": "79035550001",
            "line_number": line,
            "sip_headers": {"Call-Info/answer-after": "0"},
        }
        body = await mango.json("commands/callback", params)
        call = world.live_calls()[-1]
        assert body == {"result": 1000}
        assert call.kind is CallKind.CALLBACK
        assert call.legs[0].role is LegRole.EMPLOYEE
        assert call.legs[0].employee_id == emp.id
        assert call.virtual_number == line
        assert call.contact_number == "79035550001"

    async def test_callback__unknown_extension_is_3330(self, mango: MangoClient) -> None:
        params = {"command_id": "c1", "from": {"extension": "999"}, "to_number": "7903"}
        assert (await mango.json("commands/callback", params))["result"] == 3330

    async def test_callback__unknown_line_is_3100(self, mango: MangoClient) -> None:
        ext = mango.state.world.employees[0].extension
        params = {"from": {"extension": ext}, "to_number": "7903", "line_number": "70000000000"}
        assert (await mango.json("commands/callback", params))["result"] == 3100

    async def test_callback__result_as_string_when_configured(self, mango: MangoClient) -> None:
        mango.state.options["mango"] = MangoOptions(result_as_string=True)
        ext = mango.state.world.employees[0].extension
        params = {"command_id": "c1", "from": {"extension": ext}, "to_number": "79035550002"}
        assert (await mango.json("commands/callback", params))["result"] == "1000"


class TestCallbackGroup:
    async def test_group_to_external__rings_the_group_first(self, mango: MangoClient) -> None:
        world = mango.state.world
        params = {"command_id": "g1", "from": "501", "to": "79035550003"}
        params["line_number"] = world.numbers[0].number
        assert (await mango.json("commands/callback_group", params))["result"] == 1000
        call = world.live_calls()[-1]
        assert call.legs[0].role is LegRole.EMPLOYEE

    async def test_external_to_group__dials_the_client_first(self, mango: MangoClient) -> None:
        world = mango.state.world
        params = {"command_id": "g2", "from": "79035550004", "to": "501"}
        params["line_number"] = world.numbers[0].number
        assert (await mango.json("commands/callback_group", params))["result"] == 1000
        call = world.live_calls()[-1]
        assert call.legs[0].role is LegRole.CONTACT
        assert call.contact_number == "79035550004"

    async def test_no_group__is_3100(self, mango: MangoClient) -> None:
        params = {"from": "7903", "to": "7904", "line_number": mango.state.world.numbers[0].number}
        assert (await mango.json("commands/callback_group", params))["result"] == 3100

    async def test_line_number__is_required(self, mango: MangoClient) -> None:
        assert (await mango.json("commands/callback_group", {"from": "501", "to": "7"}))[
            "result"
        ] == 3103


class TestHangup:
    async def test_hangup__of_a_talking_leg_ends_the_call(
        self, mango: MangoClient, receiver: Receiver
    ) -> None:
        world = mango.state.world
        await hook(mango, receiver)
        call = place_incoming(world)
        mango.advance(call.answer_ts - world.now() + 5)
        leg = mango_call_id(call.legs[1].id)
        body = await mango.json("commands/call/hangup", {"command_id": "h1", "call_id": leg})
        assert body["result"] == 1000
        assert call.end_ts == world.now()
        await receiver.wait_for(lambda: bool(receiver.of("result/call/hangup")))
        assert receiver.of("result/call/hangup") == [{"command_id": "h1", "result": "1000"}]
        await finish(mango, receiver, call, "events/summary")
        assert calls_by_leg(receiver, call)[leg][-1]["timestamp"] == call.end_ts

    async def test_hangup__of_an_ended_leg_is_4101(self, mango: MangoClient) -> None:
        world = mango.state.world
        call = place_incoming(world)
        mango.advance(call.end_ts - world.now() + 1)
        leg = mango_call_id(call.legs[1].id)
        body = await mango.json("commands/call/hangup", {"command_id": "h2", "call_id": leg})
        assert body["result"] == 4101

    async def test_hangup__of_an_unknown_id_is_4101(self, mango: MangoClient) -> None:
        body = await mango.json("commands/call/hangup", {"command_id": "h3", "call_id": "100500"})
        assert body["result"] == 4101


class TestRoute:
    async def test_route__from_the_menu_to_an_extension(self, mango: MangoClient) -> None:
        world = mango.state.world
        call = place_incoming(world)
        mango.advance(call.start_ts - world.now() + 2)
        target = world.employees[2]
        params = {
            "command_id": "r1",
            "call_id": mango_call_id(call.legs[0].id),
            "to_number": target.extension,
        }
        assert (await mango.json("commands/route", params))["result"] == 1000
        assert [lg.employee_id for lg in call.employee_legs()] == [target.id]

    async def test_route__intercepts_a_ringing_employee(self, mango: MangoClient) -> None:
        world = mango.state.world
        call = place_incoming(world)
        mango.advance(call.start_ts - world.now() + 7)
        ringing = call.legs[1]
        target = world.employees[2].extension
        params = {"command_id": "r2", "call_id": mango_call_id(ringing.id), "to_number": target}
        assert (await mango.json("commands/route", params))["result"] == 1000
        assert ringing.finish_reason == "rerouted"

    async def test_route__a_talking_call_is_4100(self, mango: MangoClient) -> None:
        world = mango.state.world
        call = place_incoming(world)
        mango.advance(call.answer_ts - world.now() + 2)
        params = {
            "call_id": mango_call_id(call.legs[1].id),
            "to_number": world.employees[2].extension,
        }
        assert (await mango.json("commands/route", params))["result"] == 4100

    async def test_route__to_an_outside_number_is_4001(self, mango: MangoClient) -> None:
        world = mango.state.world
        call = place_incoming(world)
        mango.advance(call.start_ts - world.now() + 2)
        params = {"call_id": mango_call_id(call.legs[0].id), "to_number": "74950000000"}
        assert (await mango.json("commands/route", params))["result"] == 4001


class TestTransfer:
    async def test_blind__moves_the_contact_to_the_target(self, mango: MangoClient) -> None:
        world = mango.state.world
        call = place_incoming(world)
        mango.advance(call.answer_ts - world.now() + 5)
        params = {
            "command_id": "t1",
            "call_id": mango_call_id(call.legs[1].id),
            "method": "blind",
            "to_number": world.employees[2].extension,
            "initiator": world.employees[0].extension,
        }
        assert (await mango.json("commands/transfer", params))["result"] == 1000
        assert call.legs[-1].employee_id == world.employees[2].id
        assert call.legs[-1].transfer_kind == "blind"
        assert call.legs[1].end_ts == world.now()

    async def test_initiator__must_be_a_party(self, mango: MangoClient) -> None:
        world = mango.state.world
        call = place_incoming(world)
        mango.advance(call.answer_ts - world.now() + 5)
        params = {
            "call_id": mango_call_id(call.legs[1].id),
            "method": "hold",
            "to_number": world.employees[2].extension,
            "initiator": "999",
        }
        assert (await mango.json("commands/transfer", params))["result"] == 3330

    async def test_not_connected__is_4100(self, mango: MangoClient) -> None:
        world = mango.state.world
        call = place_incoming(world)
        mango.advance(call.start_ts - world.now() + 7)  # still ringing
        params = {
            "call_id": mango_call_id(call.legs[1].id),
            "method": "blind",
            "to_number": world.employees[2].extension,
            "initiator": world.employees[0].extension,
        }
        assert (await mango.json("commands/transfer", params))["result"] == 4100

    async def test_bad_method__is_3104(self, mango: MangoClient) -> None:
        params = {"call_id": "x", "method": "warm", "to_number": "101", "initiator": "102"}
        assert (await mango.json("commands/transfer", params))["result"] == 3104


class TestRecordingStart:
    async def test_start__records_an_unrecorded_call(
        self, mango: MangoClient, receiver: Receiver
    ) -> None:
        world = mango.state.world
        await hook(mango, receiver)
        call = place_incoming(world)
        call.recorded = False
        mango.advance(call.answer_ts - world.now() + 5)
        started = world.now()
        params = {
            "command_id": "rec-1",
            "call_id": mango_call_id(call.legs[1].id),
            "call_party_number": world.employees[0].extension,
        }
        assert (await mango.json("commands/recording/start", params))["result"] == 1000
        await finish(mango, receiver, call, "events/record/added")
        first = next(
            e for e in receiver.of("events/recording") if e["recording_state"] == "Started"
        )
        assert first["command_id"] == "rec-1"
        assert first["timestamp"] == started

    async def test_already_recording__is_4102(self, mango: MangoClient) -> None:
        world = mango.state.world
        call = place_incoming(world)
        mango.advance(call.answer_ts - world.now() + 5)
        params = {
            "call_id": mango_call_id(call.legs[1].id),
            "call_party_number": world.employees[0].extension,
        }
        assert (await mango.json("commands/recording/start", params))["result"] == 4102

    async def test_party_not_in_the_call__is_3330(self, mango: MangoClient) -> None:
        world = mango.state.world
        call = place_incoming(world)
        mango.advance(call.answer_ts - world.now() + 5)
        params = {"call_id": mango_call_id(call.legs[1].id), "call_party_number": "999"}
        assert (await mango.json("commands/recording/start", params))["result"] == 3330
