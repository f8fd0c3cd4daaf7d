"""/_mockpbx/directory and /_mockpbx/faults/methods: what the world and its faces are made of.

    GET /_mockpbx/directory       clinics, employees (name, role, clinic) and SIP lines
    GET /_mockpbx/faults/methods  {"uis": [...], "mango": [...], "clinic": [...]}: the
                                  method names a fault (and the journal) knows each face by

The dashboard shows names and SIP lines instead of bare ids, and offers a
fault's method from the face's real methods. The method lists are read from
each face's own method tables (names only, never its wire format).
"""

from __future__ import annotations

from aiohttp import web

from mockpbx.state import STATE, ServerState

__all__ = ["face_methods", "routes"]

routes = web.RouteTableDef()


def face_methods(state: ServerState) -> dict[str, list[str]]:
    """Every face's method names as faults and the journal match them, sorted."""
    from mockpbx.providers.clinic.routes import create_face as clinic_face
    from mockpbx.providers.mango.routes import LINK_METHOD, METHODS
    from mockpbx.providers.uis.callapi import CALL_METHODS
    from mockpbx.providers.uis.dataapi import DATA_METHODS

    clinic = clinic_face(state).router.named_resources()  # clinic methods are route names
    return {
        "uis": sorted({*DATA_METHODS, *CALL_METHODS, "media.recording"}),
        "mango": sorted({*METHODS, LINK_METHOD, "files"}),
        "clinic": sorted(clinic),
    }


@routes.get("/faults/methods")
async def methods(request: web.Request) -> web.Response:
    return web.json_response(face_methods(request.config_dict[STATE]))


@routes.get("/directory")
async def directory(request: web.Request) -> web.Response:
    world = request.config_dict[STATE].world
    d = world.directory
    return web.json_response(
        {
            "clinics": [{"id": c.id, "name": c.name} for c in d.clinics],
            "employees": [
                {"id": e.id, "name": e.full_name, "role": e.role, "clinic_id": e.clinic_id}
                for e in d.employees
            ],
            "sip_lines": [
                {"id": s.id, "login": s.login, "employee_id": s.employee_id, "name": s.name}
                for s in d.sip_lines
            ],
        }
    )
