"""Every layout of a call: builders that turn decided facts into legs, with one leg-id rule.

Generators (scenarios) and live actions (`core.actions`) decide *what*
happens (who rings, who answers, after how long, how long they talk) and
these functions lay out the legs and finish reasons consistently, so every
face sees the same call. Nothing else in the world builds a `Leg` or a
`Call` (`scenarios/fastcalls.py` holds fast twins of `build_incoming` and
`build_outgoing`, tested equal to them).

The leg-id rule: leg `index` of call `call_id` has the id
`call_id * LEGS_PER_CALL + index` (`leg_id`), so a leg's call is found from
its id alone; a leg past the bound would take the next call's ids, so it is
refused with `TooManyLegs`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mockpbx.core.errors import InvalidState, TooManyLegs
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
    "LEGS_PER_CALL",
    "MAX_CALL_SECONDS",
    "Party",
    "Target",
    "add_routed_leg",
    "add_transfer",
    "add_transfer_leg",
    "build_callback",
    "build_incoming",
    "build_outgoing",
    "build_two_party",
    "call_of_leg",
    "leg_id",
    "renumber",
]

MAX_CALL_SECONDS = 4 * 3600  # no planned call is longer; bounds live-call scans

LEGS_PER_CALL = 10  # leg ids are call_id * LEGS_PER_CALL + index


@dataclass(frozen=True, slots=True)
class Target:
    """An employee's SIP line that a call may ring."""

    line: SipLine
    employee: Employee


def leg_id(call_id: int, index: int) -> int:
    """The id of leg `index` of call `call_id`; TooManyLegs past LEGS_PER_CALL legs."""
    if index >= LEGS_PER_CALL:
        raise TooManyLegs(f"a call has at most {LEGS_PER_CALL} legs")
    return call_id * LEGS_PER_CALL + index


def call_of_leg(leg: int) -> int:
    """The id of the call a leg id belongs to (the inverse of `leg_id`)."""
    return leg // LEGS_PER_CALL


def renumber(calls: Iterable[Call], first_id: int) -> None:
    """Give laid-out calls the ids `first_id`, `first_id + 1`, ...: legs and their links follow.

    Generators lay calls out under id 0 and number a day's calls once they
    are sorted (one loop: it runs for every generated call). Every leg keeps
    its index, so its id stays `leg_id(call.id, index)`.
    """
    for call_id, call in enumerate(calls, first_id):
        shift = (call_id - call.id) * LEGS_PER_CALL
        call.id = call_id
        for leg in call.legs:
            leg.id += shift
            if leg.taken_from_leg_id is not None:
                leg.taken_from_leg_id += shift


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
        id=leg_id(call_id, 0),
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
        id=leg_id(call.id, index),
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
        id=leg_id(call_id, 0),
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
        id=leg_id(call_id, 1),
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


# -- two-party calls: callbacks, simple calls, group callbacks ------------------------
_NO_SUCCESS = {
    LegRole.EMPLOYEE: "no_success_operator_call",
    LegRole.CONTACT: "no_success_subscriber_call",
}
_NOT_RESPONSIBLE = {
    LegRole.EMPLOYEE: "operator_not_responsible",
    LegRole.CONTACT: "subscriber_not_responsible",
}


@dataclass(frozen=True, slots=True)
class Party:
    """One side of a two-party call: the leg the PBX dials, and whose it is."""

    role: LegRole
    calling_number: str
    called_number: str
    employee_id: int | None = None
    sip_line_id: int | None = None

    @classmethod
    def employee(cls, target: Target, calling_number: str, called_number: str = "") -> Party:
        """The employee's side, on `target`'s line (`called_number`: another phone of theirs)."""
        return cls(
            LegRole.EMPLOYEE,
            calling_number,
            called_number or target.line.login,
            target.employee.id,
            target.line.id,
        )


def build_two_party(
    call_id: int,
    *,
    start: int,
    first: Party,
    second: Party,
    first_ring: int,
    first_answers: bool,
    second_ring: int,
    second_answers: bool,
    talk: int,
    contact: str,
    caller_id: str | None,
    direction: Direction = Direction.OUT,
    source: str = "callapi",
    external_id: str | None = None,
    clinic_id: int = 1,
    recorded: bool = True,
    second_takes_over: bool = False,
) -> Call:
    """A call the PBX places: it rings `first` and, once they answer, `second`.

    A party that does not answer ends the call with its role's "no success"
    reason; once both talk, the call lasts `talk` seconds. With
    `second_takes_over` the second leg continues the first (Mango's
    `taken_from_call_id`), as when a group answers a contact dialled first.
    """
    one = _party_leg(leg_id(call_id, 0), first, start, first_ring)
    call = Call(
        id=call_id,
        kind=CallKind.CALLBACK,
        direction=direction,
        source=source,
        start_ts=start,
        end_ts=one.end_ts,
        contact_number=contact,
        virtual_number=caller_id,
        legs=[one],
        finish_reason=_NO_SUCCESS[first.role],
        external_id=external_id,
        clinic_id=clinic_id,
        recorded=recorded,
    )
    if not first_answers:
        return call
    one.answer_ts = dial_from = one.end_ts
    two = _party_leg(leg_id(call_id, 1), second, dial_from, second_ring)
    if second_takes_over:
        two.taken_from_leg_id = one.id
    call.legs.append(two)
    if second_answers:
        two.answer_ts = call.answer_ts = dial_from + second_ring
        end = two.answer_ts + max(talk, 1)
        call.finish_reason = one.finish_reason = two.finish_reason = "subscriber_disconnects"
    else:
        end = dial_from + second_ring
        call.finish_reason = _NO_SUCCESS[second.role]
        one.finish_reason = _NOT_RESPONSIBLE[second.role]
    call.end_ts = one.end_ts = two.end_ts = end
    return call


def _party_leg(id_: int, party: Party, start: int, ring: int) -> Leg:
    return Leg(
        id=id_,
        role=party.role,
        calling_number=party.calling_number,
        called_number=party.called_number,
        start_ts=start,
        end_ts=start + ring,
        employee_id=party.employee_id,
        sip_line_id=party.sip_line_id,
        finish_reason=_NOT_RESPONSIBLE[party.role],
    )


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
    return build_two_party(
        call_id,
        start=start,
        first=Party.employee(target, caller_id or contact, employee_number or ""),
        second=Party(LegRole.CONTACT, caller_id or target.line.login, contact),
        first_ring=employee_ring,
        first_answers=employee_answers,
        second_ring=contact_ring,
        second_answers=contact_answers,
        talk=talk,
        contact=contact,
        caller_id=caller_id,
        direction=direction,
        source=source,
        external_id=external_id,
        clinic_id=clinic_id,
        recorded=recorded,
    )


# -- legs added to a call in progress: transfers, routing ------------------------------
def add_transfer(call: Call, target: Target, *, at: int, ring: int, kind: str = "blind") -> Leg:
    """Plan a transfer of a talking call to `target` at `at` (generators; live: `actions`).

    The transferred-to employee rings `ring` seconds, answers, and talks for
    the rest of the planned conversation (ending as the plan had it); the
    employee who talked last hangs up at `at` (blind) or once the new leg
    answers (consultative).
    """
    current = call.last_answered_leg()
    if call.answer_ts is None or current is None or not call.answer_ts <= at < call.end_ts:
        raise InvalidState("only a call in conversation can be transferred")
    new = add_transfer_leg(
        call,
        target,
        at=at,
        ring=ring,
        kind=kind,
        taken_from=current.id,
        finish_reason=call.finish_reason,
    )
    current.end_ts = at if kind == "blind" else at + ring
    current.finish_reason = "transfer_disconnects"
    return new


def add_transfer_leg(
    call: Call,
    target: Target,
    *,
    at: int,
    ring: int,
    kind: str,
    taken_from: int | None,
    finish_reason: str,
) -> Leg:
    """The leg of `target` taking a talking call over at `at`; the call now ends with it.

    It rings `ring` seconds and talks what was left of the call (at least 10
    seconds); the contact's legs last until the new end. Ending the legs it
    takes over is the caller's part (planned or live).
    """
    talk_left = max(call.end_ts - at, 10)
    new = Leg(
        id=leg_id(call.id, len(call.legs)),
        role=LegRole.EMPLOYEE,
        calling_number=call.contact_number,
        called_number=target.line.login,
        start_ts=at,
        end_ts=at + ring + talk_left,
        answer_ts=at + ring,
        employee_id=target.employee.id,
        sip_line_id=target.line.id,
        finish_reason=finish_reason,
        is_transferred=True,
        transfer_kind=kind,
        taken_from_leg_id=taken_from,
    )
    call.legs.append(new)
    call.end_ts = new.end_ts
    call.transferred = True
    for leg in call.legs:
        if leg.role is LegRole.CONTACT:
            leg.end_ts = call.end_ts
    return new


def add_routed_leg(
    call: Call, target: Target, *, at: int, answer: int, talk: int, taken_from: int
) -> Leg:
    """The leg of `target`, rung from `at`, that answers at `answer` and talks `talk` seconds.

    The call (and the contact's first leg) now ends with it; the legs it
    replaces are stopped or dropped by the caller (`actions.route_call`).
    """
    new = Leg(
        id=leg_id(call.id, len(call.legs)),
        role=LegRole.EMPLOYEE,
        calling_number=call.legs[0].calling_number,
        called_number=target.line.login,
        start_ts=at,
        end_ts=answer + max(talk, 1),
        answer_ts=answer,
        employee_id=target.employee.id,
        sip_line_id=target.line.id,
        finish_reason="subscriber_disconnects",
        taken_from_leg_id=taken_from,
    )
    call.legs.append(new)
    call.answer_ts, call.end_ts = answer, new.end_ts
    call.finish_reason = "subscriber_disconnects"
    call.legs[0].end_ts = call.end_ts
    return new
