"""A world call as Mango sees it: its legs (`call_id`s), their state changes, their parties.

Mango splits a call differently from the world: an incoming call is first an
IVR leg (the contact in the voice menu, `location: ivr`), then one leg per
employee rung (`location: abonent`, `from.taken_from_call_id` = the IVR leg);
a callback is leg 1 ringing the employee (shown *from* the target number) and
leg 2 from the employee to the target; a transfer adds a leg taken from the
transferring one. Everything is derived from the call plan, so events,
CSV rows and extended stats agree with each other and with the other faces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockpbx.core.model import Call, CallKind, Leg, LegRole
from mockpbx.providers.mango.directory import Lookup, group_extension
from mockpbx.providers.mango.ids import mango_call_id

__all__ = ["MLeg", "Step", "disconnect_code", "leg_timing", "mango_call_id", "mango_legs"]


@dataclass(slots=True)
class Step:
    """One `events/call` of a leg: its time, state and what differs from the leg's parties."""

    ts: int
    state: str  # Appeared | Connected | OnHold | Disconnected
    party_from: dict[str, Any] | None = None  # replaces the leg's `from` from this step on
    transfer: str | None = None


@dataclass(slots=True)
class MLeg:
    call_id: str
    world_leg: Leg
    location: str  # ivr | abonent
    start: int
    end: int
    answer: int | None
    party_from: dict[str, Any]
    party_to: dict[str, Any]
    reason: int
    employee_id: int | None = None
    transfer: str | None = None
    steps: list[Step] = field(default_factory=list)

    @property
    def duration(self) -> int:
        return self.end - self.start

    @property
    def talk(self) -> int:
        return 0 if self.answer is None else self.end - self.answer


# finish reason -> who ended the leg: the contact, the employee, or a fixed code
_ENDER = {
    "subscriber_disconnects": "contact",
    "employee_busy": "contact",
    "operator_disconnects": "employee",
    "transfer_disconnects": "employee",
}
_FIXED = {
    "operator_not_responsible": 1111,
    "subscriber_not_responsible": 1111,
    "no_success_operator_call": 1111,
    "no_success_subscriber_call": 1111,
    "timeout": 1111,
    "another_operator_answer": 1182,
    "rerouted": 1181,
    "no_operation": 1170,
}


def disconnect_code(reason: str, from_is_contact: bool) -> int:
    """Mango's disconnect_reason: 1110 when the `from` side hung up, 1120 for the `to` side."""
    if reason in _FIXED:
        return _FIXED[reason]
    ender = _ENDER.get(reason, "contact")
    return 1110 if (ender == "contact") == from_is_contact else 1120


def leg_timing(start: int, answer: int | None, end: int) -> dict[str, Any]:
    """The timing fields of an extended-stats item (start, answer, end and the durations)."""
    return {
        "call_start_time": start,
        "call_answer_time": answer,
        "call_end_time": end,
        "call_duration": end - start,
        "talk_duration": 0 if answer is None else end - answer,
        "dial_duration": (answer if answer is not None else end) - start,
        "hold_duration": None,
    }


def mango_legs(call: Call, look: Lookup, *, steps: bool = True) -> list[MLeg]:
    """The Mango legs of `call`, in start order, each with its state changes.

    Without `steps` (history renderings) plain legs skip their state changes.
    """
    first = call.legs[0]
    if call.kind is CallKind.OUTGOING:
        legs = [_outgoing_leg(call, look)]
    elif first.role is LegRole.CONTACT and call.kind is CallKind.INCOMING:
        legs = _incoming_legs(call, look)
    elif first.role is LegRole.CONTACT:
        legs = _contact_first_legs(call, look)
    else:
        legs = _callback_legs(call, look)
    _add_transfers(call, look, legs)
    if steps:
        for leg in legs:
            if not leg.steps:
                leg.steps = _plain_steps(leg)
    return legs


def _employee_party(leg: Leg, look: Lookup, *, acd: str | None = None) -> dict[str, Any]:
    party: dict[str, Any] = {}
    emp = look.employees.get(leg.employee_id) if leg.employee_id is not None else None
    if emp is not None:
        party["extension"] = emp.extension
    line = look.lines.get(leg.sip_line_id) if leg.sip_line_id is not None else None
    party["number"] = look.sip_uri(line) or leg.called_number
    if acd is not None:
        party["acd_group"] = acd
    return party


def _incoming_legs(call: Call, look: Lookup) -> list[MLeg]:
    contact, line = call.legs[0], call.virtual_number or call.legs[0].called_number
    rung = [lg for lg in call.legs[1:] if not lg.is_transferred]
    ivr_end = rung[0].start_ts if rung else call.end_ts
    ivr_reason = 1100 if rung else disconnect_code(call.finish_reason, True)
    ivr = MLeg(
        call_id=mango_call_id(contact.id),
        world_leg=contact,
        location="ivr",
        start=call.start_ts,
        end=ivr_end,
        answer=None,
        party_from={"number": call.contact_number},
        party_to={"number": line, "line_number": line},
        reason=ivr_reason,
    )
    out = [ivr]
    acd = group_extension(call.clinic_id)
    for leg in rung:
        to = _employee_party(leg, look, acd=acd)
        to["line_number"] = line
        reason = _employee_leg_reason(call, leg)
        taken = leg.taken_from_leg_id if leg.taken_from_leg_id is not None else contact.id
        out.append(
            MLeg(
                call_id=mango_call_id(leg.id),
                world_leg=leg,
                location="abonent",
                start=leg.start_ts,
                end=leg.end_ts,
                answer=leg.answer_ts,
                party_from={
                    "number": call.contact_number,
                    "taken_from_call_id": mango_call_id(taken),
                },
                party_to=to,
                reason=reason,
                employee_id=leg.employee_id,
            )
        )
    return out


def _employee_leg_reason(call: Call, leg: Leg) -> int:
    gave_up = (
        leg.answer_ts is None
        and leg.end_ts == call.end_ts
        and call.finish_reason in ("subscriber_disconnects", "employee_busy")
    )
    return 1110 if gave_up else disconnect_code(leg.finish_reason, True)


def _outgoing_leg(call: Call, look: Lookup) -> MLeg:
    emp = call.legs[0]
    out = next((lg for lg in call.legs if lg.role is LegRole.CONTACT), emp)
    return MLeg(
        call_id=mango_call_id(emp.id),
        world_leg=emp,
        location="abonent",
        start=call.start_ts,
        end=min(emp.end_ts, out.end_ts) if out is not emp else emp.end_ts,
        answer=out.answer_ts if out is not emp else None,
        party_from=_employee_party(emp, look),
        party_to={"number": call.contact_number},
        reason=disconnect_code(out.finish_reason, False),
        employee_id=emp.employee_id,
    )


def _callback_legs(call: Call, look: Lookup) -> list[MLeg]:
    """Leg 1 rings the employee (shown from the target); leg 2 dials the target."""
    emp = call.legs[0]
    out = next((lg for lg in call.legs if lg.role is LegRole.CONTACT), None)
    moved = out is not None and out.start_ts < emp.end_ts
    leg1 = MLeg(
        call_id=mango_call_id(emp.id),
        world_leg=emp,
        location="abonent",
        start=emp.start_ts,
        end=out.start_ts if (out is not None and moved) else emp.end_ts,
        answer=emp.answer_ts,
        party_from={"number": call.contact_number},
        party_to=_employee_party(emp, look),
        reason=1000 if moved else disconnect_code(emp.finish_reason, True),
        employee_id=emp.employee_id,
    )
    if out is None or not moved:
        return [leg1]
    leg2_from = {**_employee_party(emp, look), "taken_from_call_id": leg1.call_id}
    leg2 = MLeg(
        call_id=mango_call_id(out.id),
        world_leg=out,
        location="abonent",
        start=out.start_ts,
        end=out.end_ts,
        answer=out.answer_ts,
        party_from=leg2_from,
        party_to={"number": call.contact_number},
        reason=disconnect_code(out.finish_reason, False),
        employee_id=emp.employee_id,
    )
    return [leg1, leg2]


def _contact_first_legs(call: Call, look: Lookup) -> list[MLeg]:
    """Leg 1 dials the contact from the line; leg 2 brings the contact to the employee."""
    out = call.legs[0]
    emp = next((lg for lg in call.legs[1:] if lg.role is LegRole.EMPLOYEE), None)
    moved = emp is not None and emp.start_ts < out.end_ts
    line = call.virtual_number or out.calling_number
    leg1 = MLeg(
        call_id=mango_call_id(out.id),
        world_leg=out,
        location="abonent",
        start=out.start_ts,
        end=emp.start_ts if (emp is not None and moved) else out.end_ts,
        answer=out.answer_ts,
        party_from={"number": line},
        party_to={"number": call.contact_number},
        reason=1000 if moved else disconnect_code(out.finish_reason, False),
    )
    if emp is None or not moved:
        return [leg1]
    to = _employee_party(emp, look, acd=group_extension(call.clinic_id))
    leg2 = MLeg(
        call_id=mango_call_id(emp.id),
        world_leg=emp,
        location="abonent",
        start=emp.start_ts,
        end=emp.end_ts,
        answer=emp.answer_ts,
        party_from={"number": call.contact_number, "taken_from_call_id": leg1.call_id},
        party_to=to,
        reason=disconnect_code(emp.finish_reason, True),
        employee_id=emp.employee_id,
    )
    return [leg1, leg2]


def _add_transfers(call: Call, look: Lookup, legs: list[MLeg]) -> None:
    by_world = {lg.world_leg.id: lg for lg in legs}
    for leg in call.legs:
        if not leg.is_transferred:
            continue
        old = by_world.get(leg.taken_from_leg_id) if leg.taken_from_leg_id is not None else None
        new = _transfer_leg(call, leg, old, look)
        legs.append(new)
        by_world[leg.id] = new


def _transfer_leg(call: Call, leg: Leg, old: MLeg | None, look: Lookup) -> MLeg:
    contact = {"number": call.contact_number}
    if old is not None:
        contact["taken_from_call_id"] = old.call_id
    to = _employee_party(leg, look)
    if call.virtual_number and call.kind is CallKind.INCOMING:
        to["line_number"] = call.virtual_number
    new = MLeg(
        call_id=mango_call_id(leg.id),
        world_leg=leg,
        location="abonent",
        start=leg.start_ts,
        end=leg.end_ts,
        answer=leg.answer_ts,
        party_from=contact,
        party_to=to,
        reason=disconnect_code(leg.finish_reason, True),
        employee_id=leg.employee_id,
        transfer="consultative" if leg.transfer_kind == "consultative" else "blind",
    )
    if old is not None:
        old.reason = 1120
        old.steps = _plain_steps(old)
        old.steps.insert(-1, Step(leg.start_ts, "OnHold"))
    if new.transfer == "consultative" and old is not None and new.answer is not None:
        initiator = {**old.party_to, "taken_from_call_id": old.call_id}
        initiator.pop("line_number", None)
        initiator.pop("acd_group", None)
        new.party_from = initiator
        new.steps = _plain_steps(new)
        new.steps.insert(-1, Step(old.end, "Connected", party_from=contact, transfer="blind"))
    return new


def _plain_steps(leg: MLeg) -> list[Step]:
    steps = [Step(leg.start, "Appeared", transfer=leg.transfer)]
    if leg.answer is not None and leg.answer < leg.end:
        steps.append(Step(leg.answer, "Connected", transfer=leg.transfer))
    steps.append(Step(leg.end, "Disconnected", transfer=leg.transfer))
    return steps
