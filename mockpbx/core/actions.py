"""Live actions on calls beyond those of `World` itself: route, record, group callbacks.

Provider-neutral (the Mango face uses them for commands/route,
commands/recording/start and commands/callback_group; any face may). Like
`World`'s own actions they only change the part of a call's plan that lies
in the future, so what has already happened stays immutable.
"""

from __future__ import annotations

import random

from mockpbx.core.calls import LEGS_PER_CALL, Target
from mockpbx.core.errors import CallNotFound, InvalidState, NoActivePhone
from mockpbx.core.model import Call, CallKind, Direction, Leg, LegRole
from mockpbx.core.world import World

__all__ = ["route_call", "start_group_callback", "start_recording"]


def _live(world: World, call_id: int) -> Call:
    call = world.get_call(call_id)
    if not call.is_live(world.now()):
        raise CallNotFound(f"call session {call_id} not found")
    return call


def _new_leg_id(call: Call) -> int:
    index = len(call.legs)
    if index >= LEGS_PER_CALL:
        raise InvalidState("too many legs in this call")
    return call.id * LEGS_PER_CALL + index


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
    for leg in ringing:
        _stop(leg, now, "rerouted")
    call.legs = [call.legs[0], *(leg for leg in call.legs[1:] if leg.start_ts < now)]
    answer = now + rnd.randint(2, 6)
    new = Leg(
        id=_new_leg_id(call),
        role=LegRole.EMPLOYEE,
        calling_number=call.legs[0].calling_number,
        called_number=target.line.login,
        start_ts=now,
        end_ts=answer + max(talk, 1),
        answer_ts=answer,
        employee_id=target.employee.id,
        sip_line_id=target.line.id,
        finish_reason="subscriber_disconnects",
        taken_from_leg_id=(old or call.legs[0]).id,
    )
    call.legs.append(new)
    call.answer_ts, call.end_ts = answer, new.end_ts
    call.finish_reason = "subscriber_disconnects"
    call.legs[0].end_ts = call.end_ts
    return new


def _stop(leg: Leg, now: int, reason: str) -> None:
    leg.end_ts = max(now, leg.start_ts)
    leg.answer_ts = None
    leg.finish_reason = reason


def start_recording(world: World, call_id: int) -> Call:
    """Turn on recording of a live call; InvalidState if it is already recorded."""
    call = _live(world, call_id)
    if call.recorded:
        raise InvalidState("the call is already being recorded")
    call.recorded = True
    return call


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
        return world.start_callback(targets[0].employee.id, contact, caller_id=caller_id)
    call_id = world.next_call_id()
    rnd = rnd or world.seeds.random("group-callback", call_id)
    answers = rnd.random() < world.meta.get("callback", {}).get("contact_answer_rate", 0.85)
    call = _contact_first(call_id, world.now(), targets[0], contact, caller_id, answers, rnd)
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


def _contact_first(
    call_id: int,
    start: int,
    target: Target,
    contact: str,
    caller_id: str | None,
    answers: bool,
    rnd: random.Random,
) -> Call:
    ring = rnd.randint(4, 15)
    out = Leg(
        id=call_id * LEGS_PER_CALL,
        role=LegRole.CONTACT,
        calling_number=caller_id or target.line.login,
        called_number=contact,
        start_ts=start,
        end_ts=start + ring,
        finish_reason="subscriber_not_responsible",
    )
    call = Call(
        id=call_id,
        kind=CallKind.CALLBACK,
        direction=Direction.OUT,
        source="callapi",
        start_ts=start,
        end_ts=start + ring,
        contact_number=contact,
        virtual_number=caller_id,
        legs=[out],
        finish_reason="no_success_subscriber_call",
        clinic_id=target.employee.clinic_id,
    )
    if not answers:
        return call
    out.answer_ts = start + ring
    answer = out.answer_ts + rnd.randint(2, 6)
    end = answer + max(int(rnd.lognormvariate(4.6, 0.6)), 1)
    emp = Leg(
        id=call_id * LEGS_PER_CALL + 1,
        role=LegRole.EMPLOYEE,
        calling_number=contact,
        called_number=target.line.login,
        start_ts=out.answer_ts,
        end_ts=end,
        answer_ts=answer,
        employee_id=target.employee.id,
        sip_line_id=target.line.id,
        finish_reason="subscriber_disconnects",
        taken_from_leg_id=out.id,
    )
    call.legs.append(emp)
    call.answer_ts, call.end_ts, out.end_ts = answer, end, end
    call.finish_reason = out.finish_reason = "subscriber_disconnects"
    return call
