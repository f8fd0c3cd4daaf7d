"""The world: one clinic account's telephony, seen by every provider face.

It holds the account, staff, SIP lines, virtual numbers and routing, the
call store and the virtual clock, and answers the domain's queries:
`history`, `live_calls`, `get_call`, `find_target`, recordings. The live
actions (`start_callback`, `release_call`, `transfer`, ...) are functions
over a World in `core.actions`; they add calls through `next_call_id` and
`add_call`. It never sees a request and never renders a provider format.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from mockpbx.core.calls import MAX_CALL_SECONDS, Target
from mockpbx.core.clock import VirtualClock
from mockpbx.core.errors import (
    CallNotFound,
    EmployeeNotFound,
    NoActivePhone,
    RecordingNotFound,
)
from mockpbx.core.ids import Secrets, Seeds
from mockpbx.core.model import (
    Account,
    Call,
    Clinic,
    Employee,
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

    # -- new calls (the actions of `core.actions` create them) -------------------------
    def on_call_created(self, listener: CallListener) -> Callable[[], None]:
        """Call `listener` for every call created by an action (callbacks)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def next_call_id(self) -> int:
        """A fresh id for a call created today (after the generated ones)."""
        day = self.today()
        seq = self._dynamic_seq.get(day, CallIds.DYNAMIC_FROM)
        self._dynamic_seq[day] = seq + 1
        return CallIds.make(day, seq)

    def add_call(self, call: Call) -> Call:
        """Store a call an action created and tell the listeners."""
        self.store.add(call)
        for listener in list(self._listeners):
            listener(call)
        return call
