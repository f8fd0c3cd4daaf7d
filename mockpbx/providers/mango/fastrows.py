"""Fast twins of the history renderings in stats.py, for the common calls (proven equal).

A month of a network's history is ~30,000 calls. The generic path builds each
call's Mango legs (`MLeg` objects with party dicts) and an events/summary only
to read a few of their fields. For a *plain incoming* call (the voice menu,
then the employees rung, no transfer) and a *plain outgoing* call (no transfer),
`Fast` computes the same CSV values and extended-stats items straight from the
world's legs, with per-request caches of the directory (SIP URIs, employees,
groups). Every other call (callbacks, contact-first calls, transfers) returns
None here and goes through the generic code. tests/mockpbx/mango/test_fastrows.py
checks that both agree on every call of several scenarios, and the stats golden
digests pin the bodies.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from mockpbx.core.model import Call, CallKind, Direction, Employee, Leg, LegRole
from mockpbx.providers.mango.directory import Lookup, group_id
from mockpbx.providers.mango.ids import mango_call_id, mango_entry_id, mango_recording_id
from mockpbx.providers.mango.legs import _employee_leg_reason, disconnect_code, leg_timing
from mockpbx.providers.mango.options import MangoOptions

__all__ = ["PLAIN_IN", "PLAIN_OUT", "Fast", "LocalDays", "plain_kind"]

PLAIN_IN, PLAIN_OUT = 1, 2


def plain_kind(call: Call) -> int:
    """PLAIN_IN, PLAIN_OUT, or 0 (render through the generic code)."""
    legs = call.legs
    for leg in legs:
        if leg.is_transferred:
            return 0
    contact_first = legs[0].role is LegRole.CONTACT
    if call.kind is CallKind.INCOMING and contact_first and call.direction is Direction.IN:
        return PLAIN_IN
    if call.kind is CallKind.OUTGOING and not (contact_first and call.direction is Direction.IN):
        return PLAIN_OUT
    return 0


class LocalDays:
    """`datetime.fromtimestamp(ts, tz).date().isoformat()`, cached per local day.

    A day is cached as a range of timestamps only when the zone's offset is the
    same at both of its ends (no DST change inside), so the range is exact.
    """

    def __init__(self, tz: Any) -> None:
        self.tz = tz
        self.lo = self.hi = 0
        self.day = ""

    def iso(self, ts: int) -> str:
        if self.lo <= ts < self.hi:
            return self.day
        local = datetime.fromtimestamp(ts, self.tz)
        date = local.date()
        self.day = date.isoformat()
        lo = int(datetime.combine(date, time(), self.tz).timestamp())
        hi = int(datetime.combine(date + timedelta(days=1), time(), self.tz).timestamp())
        first, last = datetime.fromtimestamp(lo, self.tz), datetime.fromtimestamp(hi - 1, self.tz)
        exact = (
            first.date() == date == last.date()
            and first.utcoffset() == last.utcoffset()
            and lo <= ts < hi
        )
        self.lo, self.hi = (lo, hi) if exact else (ts, ts + 1)
        return self.day


class Fast:
    """Per-request renderer of plain calls; `csv_values` / `call_item` return None otherwise."""

    def __init__(self, look: Lookup) -> None:
        self.look = look
        self.employees = look.employees
        self._uris: dict[int, str] = {}
        self._names: dict[int, str] = {}
        self._groups: dict[int, tuple[int, str]] = {}

    # -- directory ------------------------------------------------------------------------
    def number(self, leg: Leg) -> str:
        """The employee party's `number`: the SIP line's URI, or the number dialled."""
        line_id = leg.sip_line_id
        if line_id is None:
            return leg.called_number
        uri = self._uris.get(line_id)
        if uri is None:
            line = self.look.lines.get(line_id)
            uri = self._uris[line_id] = self.look.sip_uri(line) or ""
        return uri or leg.called_number

    def name(self, emp: Employee) -> str:
        name = self._names.get(emp.id)
        if name is None:
            name = self._names[emp.id] = emp.full_name
        return name

    def group(self, clinic_id: int) -> tuple[int, str]:
        found = self._groups.get(clinic_id)
        if found is None:
            group = next((g for g in self.look.groups if g.clinic_id == clinic_id), None)
            found = (group.id, group.name) if group else (group_id(clinic_id), "")
            self._groups[clinic_id] = found
        return found

    # -- basic CSV ------------------------------------------------------------------------
    def csv_values(self, call: Call, options: MangoOptions) -> dict[str, Any] | None:
        """stats.csv_values of a plain call, or None."""
        kind = plain_kind(call)
        if kind == 0:
            return None
        if kind == PLAIN_IN:
            reason, location, from_ext, from_num, to_ext, to_num = self._csv_in(call)
        else:
            reason, location, from_ext, from_num, to_ext, to_num = self._csv_out(call)
        records = mango_recording_id(call.id) if call.has_recording else ""
        return {
            "records": f"[{records}]" if options.csv_records_brackets else records,
            "start": call.start_ts,
            "finish": call.end_ts,
            "answer": call.answer_ts or 0,
            "from_extension": from_ext,
            "from_number": from_num,
            "to_extension": to_ext,
            "to_number": to_num,
            "disconnect_reason": reason,
            "line_number": call.virtual_number or "",
            "location": location,
            "entry_id": mango_entry_id(call.id),
            "create": call.start_ts,
        }

    def _csv_in(self, call: Call) -> tuple[int, str, str, str, str, str]:
        rung = call.legs[1:]
        last_end, reason, location = call.end_ts, 0, "ivr"
        if rung:
            last_end, reason = rung[0].start_ts, 1100
        else:
            reason = disconnect_code(call.finish_reason, True)
        party = None
        for leg in rung:
            if leg.end_ts > last_end:
                last_end, location = leg.end_ts, "abonent"
                reason = _employee_leg_reason(call, leg)
            if leg.employee_id is not None and (
                party is None or (party.answer_ts is None and leg.answer_ts is not None)
            ):
                party = leg
        emp = self.employees.get(party.employee_id) if party and party.employee_id else None
        if emp is None or party is None:
            return reason, location, "", call.contact_number, "", ""
        return reason, location, "", call.contact_number, emp.extension, self.number(party)

    def _csv_out(self, call: Call) -> tuple[int, str, str, str, str, str]:
        emp_leg, out = self._out_legs(call)
        reason = disconnect_code(out.finish_reason, False)
        if emp_leg.employee_id is None:
            return reason, "abonent", "", "", "", call.contact_number
        emp = self.employees.get(emp_leg.employee_id)
        ext = emp.extension if emp is not None else ""
        return reason, "abonent", ext, self.number(emp_leg), "", call.contact_number

    @staticmethod
    def _out_legs(call: Call) -> tuple[Leg, Leg]:
        emp = call.legs[0]
        out = next((lg for lg in call.legs if lg.role is LegRole.CONTACT), emp)
        return emp, out

    # -- extended JSON --------------------------------------------------------------------
    def call_item(self, call: Call, ext_fields: frozenset[str]) -> dict[str, Any] | None:
        """stats.call_item of a plain call, or None."""
        kind = plain_kind(call)
        if kind == 0:
            return None
        recordings = [mango_recording_id(call.id)] if call.has_recording else []
        if kind == PLAIN_IN:
            item = self._item_in(call, recordings)
        else:
            item = self._item_out(call, recordings)
        if "context_cost_full" in ext_fields:
            item["context_cost_full"] = item["cost"]
        if "context_cost_tariff" in ext_fields:
            item["context_cost_tariff"] = item["cost"]
        return item

    def _item_in(self, call: Call, recordings: list[str]) -> dict[str, Any]:
        contact = call.legs[0]
        rung = call.legs[1:]
        answer, end = call.answer_ts, call.end_ts
        context_calls: list[Any] = []
        if rung:
            reason, last_end = 1100, rung[0].start_ts
            members = []
            for leg in rung:
                leg_reason = _employee_leg_reason(call, leg)
                if leg.end_ts > last_end:
                    last_end, reason = leg.end_ts, leg_reason
                members.append(self._member(leg, leg_reason, recordings))
            gid, gname = self.group(call.clinic_id)
            start = rung[0].start_ts
            context_calls.append(
                {
                    "call_start_time": start,  # legs.leg_timing, inlined
                    "call_answer_time": answer,
                    "call_end_time": end,
                    "call_duration": end - start,
                    "talk_duration": 0 if answer is None else end - answer,
                    "dial_duration": (answer if answer is not None else end) - start,
                    "hold_duration": None,
                    "call_type": "group",
                    "call_abonent_id": gid,
                    "call_abonent_info": gname,
                    "call_abonent_number": None,
                    "call_end_reason": reason,
                    "recording_id": recordings,
                    "external_call_id": mango_call_id(contact.id),
                    **_GROUP_FLAGS,
                    "members": members,
                }
            )
        return {
            "entry_id": mango_entry_id(call.id),
            "context_type": 1,
            "context_status": 0 if answer is None else 1,
            "caller_id": None,
            "caller_name": call.contact_number,
            "caller_number": call.contact_number,
            "called_number": call.virtual_number or "",
            "context_start_time": call.start_ts,
            "duration": end - call.start_ts,
            "talk_duration": 0 if answer is None else end - answer,
            "operator_call_duration": None,
            "context_init_type": 0,
            "recall_status": 2,
            "cost": 0,
            "context_calls": context_calls,
        }

    def _member(self, leg: Leg, reason: int, recordings: list[str]) -> dict[str, Any]:
        eid = leg.employee_id
        emp = self.employees.get(eid) if eid is not None else None
        number = self.number(leg)
        start, answer, end = leg.start_ts, leg.answer_ts, leg.end_ts
        return {
            "call_start_time": start,  # legs.leg_timing, inlined
            "call_answer_time": answer,
            "call_end_time": end,
            "call_duration": end - start,
            "talk_duration": 0 if answer is None else end - answer,
            "dial_duration": (answer if answer is not None else end) - start,
            "hold_duration": None,
            "call_type": "user",
            "call_abonent_id": emp.mango_user_id if emp else None,
            "call_abonent_info": self.name(emp) if emp else number,
            "call_abonent_number": number,
            "call_end_reason": reason,
            "recording_id": recordings if answer is not None and eid else [],
            "external_call_id": mango_call_id(leg.id),
            **_MEMBER_FLAGS,
            "members": None,
        }

    def _item_out(self, call: Call, recordings: list[str]) -> dict[str, Any]:
        emp_leg, out = self._out_legs(call)
        eid = emp_leg.employee_id
        caller = self.employees.get(eid or -1)
        emp = self.employees.get(eid) if eid is not None else None
        number = self.number(emp_leg)
        answer = out.answer_ts if out is not emp_leg else None
        end = min(emp_leg.end_ts, out.end_ts) if out is not emp_leg else emp_leg.end_ts
        entry = leg_timing(call.start_ts, answer, end)
        entry.update(
            call_type="number",
            call_abonent_id=emp.mango_user_id if emp else None,
            call_abonent_info=self.name(emp) if emp else number,
            call_abonent_number=number,
            call_end_reason=disconnect_code(out.finish_reason, False),
            recording_id=recordings if answer is not None and eid else [],
            external_call_id=mango_call_id(emp_leg.id),
            **_OUT_FLAGS,
            members=[],
        )
        return {
            "entry_id": mango_entry_id(call.id),
            "context_type": 2,
            "context_status": 1 if call.answer_ts is not None else 0,
            "caller_id": caller.mango_user_id if caller else None,
            "caller_name": self.name(caller) if caller else call.contact_number,
            "caller_number": number,
            "called_number": call.contact_number,
            "context_start_time": call.start_ts,
            "duration": call.end_ts - call.start_ts,
            "talk_duration": call.talk_duration,
            "operator_call_duration": None,
            "context_init_type": 0,
            "recall_status": 2,
            "cost": round(call.talk_duration / 60 * 1.5, 2),
            "context_calls": [entry],
        }


def _flags(*, inbound: bool, group: bool) -> dict[str, bool]:
    """stats._flags for a leg without transfer (same keys, same order)."""
    return {
        "ModeListen": False,
        "ModePrompt": False,
        "ModeConference": False,
        "RecordInbound": False,
        "OutboundDialing": False,
        "Intercepted": False,
        "DirectionInbound": inbound,
        "DirectionOutbound": not inbound,
        "ModeConversation": not group,
        "ModeGroup": group,
        "RecordOutbound": True,
        "BlindTransfer": False,
        "ConsultTransfer": False,
        "IvrNotUsed": not group,  # the group entry is the only one that used the IVR
    }


_GROUP_FLAGS = _flags(inbound=True, group=True)
_MEMBER_FLAGS = _flags(inbound=True, group=False)
_OUT_FLAGS = _flags(inbound=False, group=False)
