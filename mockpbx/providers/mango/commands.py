"""commands/*: callback, callback_group, call/hangup, route, transfer, recording/start,
play/start, sms.

Each answers at once with `{"result": code}` and later posts the same code to
the integrator at `result/<command>` (signed, `command_id` echoed); the legs it
creates carry the `command_id` in their events. Deviations (the docs are
silent): the synchronous reply repeats the command's outcome; `sip_headers`
are accepted and ignored (Mango ignores unsupported ones); route, transfer and
recording target employees only (an outside number gets 4001, not supported);
play/start checks the call is in the menu but plays nothing (the world has no
audio files, so any internal_id is taken); sms sends nothing and reports it
delivered with events/sms right after result/sms.
"""

from __future__ import annotations

from aiohttp import web

from mockpbx.core import actions
from mockpbx.core.errors import (
    CallNotFound,
    InvalidState,
    WorldError,
)
from mockpbx.core.model import Employee
from mockpbx.providers.mango import schemas as s
from mockpbx.providers.mango.context import Ctx, find_leg, ok
from mockpbx.providers.mango.errors import MangoError, world_error_code

__all__ = ["COMMANDS"]


def _code_of(exc: MangoError | WorldError) -> int:
    """The command's result code for a failure: a MangoError's own, or the world error's."""
    return exc.code if isinstance(exc, MangoError) else world_error_code(exc)


def _finish(ctx: Ctx, command: str, command_id: str, code: int) -> web.Response:
    """The synchronous reply, and the same outcome queued for result/<command>."""
    value: int | str = str(code) if ctx.opts.command_result_as_string else code
    ctx.rt.post_later(f"result/{command}", {"command_id": command_id, "result": value})
    return ok(ctx, code=code)


def _employee(ctx: Ctx, number: str) -> Employee:
    look = ctx.lookup()
    emp = look.employee_by_number(number)
    if emp is None:
        group = look.group_by_extension(number)
        emp = group.members[0] if group and group.members else None
    if emp is None:
        raise MangoError(4001, f"{number} is not an employee or group of this PBX")
    return emp


def _line(ctx: Ctx, line_number: str) -> str | None:
    if not line_number:
        return None
    if ctx.world.number(line_number) is None:
        raise MangoError(3100, f"line_number {line_number} is not a line of this PBX")
    return line_number


async def callback(ctx: Ctx) -> web.Response:
    p = s.parse(s.Callback, ctx.params)
    emp = ctx.lookup().by_extension.get(p.from_.extension)
    if emp is None:
        raise MangoError(3330, f"from.extension {p.from_.extension!r} is not an employee")
    caller_id = _line(ctx, p.line_number)
    phone = p.from_.number if p.from_.number and _is_own(ctx, emp, p.from_.number) else None
    try:
        call = actions.start_callback(
            ctx.world,
            emp.id,
            p.to_number,
            caller_id=caller_id,
            employee_phone=phone,
            source="callapi",
        )
    except WorldError as exc:
        return _finish(ctx, "callback", p.command_id, _code_of(exc))
    ctx.rt.call_commands[call.id] = p.command_id
    return _finish(ctx, "callback", p.command_id, 1000)


def _is_own(ctx: Ctx, emp: Employee, number: str) -> bool:
    """Whether `number` is one of the employee's (a foreign number rings their default line)."""
    return ctx.lookup().employee_by_number(number) is emp


async def callback_group(ctx: Ctx) -> web.Response:
    p = s.parse(s.CallbackGroup, ctx.params)
    look = ctx.lookup()
    caller_id = _line(ctx, p.line_number)
    group_from, group_to = look.group_by_extension(p.from_), look.group_by_extension(p.to)
    group = group_from or group_to
    if group is None:
        raise MangoError(3100, "a group short number must be in from or in to")
    contact = p.to if group_from is not None else p.from_
    ids = [e.id for e in group.members]
    try:
        call = actions.start_group_callback(
            ctx.world, ids, contact, caller_id=caller_id, contact_first=group_from is None
        )
    except WorldError as exc:
        return _finish(ctx, "callback_group", p.command_id, _code_of(exc))
    ctx.rt.call_commands[call.id] = p.command_id
    return _finish(ctx, "callback_group", p.command_id, 1000)


async def hangup(ctx: Ctx) -> web.Response:
    p = s.parse(s.Hangup, ctx.params)
    try:
        call, leg = find_leg(ctx, p.call_id)
        if not leg.start <= ctx.now < leg.end:
            raise CallNotFound("leg ended")
        talking = leg.answer is not None and leg.answer <= ctx.now
        if talking or leg.location == "ivr":
            actions.release_call(ctx.world, call.id)
        else:
            actions.disconnect_leg(ctx.world, call.id, leg.world_leg.id)
    except (MangoError, WorldError) as exc:
        return _finish(ctx, "call/hangup", p.command_id, _code_of(exc))
    return _finish(ctx, "call/hangup", p.command_id, 1000)


async def route(ctx: Ctx) -> web.Response:
    p = s.parse(s.Route, ctx.params)
    try:
        call, leg = find_leg(ctx, p.call_id)
        emp = _employee(ctx, p.to_number)
        answered = leg.answer is not None and leg.answer <= ctx.now
        ringing = not answered and leg.start <= ctx.now < leg.end
        if leg.location == "ivr":
            new = actions.route_call(ctx.world, call.id, emp.id)
        elif ringing:
            new = actions.route_call(ctx.world, call.id, emp.id, leg_id=leg.world_leg.id)
        else:
            raise InvalidState("only a call in the menu or still ringing can be routed")
    except (MangoError, WorldError) as exc:
        return _finish(ctx, "route", p.command_id, _code_of(exc))
    ctx.rt.leg_commands[new.id] = p.command_id
    return _finish(ctx, "route", p.command_id, 1000)


async def transfer(ctx: Ctx) -> web.Response:
    p = s.parse(s.Transfer, ctx.params)
    try:
        call, leg = find_leg(ctx, p.call_id)
        if leg.answer is None or not leg.answer <= ctx.now < leg.end:
            raise InvalidState("only a Connected call can be transferred")
        parties = {*leg.party_from.values(), *leg.party_to.values()}
        if p.initiator not in parties:
            raise MangoError(3330, f"initiator {p.initiator} is not a party of the call")
        emp = _employee(ctx, p.to_number)
        kind = "consultative" if p.method == "hold" else "blind"
        new = actions.transfer(ctx.world, call.id, emp.id, kind=kind)
    except (MangoError, WorldError) as exc:
        return _finish(ctx, "transfer", p.command_id, _code_of(exc))
    ctx.rt.leg_commands[new.id] = p.command_id
    return _finish(ctx, "transfer", p.command_id, 1000)


async def recording_start(ctx: Ctx) -> web.Response:
    p = s.parse(s.RecordingStart, ctx.params)
    try:
        call, leg = find_leg(ctx, p.call_id)
        if not leg.start <= ctx.now < leg.end:
            raise CallNotFound("leg ended")
        emp = ctx.lookup().employee_by_number(p.call_party_number)
        if emp is None or emp.id not in {lg.employee_id for lg in call.legs}:
            raise MangoError(3330, f"{p.call_party_number} is not an employee in this call")
        actions.start_recording(ctx.world, call.id)
    except InvalidState:
        return _finish(ctx, "recording/start", p.command_id, 4102)
    except (MangoError, WorldError) as exc:
        return _finish(ctx, "recording/start", p.command_id, _code_of(exc))
    ctx.rt.recording_started[call.id] = (ctx.now, p.command_id or None)
    return _finish(ctx, "recording/start", p.command_id, 1000)


async def play_start(ctx: Ctx) -> web.Response:
    p = s.parse(s.PlayStart, ctx.params)
    try:
        _, leg = find_leg(ctx, p.call_id)
        if not leg.start <= ctx.now < leg.end:
            raise CallNotFound("leg ended")
        if leg.location != "ivr":
            raise InvalidState("only a call in the menu can be played to")
    except (MangoError, WorldError) as exc:
        return _finish(ctx, "play/start", p.command_id, _code_of(exc))
    return _finish(ctx, "play/start", p.command_id, 1000)


async def sms(ctx: Ctx) -> web.Response:
    p = s.parse(s.Sms, ctx.params)
    look = ctx.lookup()
    if p.from_extension not in look.by_extension:
        return _finish(ctx, "sms", p.command_id, 3100)
    if p.to_number in look.by_extension:
        return _finish(ctx, "sms", p.command_id, 3100)  # "any number except short numbers"
    reply = _finish(ctx, "sms", p.command_id, 1000)
    ctx.rt.post_later(
        "events/sms", {"command_id": p.command_id, "timestamp": ctx.now, "reason": 1000}
    )
    return reply


COMMANDS = {
    "commands/callback": callback,
    "commands/callback_group": callback_group,
    "commands/call/hangup": hangup,
    "commands/route": route,
    "commands/transfer": transfer,
    "commands/recording/start": recording_start,
    "commands/play/start": play_start,
    "commands/sms": sms,
}
