"""core.actions: live actions lay calls out with the builders and refuse a leg past the bound."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from mockpbx.core import actions
from mockpbx.core.calls import LEGS_PER_CALL, Target, add_transfer, build_incoming
from mockpbx.core.errors import TooManyLegs
from mockpbx.core.model import Call
from mockpbx.core.world import World
from mockpbx.scenarios.engine import build_world
from mockpbx.scenarios.model import Scenario

START = datetime(2026, 5, 14, 10, 30, tzinfo=ZoneInfo("Europe/Moscow"))


@pytest.fixture
def world() -> World:
    return build_world(Scenario(), seed=3, start=START)


def _targets(world: World, n: int) -> list[Target]:
    staff = [world.find_target(e.id) for e in world.employees]
    return [staff[i % len(staff)] for i in range(n)]


def _incoming(world: World, targets: list[Target], answered_by: int | None) -> Call:
    """A live incoming call ringing `targets` one after another (5 s each) from now + 3 s."""
    call = build_incoming(
        world.next_call_id(),
        start=world.now(),
        contact="79161234567",
        virtual_number=world.numbers[0].number,
        targets=targets,
        answered_by=answered_by,
        answer_delay=4,
        talk=300,
        ring_seconds=5,
        patience=10**6,
        contact_hangs_up=True,
    )
    return world.add_call(call)


def test_transfer__lays_out_what_a_planned_transfer_lays_out(world: World) -> None:
    """A live transfer and `calls.add_transfer` at the same moment give the same call."""
    call = _incoming(world, _targets(world, 2), answered_by=1)
    planned = _incoming(world, _targets(world, 2), answered_by=1)
    world.clock.advance(30)
    to = world.employees[2].id
    leg = actions.transfer(world, call.id, to)
    add_transfer(planned, world.find_target(to), at=world.now(), ring=leg.answer_ts - world.now())  # type: ignore[operator]
    planned_fields = dataclasses.asdict(planned)
    for i, planned_leg in enumerate(planned_fields["legs"]):
        planned_leg["id"] = call.legs[i].id
        if planned_leg["taken_from_leg_id"] is not None:
            planned_leg["taken_from_leg_id"] += (call.id - planned.id) * LEGS_PER_CALL
    assert {**planned_fields, "id": call.id} == dataclasses.asdict(call)


def test_transfer__past_the_bound_is_refused_and_changes_nothing(world: World) -> None:
    """A tenth leg would take the next call's leg ids: TooManyLegs, the call as it was."""
    call = _incoming(world, _targets(world, LEGS_PER_CALL - 1), answered_by=LEGS_PER_CALL - 2)
    assert len(call.legs) == LEGS_PER_CALL
    world.clock.advance(call.answer_ts - world.now() + 10)  # type: ignore[operator]
    before = dataclasses.asdict(call)
    with pytest.raises(TooManyLegs):
        actions.transfer(world, call.id, world.employees[0].id)
    assert dataclasses.asdict(call) == before


def test_route_call__past_the_bound_is_refused_and_changes_nothing(world: World) -> None:
    call = _incoming(world, _targets(world, LEGS_PER_CALL - 1), answered_by=None)
    world.clock.advance(3 + 5 * (LEGS_PER_CALL - 2) + 1)  # the last line is ringing
    before = dataclasses.asdict(call)
    with pytest.raises(TooManyLegs):
        actions.route_call(world, call.id, world.employees[0].id)
    assert dataclasses.asdict(call) == before


def test_route_call__within_the_bound_numbers_the_new_leg_by_the_rule(world: World) -> None:
    call = _incoming(world, _targets(world, 3), answered_by=None)
    world.clock.advance(3 + 5 + 1)  # the second line rings, the third is still to come
    leg = actions.route_call(world, call.id, world.employees[0].id)
    # the contact, two lines rung (one stopped), the new leg; the third line's is dropped
    assert [lg.id for lg in call.legs] == [call.id * LEGS_PER_CALL + i for i in range(4)]
    assert call.legs[-1] is leg
    assert call.legs[2].finish_reason == "rerouted"
