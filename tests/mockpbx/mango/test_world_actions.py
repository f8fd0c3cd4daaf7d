"""World-level actions the Mango commands use: route, recording, group callbacks, leg hang-up."""

from __future__ import annotations

import pytest

from mockpbx.app import create_state
from mockpbx.core import actions
from mockpbx.core.actions import route_call, start_group_callback, start_recording
from mockpbx.core.calls import Target, build_incoming
from mockpbx.core.errors import CallNotFound, InvalidState
from mockpbx.core.model import CallKind, CallState, LegRole
from mockpbx.core.world import World
from mockpbx.testing import DEFAULT_START


@pytest.fixture
def world() -> World:
    return create_state(seed=3, start=DEFAULT_START, rate=0).world


def _targets(world: World) -> list[Target]:
    return [world.find_target(e.id) for e in world.employees]


def _incoming(world: World, *, answered_by: int | None = 0, recorded: bool = True) -> int:
    call = build_incoming(
        world.next_call_id(),
        start=world.now(),
        contact="79161234567",
        virtual_number=world.numbers[0].number,
        targets=_targets(world)[:2],
        answered_by=answered_by,
        answer_delay=8,
        talk=120,
        ivr_seconds=5,
        recorded=recorded,
    )
    world.add_call(call)
    return call.id


class TestRouteCall:
    def test_route__from_the_voice_menu_rings_the_new_employee(self, world: World) -> None:
        call_id = _incoming(world)
        world.clock.advance(2)  # still in the voice menu
        target = world.employees[2]
        leg = route_call(world, call_id, target.id)
        call = world.get_call(call_id)
        assert leg.employee_id == target.id
        assert leg.start_ts == world.now()
        assert leg.taken_from_leg_id == call.legs[0].id
        assert [lg.employee_id for lg in call.employee_legs()] == [target.id]
        assert call.end_ts == leg.end_ts == call.legs[0].end_ts
        world.clock.advance(leg.answer_ts - world.now())  # type: ignore[operator]
        assert call.state(world.now()) is CallState.TALKING

    def test_route__intercepts_a_ringing_leg(self, world: World) -> None:
        call_id = _incoming(world, answered_by=None)
        world.clock.advance(7)  # the first employee rings
        call = world.get_call(call_id)
        ringing = call.legs[1]
        leg = route_call(world, call_id, world.employees[2].id, leg_id=ringing.id)
        assert ringing.end_ts == world.now()
        assert ringing.finish_reason == "rerouted"
        assert leg.taken_from_leg_id == ringing.id
        assert all(lg.start_ts <= world.now() for lg in call.legs)

    def test_route__refuses_a_call_in_conversation(self, world: World) -> None:
        call_id = _incoming(world)
        world.clock.advance(30)
        with pytest.raises(InvalidState):
            route_call(world, call_id, world.employees[2].id)

    def test_route__refuses_a_finished_call(self, world: World) -> None:
        call_id = _incoming(world)
        world.clock.advance(3600)
        with pytest.raises(CallNotFound):
            route_call(world, call_id, world.employees[2].id)


class TestStartRecording:
    def test_recording__turns_on_for_a_live_call(self, world: World) -> None:
        call_id = _incoming(world, recorded=False)
        world.clock.advance(20)
        call = start_recording(world, call_id)
        world.clock.advance(3600)
        assert call.has_recording

    def test_recording__already_recorded_is_refused(self, world: World) -> None:
        call_id = _incoming(world, recorded=True)
        world.clock.advance(20)
        with pytest.raises(InvalidState):
            start_recording(world, call_id)


class TestGroupCallback:
    def test_group_first__rings_the_employee_then_the_contact(self, world: World) -> None:
        ids = [e.id for e in world.employees]
        call = start_group_callback(world, ids, "79160000001", caller_id=None, contact_first=False)
        assert call.kind is CallKind.CALLBACK
        assert call.legs[0].role is LegRole.EMPLOYEE
        assert call.legs[0].employee_id == ids[0]

    def test_contact_first__dials_the_contact_then_the_employee(self, world: World) -> None:
        ids = [e.id for e in world.employees]
        calls = [
            start_group_callback(
                world, ids, "79160000002", caller_id="74950000000", contact_first=True
            )
            for _ in range(6)
        ]
        answered = [c for c in calls if c.answer_ts is not None]
        assert answered, "some contacts answer"
        for call in answered:
            contact, employee = call.legs
            assert contact.role is LegRole.CONTACT
            assert employee.role is LegRole.EMPLOYEE
            assert employee.start_ts == contact.answer_ts
            assert call.end_ts == employee.end_ts == contact.end_ts
        assert world.get_call(calls[0].id) is calls[0]


class TestHangupOfALeg:
    def test_disconnect_leg__of_the_contact_ends_the_call(self, world: World) -> None:
        call_id = _incoming(world)
        world.clock.advance(30)
        call = actions.disconnect_leg(world, call_id, call_id * 10)
        assert call.end_ts == world.now()
        assert call.state(world.now()) is CallState.FINISHED

    def test_release_call__ends_a_call_in_conversation(self, world: World) -> None:
        call_id = _incoming(world)
        world.clock.advance(30)
        call = actions.release_call(world, call_id)
        assert call.end_ts == world.now()
        assert call.talk_duration == 30 - 13
