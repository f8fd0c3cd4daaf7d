"""Every live action on the world's calls, in one place.

    start_callback  start_simple_call  start_group_callback    new calls, planned now
    release_call  disconnect_leg  transfer  route_call          change a call in progress
    start_recording

Faces call them with the world (`start_callback(world, ...)`); `World` keeps
the directory, the store, the clock and the queries. An action decides what
happens (drawing from the call's own seeded stream) and leaves the layout of
legs to the builders of `core.calls`. Like every change to a plan it only
touches the part of a call that lies in the future, so what has already
happened stays immutable; an action that is refused changes nothing.
"""

from __future__ import annotations

import random

from mockpbx.core.calls import (
    Party,
    Target,
    add_routed_leg,
    add_transfer_leg,
    build_callback,
    build_two_party,
)
from mockpbx.core.calls import leg_id as id_of_leg
from mockpbx.core.errors import CallNotFound, InvalidState, LegNotFound, NoActivePhone
from mockpbx.core.model import Call, CallState, Direction, Leg, LegRole
from mockpbx.core.world import World

__all__ = [
    "disconnect_leg",
    "release_call",
    "route_call",
    "start_callback",
    "start_group_callback",
    "start_recording",
    "start_simple_call",
    "transfer",
]


# -- new calls ---------------------------------------------------------------------------
def start_callback(
    world: World,
    employee_id: int,
    contact: str,
    *,
    caller_id: str | None = None,
    employee_phone: str | None = None,
    direction: Direction = Direction.OUT,
    source: str = "callapi",
    external_id: str | None = None,
    rnd: random.Random | None = None,
) -> Call:
    """Ring the employee first, then the contact; the outcome is planned now."""
    target = world.find_target(employee_id, employee_phone)
    call_id = world.next_call_id()
    rnd = rnd or world.seeds.random("callback", call_id)
    behaviour = world.meta.get("callback", {})
    call = build_callback(
        call_id,
        start=world.now(),
        target=target,
        contact=contact,
        caller_id=caller_id or target.line.virtual_phone_number,
        employee_ring=rnd.randint(2, 6),
        employee_answers=rnd.random() < behaviour.get("employee_answer_rate", 1.0),
        contact_ring=rnd.randint(4, 15),
        contact_answers=rnd.random() < behaviour.get("contact_answer_rate", 0.85),
        talk=int(rnd.lognormvariate(4.6, 0.6)),
        direction=direction,
        source=source,
        employee_number=employee_phone,
        external_id=external_id,
        clinic_id=target.employee.clinic_id,
    )
    return world.add_call(call)


def start_simple_call(
    world: World,
    operator: str,
    contact: str,
    *,
    first_call: str = "operator",
    caller_id: str | None = None,
    employee_id: int | None = None,
    direction: Direction = Direction.IN,
    source: str = "callapi",
    external_id: str | None = None,
    rnd: random.Random | None = None,
) -> Call:
    """Ring `first_call` ("operator" or "contact") first, then the other party.

    The operator is any phone number; with `employee_id` it is that
    employee's phone (a SIP login, extension or number of theirs) and the
    operator's leg is reported as the employee's. The outcome is planned now.
    """
    target = world.find_target(employee_id, operator) if employee_id is not None else None
    call_id = world.next_call_id()
    rnd = rnd or world.seeds.random("simple_call", call_id)
    behaviour = world.meta.get("callback", {})
    if target is not None:
        op = Party.employee(target, caller_id or contact)
    else:
        op = Party(LegRole.EMPLOYEE, caller_id or contact, operator)
    ct = Party(LegRole.CONTACT, caller_id or operator, contact)
    first, second = (op, ct) if first_call == "operator" else (ct, op)
    rates = {
        LegRole.EMPLOYEE: behaviour.get("employee_answer_rate", 1.0),
        LegRole.CONTACT: behaviour.get("contact_answer_rate", 0.85),
    }
    call = build_two_party(
        call_id,
        start=world.now(),
        first=first,
        second=second,
        first_ring=rnd.randint(2, 6),
        first_answers=rnd.random() < rates[first.role],
        second_ring=rnd.randint(4, 15),
        second_answers=rnd.random() < rates[second.role],
        talk=int(rnd.lognormvariate(4.6, 0.6)),
        contact=contact,
        caller_id=caller_id,
        direction=direction,
        source=source,
        external_id=external_id,
        clinic_id=target.employee.clinic_id if target else 1,
    )
    return world.add_call(call)


def start_group_callback(
    world: World,
    employee_ids: list[int],
    contact: str,
    *,
    caller_id: str | None,
    contact_first: bool,
    rnd: random.Random | None = None,
) -> Call:
    """A callback on behalf of a group of employees (tried in order).

    Group first: the first employee with an active phone is rung, then the
    contact (an ordinary callback). Contact first: the contact is dialled and,
    once they answer, the group's first available employee.
    """
    targets = _targets(world, employee_ids)
    if not contact_first:
        return start_callback(world, targets[0].employee.id, contact, caller_id=caller_id)
    call_id = world.next_call_id()
    rnd = rnd or world.seeds.random("group-callback", call_id)
    answers = rnd.random() < world.meta.get("callback", {}).get("contact_answer_rate", 0.85)
    target = targets[0]
    call = build_two_party(
        call_id,
        start=world.now(),
        first=Party(LegRole.CONTACT, caller_id or target.line.login, contact),
        second=Party.employee(target, contact),
        first_ring=rnd.randint(4, 15),
        first_answers=answers,
        second_ring=rnd.randint(2, 6),
        second_answers=True,
        talk=int(rnd.lognormvariate(4.6, 0.6)),
        contact=contact,
        caller_id=caller_id,
        clinic_id=target.employee.clinic_id,
        second_takes_over=True,
    )
    return world.add_call(call)


def _targets(world: World, employee_ids: list[int]) -> list[Target]:
    targets = []
    for employee_id in employee_ids:
        try:
            targets.append(world.find_target(employee_id))
        except NoActivePhone:
            continue
    if not targets:
        raise NoActivePhone("no employee of the group has an active phone")
    return targets


# -- calls in progress -------------------------------------------------------------------
def _live(world: World, call_id: int) -> Call:
    call = world.get_call(call_id)
    if not call.is_live(world.now()):
        raise CallNotFound(f"call session {call_id} not found")
    return call


def release_call(world: World, call_id: int) -> Call:
    """Hang up every leg of a live call now."""
    call = _live(world, call_id)
    _truncate(call, world.now(), "operator_disconnects")
    return call


def disconnect_leg(world: World, call_id: int, leg_id: int) -> Call:
    """Drop one leg; dropping the contact's leg (or the last one) ends the call."""
    call = _live(world, call_id)
    leg = call.leg(leg_id)
    now = world.now()
    if leg is None or not leg.start_ts <= now < leg.end_ts:
        raise LegNotFound(f"leg {leg_id} not found in call session {call_id}")
    if leg.role is LegRole.CONTACT or _others_alive(call, leg, now) == 0:
        _truncate(call, now, "operator_disconnects")
    else:
        _end_leg(leg, now, "operator_disconnects")
    return call


def transfer(world: World, call_id: int, to_employee_id: int, *, kind: str = "blind") -> Leg:
    """Transfer a talking call to another employee, who answers after a short ring.

    Every employee leg talking now hands over: it hangs up now (blind) or
    once the new leg answers (consultative).
    """
    call = _live(world, call_id)
    now = world.now()
    if call.state(now) is not CallState.TALKING:
        raise InvalidState("only a call in conversation can be transferred")
    target = world.find_target(to_employee_id)
    rnd = world.seeds.random("transfer", call.id, len(call.legs))
    ring = rnd.randint(3, 10)
    handing = [
        leg
        for leg in call.legs
        if leg.role is LegRole.EMPLOYEE and leg.end_ts > now and leg.answer_ts is not None
    ]
    new = add_transfer_leg(
        call,
        target,
        at=now,
        ring=ring,
        kind=kind,
        taken_from=handing[-1].id if handing else None,
        finish_reason="subscriber_disconnects",
    )
    for leg in handing:
        _end_leg(leg, now if kind == "blind" else now + ring, "transfer_disconnects")
    return new


def route_call(
    world: World, call_id: int, to_employee_id: int, *, leg_id: int | None = None
) -> Leg:
    """Send a call that nobody answers yet to another employee, now.

    Without `leg_id` the call must still be waiting (in the voice menu or
    ringing); with it, that ringing employee leg is intercepted. Future legs
    of the plan are dropped; the new leg rings the employee, who answers
    after a few seconds and talks as long as the plan had it (or a drawn time).
    """
    call = _live(world, call_id)
    now = world.now()
    if call.answer_ts is not None and call.answer_ts <= now:
        raise InvalidState("the call is already in conversation")
    ringing = [leg for leg in call.legs[1:] if leg.start_ts <= now < leg.end_ts]
    old: Leg | None = None
    if leg_id is not None:
        old = next((leg for leg in ringing if leg.id == leg_id), None)
        if old is None:
            raise InvalidState(f"leg {leg_id} is not ringing")
    target = world.find_target(to_employee_id)
    rnd = world.seeds.random("route", call.id, len(call.legs))
    talk = call.talk_duration if call.answer_ts is not None else int(rnd.lognormvariate(4.6, 0.6))
    kept = [call.legs[0], *(leg for leg in call.legs[1:] if leg.start_ts < now)]
    _check_room(call, len(kept))
    for leg in ringing:
        _stop(leg, now, "rerouted")
    call.legs = kept
    answer = now + rnd.randint(2, 6)
    taken_from = (old or call.legs[0]).id
    return add_routed_leg(call, target, at=now, answer=answer, talk=talk, taken_from=taken_from)


def start_recording(world: World, call_id: int) -> Call:
    """Turn on recording of a live call; InvalidState if it is already recorded."""
    call = _live(world, call_id)
    if call.recorded:
        raise InvalidState("the call is already being recorded")
    call.recorded = True
    return call


def _check_room(call: Call, index: int) -> None:
    """TooManyLegs, before anything changes, if leg `index` would pass the bound."""
    id_of_leg(call.id, index)


def _truncate(call: Call, now: int, reason: str) -> None:
    for leg in call.legs:
        if leg.end_ts > now:
            _end_leg(leg, now, reason)
    call.legs = [leg for i, leg in enumerate(call.legs) if i == 0 or leg.start_ts < now]
    if call.answer_ts is not None and call.answer_ts >= now:
        call.answer_ts = None
        call.finish_reason = "subscriber_disconnects"
    else:
        call.finish_reason = reason
    call.end_ts = max(now, call.start_ts)


def _end_leg(leg: Leg, now: int, reason: str) -> None:
    leg.end_ts = max(now, leg.start_ts)
    if leg.answer_ts is not None and leg.answer_ts >= leg.end_ts:
        leg.answer_ts = None
    leg.finish_reason = reason


def _stop(leg: Leg, now: int, reason: str) -> None:
    leg.end_ts = max(now, leg.start_ts)
    leg.answer_ts = None
    leg.finish_reason = reason


def _others_alive(call: Call, leg: Leg, now: int) -> int:
    return sum(
        1 for other in call.legs if other is not leg and other.start_ts <= now < other.end_ts
    )
