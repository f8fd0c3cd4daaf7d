"""The world: one clinic account's telephony, seen by every provider face.

It holds the account, staff, SIP lines, virtual numbers and routing, the
call store and the virtual clock, and speaks the domain: `history`,
`live_calls`, `start_callback`, `release_call`, `disconnect_leg`,
`transfer`. It never sees a request and never renders a provider format.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from mockpbx.core.calls import MAX_CALL_SECONDS, Target, build_callback
from mockpbx.core.clock import VirtualClock
from mockpbx.core.errors import (
    CallNotFound,
    EmployeeNotFound,
    InvalidState,
    LegNotFound,
    NoActivePhone,
    RecordingNotFound,
)
from mockpbx.core.ids import Secrets, Seeds
from mockpbx.core.model import (
    Account,
    Call,
    CallKind,
    CallState,
    Clinic,
    Direction,
    Employee,
    Leg,
    LegRole,
    RoutingRule,
    SipLine,
    VirtualNumber,
)
from mockpbx.core.store import CallIds, CallStore, DayLoader

__all__ = ["CallListener", "Directory", "World"]

CallListener = Callable[[Call], None]


@dataclass(slots=True)
class Directory:
    """The account's static configuration: who and what can ring."""

    account: Account
    clinics: list[Clinic] = field(default_factory=list)
    employees: list[Employee] = field(default_factory=list)
    sip_lines: list[SipLine] = field(default_factory=list)
    numbers: list[VirtualNumber] = field(default_factory=list)
    rules: list[RoutingRule] = field(default_factory=list)


class World:
    """State of the simulated telephony world; all times come from `clock`."""

    def __init__(
        self,
        directory: Directory,
        clock: VirtualClock,
        seeds: Seeds,
        *,
        loader: DayLoader | None = None,
        history_from: date | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.directory = directory
        self.account = directory.account
        self.clock = clock
        self.seeds = seeds
        self.secrets = Secrets.random()  # the server sets its own (ServerState.apply_secrets)
        self.tz = ZoneInfo(self.account.timezone)
        self.meta: dict[str, Any] = dict(meta or {})
        self.store = CallStore(
            self.account.timezone, loader, first_day=history_from, last_day=self.today
        )
        self._employees = {e.id: e for e in directory.employees}
        self._lines = {s.id: s for s in directory.sip_lines}
        self._numbers = {n.number: n for n in directory.numbers}
        self._dynamic_seq: dict[date, int] = {}
        self._listeners: list[CallListener] = []

    # -- time ----------------------------------------------------------------
    def now(self) -> int:
        return self.clock.seconds()

    def local(self, ts: int) -> datetime:
        return datetime.fromtimestamp(ts, self.tz)

    def today(self) -> date:
        return self.local(self.now()).date()

    def day_start(self, day: date) -> int:
        return self.store.day_start(day)

    # -- directory -------------------------------------------------------------
    @property
    def employees(self) -> list[Employee]:
        return self.directory.employees

    @property
    def sip_lines(self) -> list[SipLine]:
        return self.directory.sip_lines

    @property
    def numbers(self) -> list[VirtualNumber]:
        return self.directory.numbers

    def employee(self, employee_id: int) -> Employee:
        try:
            return self._employees[employee_id]
        except KeyError:
            raise EmployeeNotFound(f"employee {employee_id} not found") from None

    def sip_line(self, line_id: int) -> SipLine | None:
        return self._lines.get(line_id)

    def lines_of(self, employee_id: int) -> list[SipLine]:
        return [s for s in self.directory.sip_lines if s.employee_id == employee_id]

    def number(self, number: str) -> VirtualNumber | None:
        return self._numbers.get(number)

    def find_target(self, employee_id: int, phone: str | None = None) -> Target:
        """The SIP line to ring for an employee (a given one, or the first registered)."""
        employee = self.employee(employee_id)
        lines = self.lines_of(employee_id)
        if phone:
            for line in lines:
                if phone in (line.login, employee.extension):
                    return Target(line, employee)
            if phone in employee.phone_numbers and lines:
                return Target(lines[0], employee)
            raise NoActivePhone(f"{phone} is not an active number of employee {employee_id}")
        for line in lines:
            if line.registered:
                return Target(line, employee)
        raise NoActivePhone(f"employee {employee_id} has no active phone number")

    # -- reading calls -----------------------------------------------------------
    def history(self, ts_from: int, ts_to: int, *, include_ongoing: bool = False) -> list[Call]:
        """Calls that started in [ts_from, ts_to) and that history shows now.

        Without `include_ongoing`, only calls that have ended (and whose
        late-arrival delay has passed) are shown.
        """
        now = self.now()
        ts_to = min(ts_to, now + 1)
        calls = self.store.between(ts_from, ts_to)
        if include_ongoing:
            return [c for c in calls if c.start_ts <= now and (c.end_ts > now or c.in_history(now))]
        return [c for c in calls if c.end_ts + c.history_delay <= now]  # Call.in_history, inlined

    def live_calls(self) -> list[Call]:
        """Calls in progress now (appeared, ringing or talking)."""
        now = self.now()
        return [c for c in self.store.between(now - MAX_CALL_SECONDS, now + 1) if c.is_live(now)]

    def get_call(self, call_id: int) -> Call:
        """A call that has started (live or finished); CallNotFound otherwise."""
        call = self.store.get(call_id)
        if call is None or call.start_ts > self.now():
            raise CallNotFound(f"call session {call_id} not found")
        return call

    def calls_since(self, ts_from: int) -> list[Call]:
        """Calls with any event after `ts_from`: those started since, or still running then."""
        return [
            c
            for c in self.store.between(ts_from - MAX_CALL_SECONDS, self.now() + 1)
            if c.end_ts >= ts_from
        ]

    # -- recordings ----------------------------------------------------------------
    def recording_hash(self, call: Call) -> str | None:
        """The 128-bit hex id of the call's recording (the secret in its URL)."""
        if not call.has_recording:
            return None
        return self.secrets.token_hex("recording", call.id)

    def find_recording(self, call_id: int, token: str) -> Call:
        """The finished, recorded call whose recording is `token`."""
        call = self.store.get(call_id)
        if (
            call is None
            or call.end_ts > self.now()
            or self.recording_hash(call) != token.lower().strip("/")
        ):
            raise RecordingNotFound("no such recording")
        return call

    # -- actions -------------------------------------------------------------------
    def on_call_created(self, listener: CallListener) -> Callable[[], None]:
        """Call `listener` for every call created by an action (callbacks)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def next_call_id(self) -> int:
        day = self.today()
        seq = self._dynamic_seq.get(day, CallIds.DYNAMIC_FROM)
        self._dynamic_seq[day] = seq + 1
        return CallIds.make(day, seq)

    def add_call(self, call: Call) -> Call:
        self.store.add(call)
        for listener in list(self._listeners):
            listener(call)
        return call

    def start_callback(
        self,
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
        target = self.find_target(employee_id, employee_phone)
        call_id = self.next_call_id()
        rnd = rnd or self.seeds.random("callback", call_id)
        behaviour = self.meta.get("callback", {})
        call = build_callback(
            call_id,
            start=self.now(),
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
        return self.add_call(call)

    def start_simple_call(
        self,
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
        target = self.find_target(employee_id, operator) if employee_id is not None else None
        call_id = self.next_call_id()
        rnd = rnd or self.seeds.random("simple_call", call_id)
        behaviour = self.meta.get("callback", {})
        now = self.now()
        op = Leg(
            id=0,
            role=LegRole.EMPLOYEE,
            calling_number=caller_id or contact,
            called_number=target.line.login if target else operator,
            start_ts=now,
            end_ts=now,
            employee_id=target.employee.id if target else None,
            sip_line_id=target.line.id if target else None,
        )
        ct = Leg(
            id=0,
            role=LegRole.CONTACT,
            calling_number=caller_id or operator,
            called_number=contact,
            start_ts=now,
            end_ts=now,
        )
        first, second = (op, ct) if first_call == "operator" else (ct, op)
        call = Call(
            id=call_id,
            kind=CallKind.CALLBACK,
            direction=direction,
            source=source,
            start_ts=now,
            end_ts=now,
            contact_number=contact,
            virtual_number=caller_id,
            external_id=external_id,
            clinic_id=target.employee.clinic_id if target else 1,
        )
        rates = {
            LegRole.EMPLOYEE: behaviour.get("employee_answer_rate", 1.0),
            LegRole.CONTACT: behaviour.get("contact_answer_rate", 0.85),
        }
        _plan_two_parties(call, first, second, rnd, rates)
        return self.add_call(call)

    def release_call(self, call_id: int) -> Call:
        """Hang up every leg of a live call now."""
        call = self._live(call_id)
        now = self.now()
        self._truncate(call, now, "operator_disconnects")
        return call

    def disconnect_leg(self, call_id: int, leg_id: int) -> Call:
        """Drop one leg; dropping the contact's leg (or the last one) ends the call."""
        call = self._live(call_id)
        leg = call.leg(leg_id)
        now = self.now()
        if leg is None or not leg.start_ts <= now < leg.end_ts:
            raise LegNotFound(f"leg {leg_id} not found in call session {call_id}")
        if leg.role is LegRole.CONTACT or _others_alive(call, leg, now) == 0:
            self._truncate(call, now, "operator_disconnects")
        else:
            _end_leg(leg, now, "operator_disconnects")
        return call

    def transfer(self, call_id: int, to_employee_id: int, *, kind: str = "blind") -> Leg:
        """Transfer a talking call to another employee, who answers after a short ring."""
        call = self._live(call_id)
        now = self.now()
        if call.state(now) is not CallState.TALKING:
            raise InvalidState("only a call in conversation can be transferred")
        target = self.find_target(to_employee_id)
        rnd = self.seeds.random("transfer", call.id, len(call.legs))
        ring = rnd.randint(3, 10)
        talk_left = max(call.end_ts - now, 10)
        new = Leg(
            id=call.id * 10 + len(call.legs),
            role=LegRole.EMPLOYEE,
            calling_number=call.contact_number,
            called_number=target.line.login,
            start_ts=now,
            end_ts=now + ring + talk_left,
            answer_ts=now + ring,
            employee_id=target.employee.id,
            sip_line_id=target.line.id,
            finish_reason="subscriber_disconnects",
            is_transferred=True,
            transfer_kind=kind,
        )
        for leg in call.legs:
            if leg.role is LegRole.EMPLOYEE and leg.end_ts > now and leg.answer_ts is not None:
                new.taken_from_leg_id = leg.id
                _end_leg(leg, now if kind == "blind" else now + ring, "transfer_disconnects")
        call.legs.append(new)
        call.end_ts = new.end_ts
        call.transferred = True
        for leg in call.legs:
            if leg.role is LegRole.CONTACT:
                leg.end_ts = call.end_ts
        return new

    def _live(self, call_id: int) -> Call:
        call = self.get_call(call_id)
        if not call.is_live(self.now()):
            raise CallNotFound(f"call session {call_id} not found")
        return call

    def _truncate(self, call: Call, now: int, reason: str) -> None:
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


def _plan_two_parties(
    call: Call, first: Leg, second: Leg, rnd: random.Random, rates: dict[LegRole, float]
) -> None:
    """Lay out a two-party call: `first` rings, then (if it answers) `second` rings."""
    no_success = {
        LegRole.EMPLOYEE: "no_success_operator_call",
        LegRole.CONTACT: "no_success_subscriber_call",
    }
    not_responsible = {
        LegRole.EMPLOYEE: "operator_not_responsible",
        LegRole.CONTACT: "subscriber_not_responsible",
    }
    start = call.start_ts
    first.id, second.id = call.id * 10, call.id * 10 + 1
    call.legs = [first]
    first.end_ts = call.end_ts = start + rnd.randint(2, 6)
    first.finish_reason = not_responsible[first.role]
    call.finish_reason = no_success[first.role]
    if rnd.random() >= rates[first.role]:
        return
    first.answer_ts = second.start_ts = first.end_ts
    ring = rnd.randint(4, 15)
    call.legs.append(second)
    if rnd.random() < rates[second.role]:
        second.answer_ts = call.answer_ts = second.start_ts + ring
        end = second.answer_ts + max(int(rnd.lognormvariate(4.6, 0.6)), 1)
        call.finish_reason = first.finish_reason = "subscriber_disconnects"
        second.finish_reason = "subscriber_disconnects"
    else:
        end = second.start_ts + ring
        call.finish_reason = no_success[second.role]
        first.finish_reason = second.finish_reason = not_responsible[second.role]
    call.end_ts = first.end_ts = second.end_ts = end


def _others_alive(call: Call, leg: Leg, now: int) -> int:
    return sum(
        1 for other in call.legs if other is not leg and other.start_ts <= now < other.end_ts
    )
