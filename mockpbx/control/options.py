"""/_mockpbx/{face}/options: every face's options, one route (faces: providers/registry.py).

    GET  /_mockpbx/{face}/options   the options in effect
    POST /_mockpbx/{face}/options   a partial body merged into them, e.g.
                                    {"minute_limit": 100000} (uis), {"auth_status": 403}
                                    (clinic), {"csv_line_ending": "\\r\\n"} (mango)

Each face's model (`UisOptions`, `MangoOptions`, `ClinicOptions`) documents its fields.
An unknown key gets 400 naming it, a bad value 400 naming the field (nothing changes
then); an unknown face 404. A face's own check runs too (Mango: `webhook_url` must be a
target this server may post to).

Reset policy, the same for every face: the options in effect when the server was built
(`mockpbx serve` flags such as `--mango-webhook`, options set before `create_app` or in
`MockPBXServer(configure=...)`, `mockpbx fidelity`'s settings) are the baseline. Options
changed here last until the next reset (`POST /_mockpbx/reset`, loading a scenario, the
pytest `mockpbx` fixture before each test), which restores every face's baseline.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError

from mockpbx.control.params import bad_request, first_problem, not_found, read_json
from mockpbx.providers.base import FaceOptions, OptionError
from mockpbx.providers.registry import FACE_OPTIONS
from mockpbx.state import STATE

__all__ = ["routes"]

routes = web.RouteTableDef()


def _spec(request: web.Request) -> FaceOptions[Any]:
    face = request.match_info["face"]
    spec = FACE_OPTIONS.get(face)
    if spec is None:
        known = ", ".join(FACE_OPTIONS)
        raise not_found(f"no face {face!r} has options (faces: {known})", "face")
    return spec


@routes.get("/{face}/options")
async def get_options(request: web.Request) -> web.Response:
    spec = _spec(request)
    return web.json_response(spec.of(request.config_dict[STATE]).model_dump(mode="json"))


@routes.post("/{face}/options")
async def post_options(request: web.Request) -> web.Response:
    spec = _spec(request)
    body = await read_json(request)
    try:
        merged = spec.update(request.config_dict[STATE], body)
    except OptionError as exc:
        raise bad_request(exc.message, exc.field) from None
    except ValidationError as exc:
        raise first_problem(exc) from None
    return web.json_response(merged.model_dump(mode="json"))
