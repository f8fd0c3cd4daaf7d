"""/_mockpbx/clinic/options: the clinic face's options (the open points of IDENT's HTTP variant).

    GET  /_mockpbx/clinic/options   the options in effect
    POST /_mockpbx/clinic/options   a partial ClinicOptions (see providers/clinic/schemas.py),
                                    e.g. {"auth_status": 403, "to_inclusive": true}

Options last until changed (a reset keeps them), like the other faces' options.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError

from mockpbx.control.params import first_problem, read_json
from mockpbx.providers.clinic.schemas import ClinicOptions
from mockpbx.state import STATE, ServerState

__all__ = ["routes"]

routes = web.RouteTableDef()


def _options(state: ServerState) -> ClinicOptions:
    return ClinicOptions.of(state.options.get("clinic"))


@routes.get("/clinic/options")
async def get_options(request: web.Request) -> web.Response:
    return web.json_response(_options(request.config_dict[STATE]).model_dump())


@routes.post("/clinic/options")
async def post_options(request: web.Request) -> web.Response:
    state = request.config_dict[STATE]
    body = await read_json(request)
    try:
        merged = ClinicOptions.model_validate({**_options(state).model_dump(), **body})
    except ValidationError as exc:
        raise first_problem(exc) from None
    state.options["clinic"] = merged.model_dump()
    return web.json_response(merged.model_dump())
