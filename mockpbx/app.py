"""Composition of one mockpbx server: the world, the faces, the control plane.

create_app(state) -> web.Application
    /uis/...           UIS Data API v2.0 and Call API v4.0   (providers/uis)
    /mango/vpbx/...    Mango Office VPBX API                  (providers/mango)
    /vpbx/...          the same Mango API at the real base's path (an alias)
    /clinic/v1/...     the clinic HTTP API reference face     (providers/clinic)
    /system/media/..., /media/...   public recording links    (providers/uis)
    /_mockpbx/...      control plane                          (control)

Every face's options in effect when the app is built are its baseline
(`mockpbx.providers.registry.install_options`): each reset restores them.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web

from mockpbx import keys
from mockpbx.core.world import World
from mockpbx.limits import MAX_BODY, MAX_FIELD, MAX_LINE, limits_middleware
from mockpbx.state import STATE, Credentials, ServerState, response_excerpt

__all__ = ["create_app", "create_state", "default_world_factory"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def default_world_factory(state: ServerState) -> World:
    from mockpbx.scenarios.engine import build_world
    from mockpbx.scenarios.model import Scenario

    return build_world(
        state.scenario or Scenario(), seed=state.seed, start=state.start, rate=state.rate
    )


def create_state(
    *,
    seed: int = 1,
    start: datetime | None = None,
    rate: float = 0.0,
    scenario: object | None = None,
    world: World | None = None,
    secret_key: str | None = None,
) -> ServerState:
    """A server state for a scenario (default: the small default clinic) and seed.

    Secrets come from `secret_key` when given (golden runs), else from the
    scenario's `secret_key`, else from a random key of this server.
    """
    from mockpbx.scenarios.engine import build_world
    from mockpbx.scenarios.model import Scenario

    sc = scenario if isinstance(scenario, Scenario) else Scenario()
    if world is None:
        world = build_world(sc, seed=seed, start=start, rate=rate)
    state = ServerState(
        world=world,
        world_factory=default_world_factory,
        seed=seed,
        credentials=Credentials.from_key(""),  # replaced by apply_secrets below
        start=world.clock.now() if start is None else start,
        rate=rate,
        scenario=sc,
        secret_key=secret_key or None,
    )
    state.apply_secrets()
    return state


@web.middleware
async def _guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Last line of defence: no traceback ever reaches a client; tests still see it."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except ConnectionResetError:  # the client went away mid-request: not a fault of ours
        raise
    except Exception as exc:
        request.config_dict[STATE].record_error(exc)
        return web.json_response(
            {"error": "internal_error", "message": "mockpbx hit an internal error"}, status=500
        )


@web.middleware
async def _journal(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    response: web.StreamResponse | None = None
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status, response = exc.status, exc
        raise
    finally:
        face = request.get(keys.FACE)
        if face is not None:
            state = request.config_dict[STATE]
            state.journal.record(
                time=state.world.clock.now().isoformat(),
                face=face,
                method=request.get(keys.METHOD, request.path),
                http_method=request.method,
                path=request.path,
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                error=request.get(keys.ERROR),
                params=request.get(keys.JOURNAL_PARAMS),
                fault=request.get(keys.FAULT),
                response=response_excerpt(response),
            )


@web.middleware
async def _replay(request: web.Request, handler: Handler) -> web.StreamResponse:
    """`serve --replay`: recorded answers first (mockpbx/record/replay.py), off by default."""
    replay = request.config_dict[STATE].options.get("replay")
    if replay is None:
        return await handler(request)
    return await replay.handle(request, handler)  # type: ignore[no-any-return]


def create_app(state: ServerState) -> web.Application:
    """The aiohttp application serving every face of `state`'s world."""
    from mockpbx.control.dashboard import to_dashboard
    from mockpbx.control.routes import create_control
    from mockpbx.faults import fault_middleware, install_faults
    from mockpbx.providers.clinic.routes import create_face as clinic_face
    from mockpbx.providers.mango.routes import add_root_routes as add_mango_root_routes
    from mockpbx.providers.mango.routes import create_face as mango_face
    from mockpbx.providers.registry import install_options
    from mockpbx.providers.uis.routes import add_media_routes
    from mockpbx.providers.uis.routes import create_face as uis_face

    app = web.Application(
        middlewares=[_journal, limits_middleware, _guard, fault_middleware, _replay],
        client_max_size=MAX_BODY,
        handler_args={"max_line_size": MAX_LINE, "max_field_size": MAX_FIELD},
    )
    app[STATE] = state
    install_faults(app, state)
    install_options(state)  # the options in effect now are the baseline every reset restores
    app.add_subapp("/uis/", uis_face(state))
    app.add_subapp("/mango/", mango_face(state))
    app.add_subapp("/clinic/", clinic_face(state))
    app.add_subapp("/_mockpbx/", create_control(state))
    add_media_routes(app)
    add_mango_root_routes(app)
    app.router.add_get("/", to_dashboard)
    return app
