"""Handlers of the clinic face: parse, ask the world, render (contract/openapi).

`entry_middleware` runs every routed request through the shared dispatch
(`errors.CLINIC`, a `mockpbx.providers.base.Face`): tag, faults, the key, the handler.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from email.utils import formatdate
from typing import Any

from aiohttp import web

from mockpbx import keys
from mockpbx.core import actions
from mockpbx.core.model import Employee
from mockpbx.core.profiles import effective
from mockpbx.core.world import World
from mockpbx.providers.clinic import render
from mockpbx.providers.clinic.errors import (
    CLINIC,
    BadParameter,
    NotFoundError,
    NotOffered,
    Unauthorized,
)
from mockpbx.providers.clinic.schemas import (
    CallbackBody,
    ClinicOptions,
    Page,
    Period,
    TimeTableBody,
    options_of,
    parse_body,
    parse_page,
    parse_period,
)
from mockpbx.providers.clinic.tickets import tickets_between
from mockpbx.state import STATE, ServerState, page_start

__all__ = [
    "entry_middleware",
    "get_finished_calls",
    "get_ongoing_calls",
    "get_tickets",
    "post_time_table",
    "start_callback",
]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

KEY_HEADER = "IDENT-Integration-Key"
TIMETABLE = "clinic.timetable"  # state.extras key of the last schedule received


def _options(state: ServerState) -> ClinicOptions:
    options = options_of(state)
    profile = effective(options.profile, state.scenario, "clinic")
    return (
        options if profile == options.profile else options.model_copy(update={"profile": profile})
    )


def _authorize(request: web.Request, state: ServerState, options: ClinicOptions) -> None:
    key = request.headers.get(KEY_HEADER)
    if key is None:
        raise Unauthorized(f"the {KEY_HEADER} header is missing", options.auth_status)
    if not hmac.compare_digest(key.encode(), state.credentials.clinic_key.encode()):
        raise Unauthorized(f"the {KEY_HEADER} is not valid", options.auth_status)


# the feature an endpoint serves: a profile without it answers 404, as if unrouted
NEEDS = {"GetOngoingCalls": "live", "StartCallback": "callback"}


def _offered(method: str, options: ClinicOptions) -> bool:
    """history_only keeps GetFinishedCalls alone; other profiles drop their feature's endpoint."""
    if "history_only" in options.profile:
        return method == "GetFinishedCalls"
    return method not in NEEDS or not options.lacks(NEEDS[method])


@web.middleware
async def entry_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Once routed: journal the endpoint, apply injected faults, then check the key."""
    method = request.match_info.route.name
    if method is None:  # aiohttp's own 404/405: rendered by error_middleware
        return await handler(request)
    if not _offered(method, _options(request.config_dict[STATE])):
        raise web.HTTPNotFound()  # the profile's provider has no such endpoint
    CLINIC.tag(request, method, dict(request.query))

    async def steps(request: web.Request) -> web.StreamResponse:
        state = request.config_dict[STATE]
        if state.accounts is not None:
            state = request[keys.ACCOUNT] = state.account_for(
                "clinic_key", request.headers.get(KEY_HEADER)
            )
        response = await CLINIC.intercept(request, state, method)
        if response is not None:
            return response
        _authorize(request, state, _options(state))
        response = await handler(request)
        # the answer's Date is the world's (virtual) time, as a real provider's is its own clock
        response.headers["Date"] = formatdate(state.world.clock.timestamp(), usegmt=True)
        return response

    return await CLINIC.dispatch(request, request, steps)


def _enter(request: web.Request) -> tuple[ServerState, ClinicOptions]:
    state = request.get(keys.ACCOUNT) or request.config_dict[STATE]
    return state, _options(state)


def _window(request: web.Request, options: ClinicOptions, world: World) -> tuple[Period, Page]:
    period = parse_period(request.query, options)
    page = parse_page(request.query, options)
    oldest = world.now() - options.history_limit_days * 86400
    period = Period(max(period.ts_from, oldest), period.ts_to)
    return period, Page(page.limit, _page_start(request, page))


def _page_start(request: web.Request, page: Page) -> int:
    """The page's start: under duplicate_rows, rows arriving at the head push it back."""
    if request.get(keys.FAULT_DUPLICATE_ROWS) is None:
        return page.offset
    query = sorted((k, v) for k, v in request.query.items() if k.lower() != "offset")
    listing = request.path + "?" + "&".join(f"{k}={v}" for k, v in query)
    return page_start(request, page.offset, page.limit, listing)


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


async def get_finished_calls(request: web.Request) -> web.Response:
    """GET /GetFinishedCalls: ended calls started in [from, to), stable order, paged."""
    state, options = _enter(request)
    world = state.world
    period, page = _window(request, options, world)
    calls = world.history(period.ts_from, period.ts_to) if period.ts_to > period.ts_from else []
    origin = str(request.url.origin())
    window = calls[page.offset : page.offset + page.limit]
    return _json([render.finished_call(world, c, options, origin) for c in window])


async def get_ongoing_calls(request: web.Request) -> web.Response:
    """GET /GetOngoingCalls: calls ringing or talking now, oldest first; no parameters."""
    state, options = _enter(request)
    world = state.world
    now = world.now()
    calls = sorted(world.live_calls(), key=lambda c: (c.start_ts, c.id))
    return _json([render.ongoing_call(world, c, options, now) for c in calls])


async def get_tickets(request: web.Request) -> web.Response:
    """GET /GetTickets: site leads created in [from, to), paged like calls."""
    state, options = _enter(request)
    world = state.world
    period, page = _window(request, options, world)
    oldest = world.now() - options.tickets_days * 86400
    found = tickets_between(
        world, max(period.ts_from, oldest), period.ts_to, options.tickets_per_day
    )
    window = found[page.offset : page.offset + page.limit]
    return _json(
        [
            {"Id": t.key, "DateAndTime": render.format_time(world, t.ts, options), **t.fields}
            for t in window
        ]
    )


async def _json_body(request: web.Request) -> Any:
    try:
        return await request.json()
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the stack
        raise BadParameter("body", "is not valid JSON") from None


async def post_time_table(request: web.Request) -> web.Response:
    """POST /PostTimeTable: keep the clinic's schedule (the last one wins)."""
    state, _ = _enter(request)
    table = parse_body(TimeTableBody, await _json_body(request))
    state.extras[TIMETABLE] = table.model_dump()
    counts = {
        k: len(v) for k, v in table.model_dump(include={"Doctors", "Branches", "Intervals"}).items()
    }
    return _json(counts)


def _employee_by_phone(world: World, phone: str) -> Employee:
    for employee in world.employees:
        lines = {line.login for line in world.lines_of(employee.id)}
        if phone == employee.extension or phone in employee.phone_numbers or phone in lines:
            return employee
    raise NotFoundError(f"EmployeePhone: no employee has the phone {phone!r}")


async def start_callback(request: web.Request) -> web.Response:
    """POST /StartCallback (optional): ring the employee first, then the patient."""
    state, options = _enter(request)
    if not options.callback:
        raise NotOffered("callback is not offered by this provider")
    body = parse_body(CallbackBody, await _json_body(request))
    world = state.world
    employee = _employee_by_phone(world, body.EmployeePhone)
    # the world's NoActivePhone / EmployeeNotFound: 409 (`ClinicFace.domain_error`)
    call = actions.start_callback(
        world, employee.id, body.ClientPhone.lstrip("+"), employee_phone=body.EmployeePhone
    )
    started = render.format_time(world, call.start_ts, options)
    return _json({"Id": str(call.id), "DateAndTime": started}, status=202)
