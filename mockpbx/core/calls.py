"""Builders that turn a few decided facts into a full call plan with legs.

Generators (scenarios) and live actions (callbacks) decide *what* happens
(who rings, who answers, after how long, how long they talk) and these
functions lay out the legs and finish reasons consistently, so every face
sees the same call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mockpbx.core.model import (
    Call,
    CallKind,
    Direction,
    Employee,
    Leg,
    LegRole,
    SipLine,
    Visit,
)

__all__ = [
    "MAX_CALL_SECONDS",
    "Target",
    "add_transfer",
    "build_callback",
    "build_incoming",
    "build_outgoing",
]

MAX_CALL_SECONDS = 4 * 3600  # no planned call is longer; bounds live-call scans

LEGS_PER_CALL = 10  # leg ids are call_id * 10 + index


@dataclass(frozen=True, slots=True)
class Target:
    """An employee's SIP line that a call may ring."""

    line: SipLine
    employee: Employee


def _leg_id(call_id: int, index: int) -> int:
    if index >= LEGS_PER_CALL:
        raise ValueError("a call has at most 10 legs")
    return call_id * LEGS_PER_CALL + index


def build_incoming(
    call_id: int,
    *,
    start: int,
    contact: str,
    virtual_number: str,
    targets: Sequence[Target],
    answered_by: int | None,
    answer_delay: int,
    talk: int,
    strategy: str = "sequential",
    ring_seconds: int = 20,
    ivr_seconds: int = 3,
    patience: int = 90,
    contact_hangs_up: bool = True,
    source: str = "va",
    visit: Visit | None = None,
    clinic_id: int = 1,
    recorded: bool = True,
    closed: bool = False,
) -> Call:
    """An incoming call: the contact dials `virtual_number`, the routing rings `targets`.

    `answered_by` is the index of the target that answers (after
    `answer_delay` seconds of ringing) or None for a missed call; the
    contact gives up after `patience` seconds of waiting. A `closed` call
    (after hours) reaches no one.
    """
    contact_leg = Leg(
        id=_leg_id(call_id, 0),
        role=LegRole.CONTACT,
        calling_number=contact,
        called_number=virtual_number,
        start_ts=start,
        end_ts=start,
        answer_ts=start,
    )
    call = Call(
        id=call_id,
        kind=CallKind.INCOMING,
        direction=Direction.IN,
        source=source,
        start_ts=start,
        end_ts=start,
        contact_number=contact,
        virtual_number=virtual_number,
        legs=[contact_leg],
        visit=visit,
        clinic_id=clinic_id,
        recorded=recorded,
    )
    if closed:
        end = start + ivr_seconds + 12  # the closed-hours message, then the line drops
        contact_leg.end_ts = call.end_ts = end
        call.finish_reason = contact_leg.finish_reason = "no_operation"
        return call
    if not targets:  # everyone is busy: the contact waits on hold music, then gives up
        contact_leg.end_ts = call.end_ts = start + max(patience, ivr_seconds + 1)
        call.finish_reason = contact_leg.finish_reason = "employee_busy"
        return call

    ring_from = start + ivr_seconds
    give_up = start + max(patience, ivr_seconds + 1)
    if strategy == "simultaneous":
        _ring_simultaneous(call, targets, ring_from, ring_seconds, answered_by, answer_delay)
    else:
        _ring_sequential(call, targets, ring_from, ring_seconds, answered_by, answer_delay)

    if call.answer_ts is None or call.answer_ts > give_up:
        _hang_up_waiting(call, give_up)
        call.finish_reason = "subscriber_disconnects" if call.end_ts == give_up else "timeout"
        contact_leg.finish_reason = call.finish_reason
    else:
        end = call.answer_ts + max(talk, 1)
        for leg in call.legs:
            if leg.answer_ts is not None:
                leg.end_ts = end
        call.end_ts = end
        call.finish_reason = (
            "subscriber_disconnects" if contact_hangs_up else "operator_disconnects"
        )
        for leg in call.legs:
            if leg.answer_ts is not None:
                leg.finish_reason = call.finish_reason
    contact_leg.end_ts = call.end_ts
    return call


def _employee_leg(call: Call, index: int, target: Target, start: int, end: int) -> Leg:
    leg = Leg(
        id=_leg_id(call.id, index),
        role=LegRole.EMPLOYEE,
        calling_number=call.virtual_number or call.contact_number,
        called_number=target.line.login,
        start_ts=start,
        end_ts=end,
        employee_id=target.employee.id,
        sip_line_id=target.line.id,
        finish_reason="operator_not_responsible",
    )
    call.legs.append(leg)
    return leg


def _ring_sequential(
    call: Call,
    targets: Sequence[Target],
    ring_from: int,
    ring_seconds: int,
    answered_by: int | None,
    answer_delay: int,
) -> None:
    t = ring_from
    for i, target in enumerate(targets):
        if i == answered_by:
            leg = _employee_leg(call, i + 1, target, t, t + answer_delay)
            leg.answer_ts = call.answer_ts = t + answer_delay
            leg.finish_reason = "operator_answer"
            return
        _employee_leg(call, i + 1, target, t, t + ring_seconds)
        t += ring_seconds
    call.end_ts = t


def _ring_simultaneous(
    call: Call,
    targets: Sequence[Target],
    ring_from: int,
    ring_seconds: int,
    answered_by: int | None,
    answer_delay: int,
) -> None:
    stop = ring_from + (answer_delay if answered_by is not None else ring_seconds)
    for i, target in enumerate(targets):
        leg = _employee_leg(call, i + 1, target, ring_from, stop)
        if i == answered_by:
            leg.answer_ts = call.answer_ts = stop
            leg.finish_reason = "operator_answer"
        elif answered_by is not None:
            leg.finish_reason = "another_operator_answer"
    call.end_ts = stop


def _hang_up_waiting(call: Call, give_up: int) -> None:
    """Nobody answered in time: the call ends when rings run out or the contact gives up."""
    end = min(give_up, max(leg.end_ts for leg in call.legs))
    call.answer_ts = None
    for leg in call.legs[1:]:
        if leg.start_ts >= end:
            leg.start_ts = leg.end_ts = end
        leg.end_ts = min(leg.end_ts, end)
        leg.answer_ts = None
        leg.finish_reason = "operator_not_responsible"
    call.legs = [call.legs[0]] + [leg for leg in call.legs[1:] if leg.end_ts > leg.start_ts]
    call.end_ts = end


def build_outgoing(
    call_id: int,
    *,
    start: int,
    target: Target,
    contact: str,
    caller_id: str,
    ring: int,
    talk: int | None,
    clinic_id: int = 1,
    recorded: bool = True,
) -> Call:
    """An employee dials `contact` from a SIP line; `talk` None means no answer."""
    emp = Leg(
        id=_leg_id(call_id, 0),
        role=LegRole.EMPLOYEE,
        calling_number=target.line.login,
        called_number=contact,
        start_ts=start,
        end_ts=start + ring,
        answer_ts=start,
        employee_id=target.employee.id,
        sip_line_id=target.line.id,
        finish_reason="operator_disconnects",
    )
    out = Leg(
        id=_leg_id(call_id, 1),
        role=LegRole.CONTACT,
        calling_number=caller_id,
        called_number=contact,
        start_ts=start,
        end_ts=start + ring,
        finish_reason="subscriber_not_responsible",
    )
    call = Call(
        id=call_id,
        kind=CallKind.OUTGOING,
        direction=Direction.OUT,
        source="sip",
        start_ts=start,
        end_ts=start + ring,
        contact_number=contact,
        virtual_number=caller_id,
        legs=[emp, out],
        finish_reason="subscriber_not_responsible",
        clinic_id=clinic_id,
        recorded=recorded,
    )
    if talk is not None:
        answer = start + ring
        out.answer_ts = call.answer_ts = answer
        call.end_ts = emp.end_ts = out.end_ts = answer + max(talk, 1)
        call.finish_reason = emp.finish_reason = out.finish_reason = "operator_disconnects"
    return call


def build_callback(
    call_id: int,
    *,
    start: int,
    target: Target,
    contact: str,
    caller_id: str | None,
    employee_ring: int,
    employee_answers: bool,
    contact_ring: int,
    contact_answers: bool,
    talk: int,
    direction: Direction = Direction.OUT,
    source: str = "callapi",
    employee_number: str | None = None,
    external_id: str | None = None,
    clinic_id: int = 1,
    recorded: bool = True,
) -> Call:
    """A callback: the PBX rings the employee first and, once they answer, the contact."""
    emp = Leg(
        id=_leg_id(call_id, 0),
        role=LegRole.EMPLOYEE,
        calling_number=caller_id or contact,
        called_number=employee_number or target.line.login,
        start_ts=start,
        end_ts=start + employee_ring,
        employee_id=target.employee.id,
        sip_line_id=target.line.id,
        finish_reason="operator_not_responsible",
    )
    call = Call(
        id=call_id,
        kind=CallKind.CALLBACK,
        direction=direction,
        source=source,
        start_ts=start,
        end_ts=start + employee_ring,
        contact_number=contact,
        virtual_number=caller_id,
        legs=[emp],
        finish_reason="no_success_operator_call",
        external_id=external_id,
        clinic_id=clinic_id,
        recorded=recorded,
    )
    if not employee_answers:
        return call
    emp.answer_ts = start + employee_ring
    dial_from = emp.answer_ts
    out = Leg(
        id=_leg_id(call_id, 1),
        role=LegRole.CONTACT,
        calling_number=caller_id or target.line.login,
        called_number=contact,
        start_ts=dial_from,
        end_ts=dial_from + contact_ring,
        finish_reason="subscriber_not_responsible",
    )
    call.legs.append(out)
    if contact_answers:
        out.answer_ts = call.answer_ts = dial_from + contact_ring
        end = out.answer_ts + max(talk, 1)
        call.finish_reason = emp.finish_reason = out.finish_reason = "subscriber_disconnects"
    else:
        end = dial_from + contact_ring
        call.finish_reason = "no_success_subscriber_call"
        emp.finish_reason = "subscriber_not_responsible"
    call.end_ts = emp.end_ts = out.end_ts = end
    return call


def add_transfer(call: Call, target: Target, *, at: int, ring: int, kind: str = "blind") -> Leg:
    """Plan a transfer of a talking call to `target` at `at`, like `World.transfer` live.

    The transferred-to employee rings `ring` seconds, answers, and talks for
    the rest of the planned conversation; the employee who transferred hangs
    up at `at` (blind) or once the new leg answers (consultative).
    """
    current = call.last_answered_leg()
    if call.answer_ts is None or current is None or not call.answer_ts <= at < call.end_ts:
        raise ValueError("only a call in conversation can be transferred")
    talk_left = max(call.end_ts - at, 10)
    new = Leg(
        id=_leg_id(call.id, len(call.legs)),
        role=LegRole.EMPLOYEE,
        calling_number=call.contact_number,
        called_number=target.line.login,
        start_ts=at,
        end_ts=at + ring + talk_left,
        answer_ts=at + ring,
        employee_id=target.employee.id,
        sip_line_id=target.line.id,
        finish_reason=call.finish_reason,
        is_transferred=True,
        transfer_kind=kind,
        taken_from_leg_id=current.id,
    )
    current.end_ts = at if kind == "blind" else at + ring
    current.finish_reason = "transfer_disconnects"
    call.legs.append(new)
    call.end_ts = new.end_ts
    call.transferred = True
    for leg in call.legs:
        if leg.role is LegRole.CONTACT:
            leg.end_ts = call.end_ts
    return new
