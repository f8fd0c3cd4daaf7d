"""Hot-path twins of `core.calls.build_incoming` / `build_outgoing` for bulk generation.

Generating a year of a ten-clinic network means millions of calls; the
core builders take keyword arguments and build dataclasses by keyword,
which costs about half of the generation time. These twins build the very
same calls and legs with `object.__new__` and every slot set directly (no
class call, no keywords; the most common legs inline).
`tests/mockpbx/scenarios/test_fastcalls.py` proves they agree with the core
builders field for field on randomized inputs (a slot left unset fails
there), also once a call is transferred (`core.calls.add_transfer`) and
numbered (`core.calls.renumber`), so the core stays the one definition of
how a call is laid out. Like the core they lay a call out under id 0, so
leg `index` has the id `leg_id(0, index) == index`, and refuse a leg past
`LEGS_PER_CALL` with the same `TooManyLegs`.
"""

from __future__ import annotations

from collections.abc import Sequence

from mockpbx.core.calls import LEGS_PER_CALL, Target, leg_id
from mockpbx.core.model import Call, CallKind, Direction, Leg, LegRole, Visit

__all__ = ["fast_incoming", "fast_outgoing"]

_CONTACT, _EMPLOYEE = LegRole.CONTACT, LegRole.EMPLOYEE
_INCOMING, _OUTGOING, _IN, _OUT = CallKind.INCOMING, CallKind.OUTGOING, Direction.IN, Direction.OUT
_new = object.__new__


# The dataclasses' own __init__ costs a class call per object (half again the
# time of setting the slots). These set every field, defaults included; the
# field-for-field tests against the core builders fail if a field is left out.
def _leg(
    leg_id: int,
    role: LegRole,
    calling: str,
    called: str,
    start: int,
    end: int,
    answer: int | None,
    employee_id: int | None,
    sip_line_id: int | None,
    reason: str,
) -> Leg:
    """`Leg(leg_id, role, ..., reason)`, built without the class call."""
    leg = _new(Leg)
    leg.id, leg.role, leg.calling_number, leg.called_number = leg_id, role, calling, called
    leg.start_ts, leg.end_ts, leg.answer_ts = start, end, answer
    leg.employee_id, leg.sip_line_id, leg.finish_reason = employee_id, sip_line_id, reason
    leg.is_transferred, leg.transfer_kind, leg.taken_from_leg_id = False, None, None
    return leg


def _call(
    kind: CallKind,
    direction: Direction,
    source: str,
    start: int,
    end: int,
    contact: str,
    virtual_number: str | None,
    legs: list[Leg],
    reason: str,
    clinic_id: int,
    visit: Visit | None,
    recorded: bool,
) -> Call:
    """`Call(0, kind, ..., recorded)` (no answer yet), built without the class call."""
    call = _new(Call)
    call.id, call.kind, call.direction, call.source = 0, kind, direction, source
    call.start_ts, call.end_ts, call.contact_number = start, end, contact
    call.virtual_number, call.legs, call.answer_ts, call.finish_reason = (
        virtual_number, legs, None, reason
    )  # fmt: skip
    call.clinic_id, call.visit, call.recorded = clinic_id, visit, recorded
    call.external_id, call.call_api_request_id, call.history_delay = None, None, 0
    call.transferred, call.callback_of = False, None
    return call


def fast_incoming(
    start: int,
    contact: str,
    virtual_number: str,
    targets: Sequence[Target],
    answered_by: int | None,
    answer_delay: int,
    talk: int,
    strategy: str,
    ring_seconds: int,
    patience: int,
    contact_hangs_up: bool,
    source: str,
    visit: Visit | None,
    clinic_id: int,
    recorded: bool,
    closed: bool,
    ivr_seconds: int = 3,
) -> Call:
    """`build_incoming(0, ...)` with the same arguments, built faster (call id 0)."""
    # as `_leg(0, ...)` and `_call(...)`, inline: once per generated call
    c0 = _new(Leg)
    c0.id, c0.role, c0.calling_number, c0.called_number = 0, _CONTACT, contact, virtual_number
    c0.start_ts = c0.end_ts = c0.answer_ts = start
    c0.employee_id = c0.sip_line_id = c0.transfer_kind = c0.taken_from_leg_id = None
    c0.finish_reason, c0.is_transferred = "subscriber_disconnects", False
    call = _new(Call)
    call.id, call.kind, call.direction, call.source = 0, _INCOMING, _IN, source
    call.start_ts = call.end_ts = start
    call.contact_number, call.virtual_number, call.legs = contact, virtual_number, [c0]
    call.answer_ts = call.external_id = call.call_api_request_id = call.callback_of = None
    call.finish_reason, call.clinic_id, call.visit = "subscriber_disconnects", clinic_id, visit
    call.recorded, call.history_delay, call.transferred = recorded, 0, False
    if closed:
        c0.end_ts = call.end_ts = start + ivr_seconds + 12
        call.finish_reason = c0.finish_reason = "no_operation"
        return call
    give_up = start + max(patience, ivr_seconds + 1)
    if not targets:
        c0.end_ts = call.end_ts = give_up
        call.finish_reason = c0.finish_reason = "employee_busy"
        return call
    if len(targets) >= LEGS_PER_CALL:  # build_incoming's leg ids refuse a leg past the bound
        _check_bound(targets, answered_by, strategy)
    ring_from = start + ivr_seconds
    if strategy == "simultaneous":
        _simultaneous(call, targets, ring_from, ring_seconds, answered_by, answer_delay)
    else:  # as `_sequential(...)`, inline: most calls ring one line after another
        legs, t, caller = call.legs, ring_from, virtual_number or contact
        for i, target in enumerate(targets):
            line = target.line
            leg = _new(Leg)
            leg.id, leg.role, leg.calling_number, leg.called_number = (
                i + 1, _EMPLOYEE, caller, line.login
            )  # fmt: skip
            leg.employee_id, leg.sip_line_id, leg.start_ts = target.employee.id, line.id, t
            leg.is_transferred, leg.transfer_kind, leg.taken_from_leg_id = False, None, None
            legs.append(leg)
            if i == answered_by:
                leg.end_ts = leg.answer_ts = call.answer_ts = t + answer_delay
                leg.finish_reason = "operator_answer"
                break
            t += ring_seconds
            leg.end_ts, leg.answer_ts, leg.finish_reason = t, None, "operator_not_responsible"
        else:
            call.end_ts = t
    answer = call.answer_ts
    if answer is None or answer > give_up:
        _hang_up(call, give_up)
        call.finish_reason = c0.finish_reason = (
            "subscriber_disconnects" if call.end_ts == give_up else "timeout"
        )
    else:
        end = answer + (talk if talk > 1 else 1)
        reason = "subscriber_disconnects" if contact_hangs_up else "operator_disconnects"
        # the legs that answered: the contact's and the answering employee's, no other
        assert answered_by is not None  # a call is answered only by the one who answers
        answering = call.legs[answered_by + 1]
        answering.end_ts = c0.end_ts = call.end_ts = end
        answering.finish_reason = c0.finish_reason = call.finish_reason = reason
    c0.end_ts = call.end_ts
    return call


def _check_bound(targets: Sequence[Target], answered_by: int | None, strategy: str) -> None:
    """TooManyLegs where `build_incoming` raises it: if the last leg rung passes the bound."""
    last = len(targets)  # the contact's leg is 0, target i rings on leg i + 1
    if strategy != "simultaneous" and answered_by is not None:
        last = min(answered_by + 1, last)
    leg_id(0, last)


def _simultaneous(
    call: Call,
    targets: Sequence[Target],
    ring_from: int,
    ring_seconds: int,
    answered_by: int | None,
    answer_delay: int,
) -> None:
    stop = ring_from + (answer_delay if answered_by is not None else ring_seconds)
    other = "another_operator_answer" if answered_by is not None else "operator_not_responsible"
    legs, caller = call.legs, call.virtual_number or call.contact_number
    for i, target in enumerate(targets):
        line = target.line
        answered = i == answered_by
        legs.append(
            _leg(i + 1, _EMPLOYEE, caller, line.login, ring_from, stop,
                 stop if answered else None, target.employee.id, line.id,
                 "operator_answer" if answered else other)
        )  # fmt: skip
    if answered_by is not None:
        call.answer_ts = stop
    call.end_ts = stop


def _hang_up(call: Call, give_up: int) -> None:
    """Nobody answered in time (same as core.calls._hang_up_waiting)."""
    legs = call.legs
    end = min(give_up, max(leg.end_ts for leg in legs))
    call.answer_ts = None
    kept = [legs[0]]
    for leg in legs[1:]:
        if leg.start_ts >= end:
            leg.start_ts = leg.end_ts = end
        if leg.end_ts > end:
            leg.end_ts = end
        leg.answer_ts = None
        leg.finish_reason = "operator_not_responsible"
        if leg.end_ts > leg.start_ts:
            kept.append(leg)
    call.legs = kept
    call.end_ts = end


def fast_outgoing(
    start: int,
    target: Target,
    contact: str,
    caller_id: str,
    ring: int,
    talk: int | None,
    clinic_id: int,
    recorded: bool,
) -> Call:
    """`build_outgoing(0, ...)` with the same arguments, built faster (call id 0)."""
    line, end = target.line, start + ring
    emp = _leg(0, _EMPLOYEE, line.login, contact, start, end, start, target.employee.id,
               line.id, "operator_disconnects")  # fmt: skip
    out = _leg(1, _CONTACT, caller_id, contact, start, end, None, None, None,
               "subscriber_not_responsible")  # fmt: skip
    call = _call(_OUTGOING, _OUT, "sip", start, end, contact, caller_id, [emp, out],
                 "subscriber_not_responsible", clinic_id, None, recorded)  # fmt: skip
    if talk is not None:
        out.answer_ts = call.answer_ts = end
        call.end_ts = emp.end_ts = out.end_ts = end + (talk if talk > 1 else 1)
        call.finish_reason = emp.finish_reason = out.finish_reason = "operator_disconnects"
    return call
