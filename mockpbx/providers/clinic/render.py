"""Rendering of world calls as the contract's Call objects.

Deviations and choices (the contract's open points, `ClinicOptions`), all options:
- `DateAndTime` is the call start in the account's offset (or UTC);
- `TalkInSeconds` is null for an unanswered call (or 0, `missed_talk="zero"`);
- `LineDescription` is the SIP line login of the employee who answered (or
  the first one rung), or the virtual number's name, or null;
- `Id` (not in IDENT's field list) is the world's call id, as a string;
- `RecordUrl` points at the public recording link the UIS face serves on
  the same server (`/system/media/talk/{call_id}/{hash}/`), absolute from
  the request's origin: the hash is the 128-bit secret, no key needed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mockpbx.core.model import Call, Direction, Leg, LegRole
from mockpbx.core.world import World
from mockpbx.providers.clinic.schemas import ClinicOptions

__all__ = ["finished_call", "format_time", "ongoing_call", "recording_url"]


# the order of the contract's Call object, kept on the wire for readers of raw answers
FIELDS = (
    "Id",
    "DateAndTime",
    "Direction",
    "PhoneFrom",
    "PhoneTo",
    "WaitInSeconds",
    "TalkInSeconds",
    "LineDescription",
    "RecordUrl",
    "UtmSource",
    "UtmMedium",
    "UtmCampaign",
    "UtmTerm",
    "UtmContent",
    "HttpReferer",
)


def _ordered(body: dict[str, Any]) -> dict[str, Any]:
    return {name: body[name] for name in FIELDS if name in body}


def format_time(world: World, ts: int, options: ClinicOptions) -> str:
    if options.time_offset == "utc":
        return datetime.fromtimestamp(ts, UTC).isoformat()
    return world.local(ts).isoformat()


def recording_url(world: World, call: Call, origin: str) -> str | None:
    token = world.recording_hash(call)
    if token is None:
        return None
    return f"{origin}/system/media/talk/{call.id}/{token}/"


def _employee_leg(call: Call) -> Leg | None:
    legs = [leg for leg in call.legs if leg.role is LegRole.EMPLOYEE]
    answered = [leg for leg in legs if leg.answer_ts is not None]
    chosen = answered or legs
    return chosen[0] if chosen else None


def _line(world: World, call: Call, options: ClinicOptions) -> str | None:
    if options.line_description == "none":
        return None
    if options.line_description == "number_name":
        number = world.number(call.virtual_number) if call.virtual_number else None
        return (number.name or number.number) if number else None
    leg = _employee_leg(call)
    line = world.sip_line(leg.sip_line_id) if leg and leg.sip_line_id is not None else None
    return line.login if line else None


def _phones(world: World, call: Call) -> tuple[str, str]:
    ours = call.virtual_number
    if not ours:
        leg = _employee_leg(call)
        line = world.sip_line(leg.sip_line_id) if leg and leg.sip_line_id is not None else None
        ours = line.login if line else "unknown"
    if call.direction is Direction.IN:
        return call.contact_number, ours
    return ours, call.contact_number


def _base(world: World, call: Call, options: ClinicOptions) -> dict[str, Any]:
    phone_from, phone_to = _phones(world, call)
    visit = call.visit
    body: dict[str, Any] = {"Id": str(call.id)} if options.include_id else {}
    body.update(
        DateAndTime=format_time(world, call.start_ts, options),
        Direction=call.direction.value,
        PhoneFrom=phone_from,
        PhoneTo=phone_to,
        LineDescription=_line(world, call, options),
    )
    if options.lacks("tracking"):
        visit = None
    body.update(
        UtmSource=visit.utm_source if visit else None,
        UtmMedium=visit.utm_medium if visit else None,
        UtmCampaign=visit.utm_campaign if visit else None,
        UtmTerm=visit.utm_term if visit else None,
        UtmContent=visit.utm_content if visit else None,
        HttpReferer=visit.referrer if visit else None,
    )
    return body


def finished_call(world: World, call: Call, options: ClinicOptions, origin: str) -> dict[str, Any]:
    body = _base(world, call, options)
    talk: int | None = call.talk_duration
    if call.answer_ts is None:
        talk = 0 if options.missed_talk == "zero" else None
    body["WaitInSeconds"] = call.wait_duration
    body["TalkInSeconds"] = talk
    body["RecordUrl"] = None if options.lacks("recordings") else recording_url(world, call, origin)
    return _ordered(body)


def ongoing_call(world: World, call: Call, options: ClinicOptions, now: int) -> dict[str, Any]:
    """A live call with wait and talk counted up to `now` (as IDAST does)."""
    body = _base(world, call, options)
    if call.answer_ts is not None and call.answer_ts <= now:
        body["WaitInSeconds"] = call.answer_ts - call.start_ts
        body["TalkInSeconds"] = now - call.answer_ts
    else:
        body["WaitInSeconds"] = max(0, now - call.start_ts)
        body["TalkInSeconds"] = None
    body["RecordUrl"] = None
    return _ordered(body)
