"""actions.start_simple_call without HTTP: an arbitrary operator number, either party first."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from mockpbx.core import actions
from mockpbx.core.errors import NoActivePhone
from mockpbx.core.model import CallKind, CallState, LegRole
from mockpbx.core.world import World
from mockpbx.scenarios.engine import build_world
from mockpbx.scenarios.model import Scenario

START = datetime(2026, 5, 14, 10, 30, tzinfo=ZoneInfo("Europe/Moscow"))


@pytest.fixture
def world() -> World:
    w = build_world(Scenario(), seed=3, start=START)
    w.meta["callback"] = {"employee_answer_rate": 1.0, "contact_answer_rate": 1.0}
    return w


class TestSimpleCall:
    def test_operator_first__rings_the_operator_then_the_contact(self, world: World) -> None:
        call = actions.start_simple_call(
            world, "79031112233", "79164445566", caller_id="74950000000"
        )
        assert call.kind is CallKind.CALLBACK
        assert [leg.role for leg in call.legs] == [LegRole.EMPLOYEE, LegRole.CONTACT]
        op, contact = call.legs
        assert op.called_number == "79031112233"
        assert op.employee_id is None
        assert contact.called_number == "79164445566"
        assert op.start_ts == world.now() < contact.start_ts == op.answer_ts
        assert call.answer_ts == contact.answer_ts
        assert call.end_ts > call.answer_ts

    def test_contact_first__rings_the_contact_then_the_operator(self, world: World) -> None:
        call = actions.start_simple_call(world, "79031112233", "79164445566", first_call="contact")
        assert [leg.role for leg in call.legs] == [LegRole.CONTACT, LegRole.EMPLOYEE]

    def test_is_live_then_finished__by_the_clock(self, world: World) -> None:
        call = actions.start_simple_call(world, "79031112233", "79164445566")
        assert call in world.live_calls()
        world.clock.advance(call.end_ts - world.now())
        assert call.state(world.now()) is CallState.FINISHED
        assert call in world.history(call.start_ts, call.start_ts + 1)
        assert world.recording_hash(call) is not None

    def test_nobody_answers__no_success_operator_call(self, world: World) -> None:
        world.meta["callback"] = {"employee_answer_rate": 0.0}
        call = actions.start_simple_call(world, "79031112233", "79164445566")
        assert len(call.legs) == 1
        assert call.finish_reason == "no_success_operator_call"
        assert call.is_lost

    def test_with_employee__the_operator_leg_is_the_employees_line(self, world: World) -> None:
        employee = world.employees[0]
        line = world.lines_of(employee.id)[0]
        call = actions.start_simple_call(world, line.login, "79164445566", employee_id=employee.id)
        op = call.legs[0]
        assert (op.employee_id, op.sip_line_id, op.called_number) == (
            employee.id,
            line.id,
            line.login,
        )

    def test_with_employee__a_foreign_number_is_refused(self, world: World) -> None:
        with pytest.raises(NoActivePhone):
            actions.start_simple_call(
                world, "70000000000", "79164445566", employee_id=world.employees[0].id
            )

    def test_same_seed__plans_the_same_call(self) -> None:
        one, two = (build_world(Scenario(), seed=9, start=START) for _ in range(2))
        a = actions.start_simple_call(one, "79031112233", "7916")
        b = actions.start_simple_call(two, "79031112233", "7916")
        assert (a.id, a.end_ts, a.answer_ts) == (b.id, b.end_ts, b.answer_ts)
