"""Clinic HTTP API reference face: the implementation of contract/openapi/provider.v1.yaml.

Mounted at `/clinic/` by `mockpbx.app`, so its endpoints are `/clinic/v1/<Name>`
(endpoint names are path segments, case as in IDENT's HTTP variant). Options:
`state.options["clinic"]` (see `schemas.ClinicOptions`).
"""

from __future__ import annotations

from aiohttp import web

from mockpbx.providers.clinic import handlers
from mockpbx.providers.clinic.errors import error_middleware
from mockpbx.state import STATE, ServerState

__all__ = ["create_face"]


def create_face(state: ServerState) -> web.Application:
    """The clinic face as an aiohttp sub-app with its own error middleware."""
    app = web.Application(middlewares=[error_middleware, handlers.entry_middleware])
    app[STATE] = state
    app.router.add_get(
        "/v1/GetFinishedCalls",
        handlers.get_finished_calls,
        name="GetFinishedCalls",
        allow_head=False,
    )
    app.router.add_get(
        "/v1/GetOngoingCalls", handlers.get_ongoing_calls, name="GetOngoingCalls", allow_head=False
    )
    app.router.add_get("/v1/GetTickets", handlers.get_tickets, name="GetTickets", allow_head=False)
    app.router.add_post("/v1/PostTimeTable", handlers.post_time_table, name="PostTimeTable")
    app.router.add_post("/v1/StartCallback", handlers.start_callback, name="StartCallback")
    return app
