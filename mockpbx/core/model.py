"""Provider-neutral entities of the simulated telephony world.

Times are whole epoch seconds (UTC) in the world; faces render them in the
provider's own format and timezone. A call is a *plan*: its legs carry
start, answer and end times, and its state at any moment is derived from the
clock when read (`Call.state(now)`), so pull APIs need no background task.
Live actions (release, disconnect, transfer) truncate or extend the plan;
a call whose end has passed is immutable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "Account",
    "Call",
    "CallKind",
    "CallState",
    "Clinic",
    "Direction",
    "Employee",
    "Leg",
    "LegRole",
    "NumberType",
    "RoutingRule",
    "SipLine",
    "VirtualNumber",
    "Visit",
]


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class CallKind(StrEnum):
    INCOMING = "incoming"  # a contact calls a virtual number
    OUTGOING = "outgoing"  # an employee dials a contact from a SIP line
    CALLBACK = "callback"  # the PBX rings the employee first, then the contact


class CallState(StrEnum):
    APPEARED = "appeared"  # the call exists, nobody is ringing yet
    RINGING = "ringing"
    TALKING = "talking"
    FINISHED = "finished"  # ended after a conversation
    MISSED = "missed"  # ended without a conversation


class NumberType(StrEnum):
    VA = "va"
    CALL_TRACKING = "call_tracking"
    DYNAMIC_CALL_TRACKING = "dynamic_call_tracking"


class LegRole(StrEnum):
    CONTACT = "contact"  # the outside party (patient)
    EMPLOYEE = "employee"  # a clinic employee's SIP line or phone


@dataclass(slots=True)
class Account:
    app_id: int
    name: str
    timezone: str = "Europe/Moscow"
    # Mango: the product and the VPBX SIP domain
    product_id: int = 0
    sip_domain: str = "vpbx400000000.mangosip.ru"


@dataclass(slots=True)
class Clinic:
    id: int
    name: str
    address: str = ""
    timezone: str = "Europe/Moscow"


@dataclass(slots=True)
class Employee:
    id: int
    last_name: str
    first_name: str
    patronymic: str
    extension: str
    phone_numbers: tuple[str, ...] = ()
    role: str = "administrator"  # administrator | doctor | manager
    clinic_id: int = 1
    login: str = ""
    email: str = ""
    status: str = "available"
    mango_user_id: int = 0

    @property
    def full_name(self) -> str:
        return f"{self.last_name} {self.first_name} {self.patronymic}".strip()


@dataclass(slots=True)
class SipLine:
    id: int
    login: str  # UIS `phone_number` of the line, Mango SIP login
    employee_id: int
    virtual_phone_number: str | None = None  # outbound caller ID
    type: str = "in_out"  # in | in_out
    workstation: str | None = None  # the computer the line is on, if any
    name: str = ""  # Mango line name
    registered: bool = True
    channels_count: int = 2
    dial_time: int = 20

    def uri(self, domain: str) -> str:
        return f"sip:{self.login}@{domain}"


@dataclass(slots=True)
class VirtualNumber:
    id: int
    number: str  # E.164 digits without '+'
    type: NumberType = NumberType.VA
    name: str = ""
    clinic_id: int = 1
    channel: str | None = None  # ad channel key for static tracking numbers
    scenario_id: int = 0
    scenario_name: str = ""
    activation_date: str = "2020-01-01"


@dataclass(slots=True)
class RoutingRule:
    number: str  # the virtual number
    sip_line_ids: tuple[int, ...]
    strategy: str = "sequential"  # sequential | simultaneous
    ring_seconds: int = 20


@dataclass(slots=True)
class Visit:
    """The web visit a tracked call came from (dynamic call tracking)."""

    id: int
    channel_key: str = ""
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    referrer: str | None = None
    referrer_domain: str | None = None
    entrance_page: str | None = None
    search_engine: str | None = None
    search_query: str | None = None
    channel: str | None = None  # UIS channel: paid | organic | referral | direct | ...
    device: str = "desktop"
    visit_ts: int = 0
    site_domain_name: str | None = None
    campaign_id: int | None = None
    campaign_name: str | None = None


@dataclass(slots=True)
class Leg:
    id: int
    role: LegRole
    calling_number: str
    called_number: str
    start_ts: int
    end_ts: int
    answer_ts: int | None = None
    employee_id: int | None = None
    sip_line_id: int | None = None
    finish_reason: str = "subscriber_disconnects"
    is_transferred: bool = False  # created by a transfer
    transfer_kind: str | None = None  # blind | consultative, for transferred legs
    taken_from_leg_id: int | None = None  # the leg this one continues (Mango)

    def state(self, now: int) -> CallState | None:
        if now < self.start_ts:
            return None
        if now >= self.end_ts:
            return CallState.FINISHED if self.answer_ts is not None else CallState.MISSED
        if self.answer_ts is not None and now >= self.answer_ts:
            return CallState.TALKING
        return CallState.RINGING

    @property
    def duration(self) -> int:
        return self.end_ts - self.start_ts

    @property
    def talk_duration(self) -> int:
        return 0 if self.answer_ts is None else self.end_ts - self.answer_ts


@dataclass(slots=True, eq=False)
class Call:
    """One call session: the plan of its legs and everything faces render."""

    id: int  # UIS call_session_id and communication_id
    kind: CallKind
    direction: Direction
    source: str  # UIS `source`: va | call_tracking | dynamic_call_tracking | sip | callapi
    start_ts: int
    end_ts: int
    contact_number: str
    virtual_number: str | None
    legs: list[Leg] = field(default_factory=list)
    answer_ts: int | None = None  # when the contact began talking with an employee
    finish_reason: str = "subscriber_disconnects"
    clinic_id: int = 1
    visit: Visit | None = None
    recorded: bool = True
    external_id: str | None = None
    call_api_request_id: int | None = None
    history_delay: int = 0  # seconds after the end until history shows the call
    transferred: bool = False
    callback_of: int | None = None  # the missed call this one calls back

    # -- state -------------------------------------------------------------
    def state(self, now: int) -> CallState | None:
        """The call's state at `now`; None before it starts."""
        if now < self.start_ts:
            return None
        if now >= self.end_ts:
            return CallState.FINISHED if self.answer_ts is not None else CallState.MISSED
        if self.answer_ts is not None and now >= self.answer_ts:
            return CallState.TALKING
        if any(leg.start_ts <= now < leg.end_ts for leg in self.legs[1:]):
            return CallState.RINGING
        return CallState.APPEARED

    def is_live(self, now: int) -> bool:
        return self.start_ts <= now < self.end_ts

    def in_history(self, now: int) -> bool:
        """Whether history reports (not live views) show the call at `now`."""
        return self.end_ts + self.history_delay <= now

    # -- derived figures ---------------------------------------------------
    @property
    def is_lost(self) -> bool:
        return self.answer_ts is None

    @property
    def wait_duration(self) -> int:
        end = self.answer_ts if self.answer_ts is not None else self.end_ts
        return end - self.start_ts

    @property
    def talk_duration(self) -> int:
        return 0 if self.answer_ts is None else self.end_ts - self.answer_ts

    @property
    def total_duration(self) -> int:
        return self.end_ts - self.start_ts

    @property
    def has_recording(self) -> bool:
        return self.recorded and self.answer_ts is not None and self.talk_duration > 0

    def employee_legs(self) -> list[Leg]:
        return [leg for leg in self.legs if leg.role is LegRole.EMPLOYEE]

    def answered_legs(self) -> list[Leg]:
        return [
            leg for leg in self.legs if leg.role is LegRole.EMPLOYEE and leg.answer_ts is not None
        ]

    def last_answered_leg(self) -> Leg | None:
        answered = self.answered_legs()
        return answered[-1] if answered else None

    def leg(self, leg_id: int) -> Leg | None:
        for leg in self.legs:
            if leg.id == leg_id:
                return leg
        return None
