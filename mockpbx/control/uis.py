"""/_mockpbx/uis/options: the UIS face's options (where the UIS docs contradict themselves).

    GET  /_mockpbx/uis/options   the options in effect
    POST /_mockpbx/uis/options   a partial UisOptions (see providers/uis/options.py),
                                 e.g. {"minute_limit": 100000, "interval_limit": "90 days"}

Point limits count on the virtual clock: with a frozen clock, advance it a
minute to get the minute's points back, or raise `minute_limit` here.
Options last until changed (a reset keeps them), like the other faces' options.
"""

from __future__ import annotations

import dataclasses

from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from mockpbx.control.params import bad_request, first_problem, read_json
from mockpbx.providers.uis.options import UisOptions, options_of
from mockpbx.state import STATE

__all__ = ["routes"]

routes = web.RouteTableDef()
_ADAPTER = TypeAdapter(UisOptions)


@routes.get("/uis/options")
async def get_options(request: web.Request) -> web.Response:
    return web.json_response(dataclasses.asdict(options_of(request.config_dict[STATE])))


@routes.post("/uis/options")
async def post_options(request: web.Request) -> web.Response:
    state = request.config_dict[STATE]
    body = await read_json(request)
    unknown = sorted(set(body) - {f.name for f in dataclasses.fields(UisOptions)})
    if unknown:
        raise bad_request(f"unknown UIS option(s): {', '.join(unknown)}", unknown[0])
    current = dataclasses.asdict(options_of(state))
    try:
        merged = _ADAPTER.validate_python({**current, **body}, strict=False)
    except ValidationError as exc:
        raise first_problem(exc) from None
    state.options["uis"] = merged
    return web.json_response(dataclasses.asdict(merged))
