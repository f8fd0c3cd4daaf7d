"""How world calls become Mango legs and events, without HTTP (the derivation layer)."""

from __future__ import annotations

import pytest

from mockpbx.app import create_state
from mockpbx.core.calls import Target, build_callback, build_incoming, build_outgoing
from mockpbx.core.model import Call
from mockpbx.core.world import World
from mockpbx.providers.mango.directory import Lookup
from mockpbx.providers.mango.events import call_events
from mockpbx.providers.mango.ids import mango_call_id
from mockpbx.providers.mango.legs import disconnect_code, mango_legs
from mockpbx.testing import DEFAULT_START

T0 = int(DEFAULT_START.timestamp()) + 100


@pytest.fixture
def world() -> World:
    return create_state(seed=5, start=DEFAULT_START, rate=0).world


def _targets(world: World) -> list[Target]:
    return [world.find_target(e.id) for e in world.employees]


def _incoming(world: World, **kw: object) -> Call:
    args: dict[str, object] = {
        "start": T0,
        "contact": "79160000001",
        "virtual_number": world.numbers[0].number,
        "targets": _targets(world)[:2],
        "answered_by": 1,
        "answer_delay": 6,
        "talk": 40,
        "ivr_seconds": 4,
        "ring_seconds": 10,
    }
    args.update(kw)
    return build_incoming(world.next_call_id(), **args)  # type: ignore[arg-type]


class TestIncoming:
    def test_legs__ivr_then_each_employee_rung(self, world: World) -> None:
        call = _incoming(world)
        ivr, first, second = mango_legs(call, Lookup(world))
        assert (ivr.location, ivr.start, ivr.end, ivr.reason) == ("ivr", T0, T0 + 4, 1100)
        assert (first.start, first.answer, first.reason) == (T0 + 4, None, 1111)
        assert (second.start, second.answer) == (T0 + 14, T0 + 20)
        assert second.party_from["taken_from_call_id"] == ivr.call_id
        assert [s.state for s in second.steps] == ["Appeared", "Connected", "Disconnected"]

    def test_closed__stays_in_the_menu(self, world: World) -> None:
        call = _incoming(world, closed=True)
        (ivr,) = mango_legs(call, Lookup(world))
        assert (ivr.location, ivr.reason) == ("ivr", 1170)

    def test_events__seq_counts_per_leg_and_times_follow_the_plan(self, world: World) -> None:
        call = _incoming(world)
        events = call_events(call, Lookup(world))
        assert [e.ts for e in events] == sorted(e.ts for e in events)
        per_leg: dict[str, list[int]] = {}
        for e in events:
            if e.path == "events/call":
                per_leg.setdefault(e.payload["call_id"], []).append(e.payload["seq"])
        assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in per_leg.values())
        assert events[-1].path == "events/record/added"
        assert [e.path for e in events].count("events/summary") == 1


class TestOutgoingAndCallback:
    def test_outgoing__one_leg_from_the_employee(self, world: World) -> None:
        target = _targets(world)[0]
        call = build_outgoing(
            world.next_call_id(), start=T0, target=target, contact="79160000002",
            caller_id="74950000000", ring=7, talk=30,
        )  # fmt: skip
        (leg,) = mango_legs(call, Lookup(world))
        assert leg.party_from["extension"] == target.employee.extension
        assert leg.party_to == {"number": "79160000002"}
        assert (leg.answer, leg.end, leg.reason) == (T0 + 7, T0 + 37, 1110)

    @pytest.mark.parametrize("contact_answers", [True, False])
    def test_callback__leg_one_rings_the_employee(
        self, world: World, contact_answers: bool
    ) -> None:
        target = _targets(world)[0]
        call = build_callback(
            world.next_call_id(), start=T0, target=target, contact="79160000003", caller_id=None,
            employee_ring=3, employee_answers=True, contact_ring=5,
            contact_answers=contact_answers, talk=20,
        )  # fmt: skip
        leg1, leg2 = mango_legs(call, Lookup(world))
        assert leg1.call_id == mango_call_id(call.legs[0].id)
        assert (leg1.answer, leg1.end, leg1.reason) == (T0 + 3, T0 + 3, 1000)
        assert leg2.party_from["taken_from_call_id"] == leg1.call_id
        assert (leg2.answer is not None) == contact_answers
        assert leg2.reason == (1120 if contact_answers else 1111)  # the contact hangs up

    def test_callback__employee_does_not_answer(self, world: World) -> None:
        target = _targets(world)[0]
        call = build_callback(
            world.next_call_id(), start=T0, target=target, contact="79160000004", caller_id=None,
            employee_ring=9, employee_answers=False, contact_ring=5, contact_answers=True, talk=20,
        )  # fmt: skip
        (leg1,) = mango_legs(call, Lookup(world))
        assert (leg1.answer, leg1.reason) == (None, 1111)


@pytest.mark.parametrize(
    ("reason", "from_is_contact", "code"),
    [
        ("subscriber_disconnects", True, 1110),
        ("subscriber_disconnects", False, 1120),
        ("operator_disconnects", True, 1120),
        ("operator_disconnects", False, 1110),
        ("operator_not_responsible", True, 1111),
        ("rerouted", True, 1181),
    ],
)
def test_disconnect_code__names_the_side_that_hung_up(
    reason: str, from_is_contact: bool, code: int
) -> None:
    assert disconnect_code(reason, from_is_contact) == code
