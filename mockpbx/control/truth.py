"""/_mockpbx/truth: what really happened, for assertions (shapes in `scenarios.truth`).

    GET /_mockpbx/truth/calls?from=ISO&to=ISO    every call started in the period, by now
    GET /_mockpbx/truth/clinic?from=ISO&to=ISO   patients, comments, appointments, visits

`from`/`to` are ISO 8601 with an offset or local dates (YYYY-MM-DD = 00:00);
the defaults are the first day of history and now. `clinic_id` filters both;
`account=N` reads account N of a server with many accounts.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from mockpbx.control.accounts import account_state
from mockpbx.control.params import int_param, period
from mockpbx.providers.registry import FACE_IDS
from mockpbx.scenarios.truth import calls_truth, clinic_truth

__all__ = ["routes"]

routes = web.RouteTableDef()


def _json(body: Any) -> web.Response:
    return web.Response(body=orjson.dumps(body), content_type="application/json")


def _clinic_filter(request: web.Request) -> int | None:
    raw = request.query.get("clinic_id")
    if raw is None:
        return None
    return int_param(raw, "clinic_id")


@routes.get("/truth/calls")
async def truth_calls(request: web.Request) -> web.Response:
    world = account_state(request).world
    ts_from, ts_to = period(request, world)
    clinic = _clinic_filter(request)
    calls = calls_truth(world, ts_from, ts_to, FACE_IDS)
    if clinic is not None:
        calls = [c for c in calls if c["clinic_id"] == clinic]
    iso = world.local
    body = {"from": iso(ts_from).isoformat(), "to": iso(ts_to).isoformat(), "count": len(calls)}
    return _json({**body, "calls": calls})


@routes.get("/truth/clinic")
async def truth_clinic(request: web.Request) -> web.Response:
    world = account_state(request).world
    ts_from, ts_to = period(request, world)
    body = clinic_truth(world, ts_from, ts_to)
    clinic = _clinic_filter(request)
    if clinic is not None:
        for key in ("patients", "comments", "appointments", "visits", "doctors", "administrators"):
            body[key] = [row for row in body[key] if row["clinic_id"] == clinic]
    return _json(body)
