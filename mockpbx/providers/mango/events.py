"""The events Mango posts about a call, derived from its plan and timed by its legs.

For every call: `events/call` per leg state change (seq counts per leg),
`events/dtmf` for the menu choice of an incoming call, `events/recording`
Started/Completed and `events/record/added` for a recorded conversation, and
one final `events/summary`. Events are pure functions of the call (plus the
commands that created legs), so the dispatcher can re-derive them at any
time and pick those whose time has come.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mockpbx.core.model import Call, CallKind, Direction, LegRole
from mockpbx.providers.mango.directory import Lookup, dct_of
from mockpbx.providers.mango.ids import mango_entry_id, mango_recording_id
from mockpbx.providers.mango.legs import MLeg, Step, mango_legs

__all__ = ["CommandOf", "Event", "call_events", "summary"]

# (call, world leg id or None) -> the command_id that created it, if any
CommandOf = Callable[[Call, int | None], str | None]

_ORDER = {"events/dtmf": 0, "events/call": 1, "events/recording": 2, "events/summary": 3}


@dataclass(frozen=True, slots=True)
class Event:
    ts: int
    path: str
    payload: dict[str, Any]
    key: str  # unique per event of a call: what the dispatcher de-duplicates on
    order: tuple[int, int, int] = (0, 0, 0)

    def sort_key(self) -> tuple[int, int, int, int]:
        return (self.ts, *self.order)


def _no_command(call: Call, leg_id: int | None) -> str | None:
    return None


def call_events(
    call: Call,
    look: Lookup,
    *,
    command_of: CommandOf = _no_command,
    record_added_delay: int = 10,
    recording: tuple[int, str | None] | None = None,
) -> list[Event]:
    """Every event of `call` (past and planned), in delivery order.

    `recording` is (time, command_id) when commands/recording/start turned it on.
    """
    entry = mango_entry_id(call.id)
    legs = mango_legs(call, look)
    dct = dct_of(call, look.world) if call.kind is CallKind.INCOMING else None
    callback = call.kind is CallKind.CALLBACK
    events: list[Event] = []
    for index, leg in enumerate(legs):
        command = command_of(call, leg.world_leg.id)
        for seq, step in enumerate(leg.steps, start=1):
            payload = _call_payload(entry, leg, step, seq, dct, command, callback)
            key = f"call:{leg.call_id}:{seq}"
            events.append(Event(step.ts, "events/call", payload, key, (1, index, seq)))
    if legs and legs[0].location == "ivr" and len(legs) > 1:
        events.append(_dtmf(entry, call, legs[0]))
    if call.has_recording:
        events.extend(_recording(entry, call, legs, look, recording))
        events.append(_record_added(entry, call, legs, look, record_added_delay))
    events.append(
        Event(call.end_ts, "events/summary", summary(call, legs, look), "summary", (3, 0, 0))
    )
    events.sort(key=Event.sort_key)
    return events


def _call_payload(
    entry: str,
    leg: MLeg,
    step: Step,
    seq: int,
    dct: dict[str, Any] | None,
    command: str | None,
    callback: bool,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "entry_id": entry,
        "call_id": leg.call_id,
        "timestamp": step.ts,
        "seq": seq,
        "call_state": step.state,
        "location": leg.location,
        "from": dict(step.party_from if step.party_from is not None else _from_at(leg, step)),
        "to": dict(leg.party_to),
    }
    if dct is not None:
        payload["dct"] = dct
    if step.state == "Disconnected":
        payload["disconnect_reason"] = leg.reason
    if step.state == "OnHold":  # API v2: the employee who put the call on hold
        side = "to" if "extension" in payload["to"] else "from"
        payload[side]["hold_initiator"] = True
    transfer = step.transfer
    if transfer is not None:
        payload["transfer"] = transfer
    if command is not None:
        payload["command_id"] = command
        if callback:
            payload["callback_initiator"] = "API"
    return payload


def _from_at(leg: MLeg, step: Step) -> dict[str, Any]:
    """The leg's `from` at `step`: a later step keeps a party replaced by an earlier one."""
    current = leg.party_from
    for s in leg.steps:
        if s is step:
            break
        if s.party_from is not None:
            current = s.party_from
    return current


def _dtmf(entry: str, call: Call, ivr: MLeg) -> Event:
    line = ivr.party_to["number"]
    payload = {
        "seq": 1,
        "dtmf": str(1 + call.id % 3),  # the menu item the caller chose
        "timestamp": max(ivr.end - 1, ivr.start),
        "call_id": ivr.call_id,
        "entry_id": entry,
        "location": "ivr",
        "initiator": call.contact_number,
        "from_number": call.contact_number,
        "to_number": line,
        "line_number": line,
    }
    return Event(payload["timestamp"], "events/dtmf", payload, "dtmf:1", (0, 0, 1))


def _talking_leg(legs: list[MLeg]) -> MLeg | None:
    pool = _talking_legs(legs)
    return pool[-1] if pool else None


def _recording(
    entry: str,
    call: Call,
    legs: list[MLeg],
    look: Lookup,
    recording: tuple[int, str | None] | None,
) -> list[Event]:
    """Started on the first talking leg, Continued on each leg a transfer moves it to, Completed."""
    talking = _talking_legs(legs)
    if not talking or call.answer_ts is None:
        return []
    started, command = recording or (call.answer_ts, None)
    start_ts = max(started, call.answer_ts)
    steps = [(start_ts, "Started", talking[0])]
    steps += [
        (lg.answer or lg.start, "Continued", lg)
        for lg in talking[1:]
        if (lg.answer or 0) > start_ts
    ]
    steps.append((call.end_ts, "Completed", talking[-1]))
    events = []
    for seq, (ts, state, leg) in enumerate(steps, start=1):
        emp = look.employees.get(leg.employee_id) if leg.employee_id is not None else None
        payload: dict[str, Any] = {
            "recording_id": mango_recording_id(call.id),
            "recording_state": state,
            "seq": seq,
            "entry_id": entry,
            "call_id": leg.call_id,
            "extension": emp.extension if emp else "",
            "timestamp": ts,
        }
        if command and seq == 1:
            payload["command_id"] = command
        if state == "Completed":
            payload.update(completion_code=1000, recipient="Cloud")
        events.append(Event(ts, "events/recording", payload, f"recording:{seq}", (2, 0, seq)))
    return events


def _talking_legs(legs: list[MLeg]) -> list[MLeg]:
    answered = [lg for lg in legs if lg.answer is not None and lg.location == "abonent"]
    return [lg for lg in answered if lg.employee_id is not None] or answered


def _record_added(entry: str, call: Call, legs: list[MLeg], look: Lookup, delay: int) -> Event:
    leg = _talking_leg(legs)
    emp = look.employees.get(leg.employee_id) if leg and leg.employee_id is not None else None
    ts = call.end_ts + delay
    payload = {
        "entry_id": entry,
        "product_id": look.world.account.product_id,
        "user_id": emp.mango_user_id if emp else -1,
        "timestamp": ts,
        "recording_id": mango_recording_id(call.id),
    }
    return Event(ts, "events/record/added", payload, "record_added", (4, 0, 0))


def summary(call: Call, legs: list[MLeg], look: Lookup) -> dict[str, Any]:
    """events/summary of a finished call."""
    incoming = call.direction is Direction.IN and call.legs[0].role is LegRole.CONTACT
    abonent = [lg for lg in legs if lg.location == "abonent"]
    answered = [lg for lg in abonent if lg.answer is not None and lg.employee_id is not None]
    pool = answered or [lg for lg in abonent if lg.employee_id is not None]
    party = pool[0] if pool else None
    employee = look.employees.get(party.employee_id) if party and party.employee_id else None
    emp_party = (party.party_to if incoming else party.party_from) if party else {}
    emp_side = {k: v for k, v in emp_party.items() if k in ("extension", "number")}
    contact = {"number": call.contact_number}
    line = call.virtual_number
    payload: dict[str, Any] = {
        "entry_id": mango_entry_id(call.id),
        "call_direction": 1 if incoming else 2,
        "from": contact if incoming else emp_side,
        "to": emp_side if incoming else contact,
        "line_number": line,
        "create_time": call.start_ts,
        "forward_time": _forward_time(call, legs, incoming),
        "talk_time": call.answer_ts or 0,
        "end_time": call.end_ts,
        "entry_result": 1 if call.answer_ts is not None else 0,
        "disconnect_reason": max(legs, key=lambda lg: lg.end).reason if legs else 1100,
    }
    if incoming:
        payload["dct"] = dct_of(call, look.world)
    if employee is None and incoming:
        payload["to"] = {}
    if line is None:
        del payload["line_number"]
    return payload


def _forward_time(call: Call, legs: list[MLeg], incoming: bool) -> int:
    if not incoming:
        return call.start_ts
    if call.answer_ts is None:
        return 0
    rung = [lg for lg in legs if lg.location == "abonent"]
    return rung[0].start if rung else 0
