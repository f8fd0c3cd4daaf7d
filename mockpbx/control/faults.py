"""/_mockpbx/faults: inject, list and clear faults (see `mockpbx.faults` for the kinds).

    POST   /_mockpbx/faults          a FaultSpec -> 201 {"id": 1, ...}
    GET    /_mockpbx/faults          {"faults": [...]} with hits and what remains
    DELETE /_mockpbx/faults/{id}     remove one (404 if unknown)
    DELETE /_mockpbx/faults          remove all

'+N[s|m|h|d]' window times count from the moment the fault is posted.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError

from mockpbx.control.params import bad_request, int_param, read_json, validation_error
from mockpbx.faults import FaultError, FaultRegistry, registry_of
from mockpbx.scenarios.model import FaultSpec

__all__ = ["install_fault", "routes"]

routes = web.RouteTableDef()


@routes.post("/faults")
async def add_fault(request: web.Request) -> web.Response:
    return await install_fault(request, registry_of(request))


async def install_fault(request: web.Request, registry: FaultRegistry) -> web.Response:
    """Validate the request's FaultSpec and add it to `registry`: 201 with its echo."""
    body = await read_json(request)
    try:
        spec = FaultSpec.model_validate(body)
    except ValidationError as exc:
        raise validation_error(exc, "fault") from None
    try:
        fault = registry.add(spec)
    except FaultError as exc:
        raise bad_request(str(exc), "window") from None
    return web.json_response(fault.describe(), status=201)


@routes.get("/faults")
async def list_faults(request: web.Request) -> web.Response:
    return web.json_response({"faults": registry_of(request).describe()})


@routes.delete("/faults/{id}")
async def delete_fault(request: web.Request) -> web.Response:
    raw = request.match_info["id"]
    if not registry_of(request).remove(int_param(raw, "id", "a fault id (an integer)")):
        raise web.HTTPNotFound(
            text=web.json_response({"error": f"no fault with id {raw}"}).text,
            content_type="application/json",
        )
    return web.json_response({"deleted": int(raw)})


@routes.delete("/faults")
async def clear_faults(request: web.Request) -> web.Response:
    registry = registry_of(request)
    count = len(registry.describe())
    registry.clear()
    return web.json_response({"cleared": count})
