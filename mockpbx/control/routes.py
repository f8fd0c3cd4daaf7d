"""The /_mockpbx/ control plane: health, credentials, clock, reset, journal.

Its other parts live next door: scenario.py (seed, scenarios), faults.py,
truth.py, openapi.py (the document at /_mockpbx/openapi.json), options.py
(every face's /_mockpbx/{face}/options), mango.py (webhook, delivery faults), and
dashboard.py (the HTML page at /_mockpbx/ over these JSON endpoints); this
module assembles them. What they share (bad_request, read_json, int_param)
is in params.py, which imports none of them.

It speaks plain JSON of its own and never renders a provider format. Bad
requests get 400 with `{"error": ..., "field": ...}` naming the problem.

With a control token (`mockpbx serve --control-token`, MOCKPBX_CONTROL_TOKEN),
every endpoint asks for `Authorization: Bearer <token>` (401 without it) but
GET /health, the dashboard page and /openapi.json, which reveal nothing; the
page's own fetch() calls send the token (taken from /_mockpbx/#token=...).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from mockpbx.control.params import bad_request, read_json
from mockpbx.core.errors import ClockError
from mockpbx.state import STATE, ServerState

__all__ = ["create_control", "require_token"]

routes = web.RouteTableDef()


def _state(request: web.Request) -> ServerState:
    return request.config_dict[STATE]


PUBLIC = frozenset({"", "/", "/dashboard", "/health", "/openapi.json"})  # GET/HEAD only
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    """401 in the control plane's shape unless the request carries the control token."""
    token = _state(request).control_token
    if token is None or _is_public(request) or _has_token(request, token):
        return await handler(request)
    body = {"error": "this endpoint needs the control token: Authorization: Bearer <token>",
            "field": "Authorization"}  # fmt: skip
    return web.json_response(
        body, status=401, headers={"WWW-Authenticate": 'Bearer realm="mockpbx control"'}
    )


def _is_public(request: web.Request) -> bool:
    sub = request.path.removeprefix("/_mockpbx")
    return request.method in ("GET", "HEAD") and sub in PUBLIC


def _has_token(request: web.Request, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8", "replace"), token.encode())


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    state = _state(request)
    return web.json_response(
        {
            "status": "ok",
            "scenario": state.world.meta.get("scenario"),
            "seed": state.seed,
            "now": state.world.clock.now().astimezone(state.world.tz).isoformat(),
        }
    )


@routes.get("/credentials")
async def credentials(request: web.Request) -> web.Response:
    from mockpbx.control.accounts import accounts_document

    state, base = _state(request), str(request.url.origin())
    body = state.credentials.document(base)
    accounts = accounts_document(state, base)  # many accounts: every one's, account 1 first
    if accounts is not None:
        body["accounts"] = accounts
    return web.json_response(body)


def _clock_body(state: ServerState) -> dict[str, Any]:
    clock = state.world.clock
    return {"now": clock.now().astimezone(state.world.tz).isoformat(), "rate": clock.rate}


@routes.get("/clock")
async def get_clock(request: web.Request) -> web.Response:
    return web.json_response(_clock_body(_state(request)))


@routes.post("/clock")
async def post_clock(request: web.Request) -> web.Response:
    state = _state(request)
    body = await read_json(request)
    unknown = set(body) - {"advance_seconds", "rate", "set"}
    if unknown or not body:
        raise bad_request(
            "expected one or more of advance_seconds, rate, set", ", ".join(sorted(unknown)) or None
        )
    clock = state.world.clock
    try:
        if "set" in body:
            clock.set(_parse_time(body["set"], "set"))
        if "advance_seconds" in body:
            clock.advance(_number(body["advance_seconds"], "advance_seconds", MAX_ADVANCE))
        if "rate" in body:
            clock.set_rate(_number(body["rate"], "rate", MAX_RATE))
    except ClockError as exc:
        raise bad_request(str(exc)) from None
    return web.json_response(_clock_body(state))


MAX_RATE = 100_000.0  # a faster clock would leave the calendar within hours
MAX_ADVANCE = 10 * 366 * 86400.0  # ten years in one step
LATEST = datetime(2100, 1, 1).astimezone()  # the clock is never set beyond this


def _number(value: Any, field: str, maximum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"{field} must be a number", field)
    if not value <= maximum:  # also refuses NaN; the clock itself refuses going backwards
        raise bad_request(f"{field} must be at most {maximum:g}", field)
    return float(value)


def _parse_time(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise bad_request(f"{field} must be an ISO 8601 string with a UTC offset", field)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise bad_request(f"{field} is not ISO 8601: {value!r}", field) from None
    if when.tzinfo is None:
        raise bad_request(f"{field} must carry a UTC offset: {value!r}", field)
    if when >= LATEST:
        raise bad_request(f"{field} must be before 2100: {value!r}", field)
    return when


@routes.post("/reset")
async def reset(request: web.Request) -> web.Response:
    state = _state(request)
    await state.reset()
    return web.json_response({"status": "reset", **_clock_body(state)})


@routes.get("/journal")
async def journal(request: web.Request) -> web.Response:
    state = _state(request)
    q = request.query
    try:
        since = int(q.get("since", "0"))
        limit = int(q.get("limit", "500"))
    except ValueError:
        raise bad_request("since and limit must be integers") from None
    entries = [
        e.as_dict()
        for e in state.journal.entries(face=q.get("face"), method=q.get("method"), since=since)
    ]
    return web.json_response({"entries": entries[-limit:], "total": len(entries)})


@routes.delete("/journal")
async def clear_journal(request: web.Request) -> web.Response:
    _state(request).journal.clear()
    return web.json_response({"status": "cleared"})


@routes.get("/errors")
async def server_errors(request: web.Request) -> web.Response:
    """Unexpected errors inside the server (for the pytest plugin); never sent elsewhere."""
    return web.json_response({"errors": _state(request).server_errors})


def create_control(state: ServerState) -> web.Application:
    from mockpbx.control.accounts import routes as accounts_routes
    from mockpbx.control.dashboard import routes as dashboard_routes
    from mockpbx.control.directory import routes as directory_routes
    from mockpbx.control.faults import routes as fault_routes
    from mockpbx.control.mango import routes as mango_routes
    from mockpbx.control.openapi import routes as openapi_routes
    from mockpbx.control.options import routes as options_routes
    from mockpbx.control.scenario import routes as scenario_routes
    from mockpbx.control.truth import routes as truth_routes

    app = web.Application(middlewares=[require_token])
    app[STATE] = state
    app.add_routes(routes)
    app.add_routes(mango_routes)
    app.add_routes(directory_routes)  # before faults: /faults/methods is not a fault id
    app.add_routes(accounts_routes)
    for table in (scenario_routes, fault_routes, truth_routes, openapi_routes, dashboard_routes):
        app.add_routes(table)
    app.add_routes(options_routes)  # last: /{face}/options never shadows a fixed path
    return app
