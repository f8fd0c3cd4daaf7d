"""Call API v4.0 methods: sessions, callbacks, simple calls, current calls, release, disconnect.

Deviations and choices:
- `start.employee_call` with `first_call=employee` is the world's callback
  (employee's SIP line first, then the contact); with `first_call=contact`
  the contact rings first, then the employee's phone;
- `start.simple_call` rings the given operator number (not an employee);
- messages, DTMF, media files, usage rules and operator confirmation are
  accepted and validated but not simulated;
- `list.calls` shows every leg that has started: ringing legs are "Дозвон",
  a contact waiting for an employee is "Дозвон", connected legs "Разговор",
  legs that have ended "Разъединено"; `start_time` is the account's local
  time as in the docs' example ("2016-10-19T12:26:48.418"), or the table's
  `YYYY-MM-DD hh:mm:ss` with `UisOptions.list_calls_time_format="space"`;
- times: none of these methods takes a time parameter, so the ISO 8601 vs
  `YYYY-MM-DD hh:mm:ss` contradiction only concerns `list.calls` output;
- `release.call`/`disconnect.leg` answer `"success": "true"` (a string, as
  documented); `logout.user` answers `"success": true` (a boolean, as documented).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from mockpbx.core import actions
from mockpbx.core.errors import EmployeeNotFound, NoActivePhone
from mockpbx.core.model import Call, CallState, Direction, Leg, LegRole
from mockpbx.providers.uis.errors import err
from mockpbx.providers.uis.rpc import Ctx, Method, Result
from mockpbx.providers.uis.schemas import (
    DisconnectLegParams,
    EmployeeCallParams,
    ListCallsParams,
    LoginParams,
    LogoutParams,
    Message,
    ReleaseCallParams,
    SimpleCallParams,
)

__all__ = ["CALL_METHODS", "leg_state"]

TTS_MAX = 1000
_PHONE = re.compile(r"^\+?[0-9]{3,20}$")


def login_user(ctx: Ctx, p: LoginParams) -> Result:
    creds = ctx.state.credentials
    if (p.login, p.password) != (creds.uis_login, creds.uis_password):
        raise err("auth_error")
    token, expires = ctx.new_session()
    return Result({"access_token": token, "expire_at": expires})


def logout_user(ctx: Ctx, p: LogoutParams) -> Result:
    ctx.rt.sessions.pop(p.access_token, None)
    return Result({"success": True})


# -- starting calls -------------------------------------------------------------------------
def start_employee_call(ctx: Ctx, p: EmployeeCallParams) -> Result:
    _check_start(ctx, p.first_call == "employee", p, p.employee_message)
    world = ctx.world
    try:
        world.employee(p.employee.id)
        target = world.find_target(p.employee.id, p.employee.phone_number)
    except EmployeeNotFound:
        raise err("employee_not_found", field="employee.id", employee_id=p.employee.id) from None
    except NoActivePhone:
        raise err("no_active_phone_number", field="employee.phone_number") from None
    common: dict[str, Any] = {
        "caller_id": p.virtual_phone_number,
        "direction": Direction(p.direction),
        "external_id": p.external_id,
    }
    if p.first_call == "employee":
        call = actions.start_callback(
            world, p.employee.id, p.contact, employee_phone=p.employee.phone_number, **common
        )
    else:
        call = actions.start_simple_call(
            world,
            target.line.login,
            p.contact,
            first_call="contact",
            employee_id=p.employee.id,
            **common,
        )
    return _started(ctx, call)


def start_simple_call(ctx: Ctx, p: SimpleCallParams) -> Result:
    _check_start(ctx, p.first_call == "operator", p, p.operator_message)
    if not _PHONE.match(p.operator):
        raise err("invalid_parameter_value", field="operator", value=p.operator)
    call = actions.start_simple_call(
        ctx.world,
        p.operator.lstrip("+"),
        p.contact,
        first_call=p.first_call,
        caller_id=p.virtual_phone_number,
        direction=Direction(p.direction),
        external_id=p.external_id,
    )
    return _started(ctx, call)


def _check_start(
    ctx: Ctx, operator_first: bool, p: EmployeeCallParams | SimpleCallParams, msg: Message | None
) -> None:
    if p.early_switching and not (operator_first and p.switch_at_once):
        raise err("invalid_parameters_combination", field="early_switching", value=True)
    if ctx.world.number(p.virtual_phone_number) is None:
        raise err(
            "virtual_phone_number_not_found",
            field="virtual_phone_number",
            value=p.virtual_phone_number,
            virtual_phone_number=p.virtual_phone_number,
        )
    if not _PHONE.match(p.contact):
        raise err("invalid_parameter_value", field="contact", value=p.contact)
    if ctx.world.number(p.contact.lstrip("+")) is not None:
        raise err("own_virtual_phone_number_not_allowed", field="contact", value=p.contact)
    for name, message in (("contact_message", p.contact_message), ("operator_message", msg)):
        if message is not None and message.type == "tts" and len(message.value) > TTS_MAX:
            raise err(
                "tts_text_exceeded",
                field=f"{name}.value",
                tts_message_max_length=TTS_MAX,
                sent_tts_message_length=len(message.value),
            )


def _started(ctx: Ctx, call: Call) -> Result:
    ctx.rt.request_seq += 1
    call.call_api_request_id = 500_000 + ctx.rt.request_seq
    return Result({"call_session_id": call.id})


# -- current calls ---------------------------------------------------------------------------
def list_calls(ctx: Ctx, p: ListCallsParams) -> Result:
    world = ctx.world
    now = world.now()
    names = {e.id: e.full_name for e in world.employees}
    rows = [
        _live_call(ctx, call, now, names)
        for call in world.live_calls()
        if (p.direction is None or call.direction.value == p.direction)
        and (p.virtual_phone_number is None or call.virtual_number == p.virtual_phone_number)
    ]
    return Result(rows)


def _live_call(ctx: Ctx, call: Call, now: int, names: dict[int, str]) -> dict[str, Any]:
    start = ctx.world.local(call.start_ts).replace(tzinfo=None)
    return {
        "call_session_id": call.id,
        "direction": call.direction.value,
        "start_time": _list_time(start, ctx.opts.list_calls_time_format),
        "virtual_phone_number": call.virtual_number,
        "contact_phone_number": call.contact_number,
        "external_id": call.external_id,
        "tags": [],
        "legs": [
            {
                "leg_id": leg.id,
                "calling_phone_number": leg.calling_number,
                "called_phone_number": leg.called_number,
                "is_operator": leg.role is LegRole.EMPLOYEE,
                "employee_id": leg.employee_id,
                "employee_full_name": names.get(leg.employee_id) if leg.employee_id else None,
                "record_call_enabled": call.recorded,
                "state": leg_state(call, leg, now),
            }
            for leg in call.legs
            if leg.start_ts <= now
        ],
    }


def _list_time(local: datetime, style: str) -> str:
    if style == "space":
        return local.strftime("%Y-%m-%d %H:%M:%S")
    return local.isoformat(timespec="milliseconds")


def leg_state(call: Call, leg: Leg, now: int) -> str:
    """The Russian state label `list.calls` gives a leg at `now`."""
    state = leg.state(now)
    if state in (CallState.FINISHED, CallState.MISSED) or now >= leg.end_ts:
        return "Разъединено"
    if state is CallState.TALKING:
        connected = call.answer_ts is not None and call.answer_ts <= now
        if leg.role is LegRole.CONTACT and not connected:
            return "Дозвон"  # the caller hears ringback while employees are rung
        return "Разговор"
    return "Дозвон"


# -- actions on calls ------------------------------------------------------------------------------
def release_call(ctx: Ctx, p: ReleaseCallParams) -> Result:
    actions.release_call(ctx.world, p.call_session_id)
    return Result({"success": "true"})


def disconnect_leg(ctx: Ctx, p: DisconnectLegParams) -> Result:
    actions.disconnect_leg(ctx.world, p.call_session_id, p.leg_id)
    return Result({"success": "true"})


CALL_METHODS: dict[str, Method] = {
    "login.user": Method(LoginParams, login_user, auth=False),
    "logout.user": Method(LogoutParams, logout_user),
    "start.employee_call": Method(EmployeeCallParams, start_employee_call),
    "start.simple_call": Method(SimpleCallParams, start_simple_call),
    "list.calls": Method(ListCallsParams, list_calls),
    "release.call": Method(ReleaseCallParams, release_call),
    "disconnect.leg": Method(DisconnectLegParams, disconnect_leg),
}
