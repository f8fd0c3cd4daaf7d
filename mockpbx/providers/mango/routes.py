"""The Mango Office VPBX face: `POST /mango/vpbx/<method>` with signed form fields.

Transport (doc 14, 19-21): form fields `vpbx_api_key`, `sign`, `json`, sent
urlencoded or multipart; `sign` = sha256(key + json + salt) over the raw
`json` string. Order of checks: lock-out, POST (3101), the three fields
(3103), key (3105), sign (3102), then the per-method rate limit (429: only
authenticated requests count, so a stranger's bad request never throttles
the integrator), JSON (3400), then the method.
Trailing slashes are ignored (`stats/calls/result/` as in the doc).

Mounted twice: at `/mango/vpbx/<method>` (the base `GET /_mockpbx/credentials`
hands out) and, as an alias, at the root `/vpbx/<method>` like the real
`https://app.mango-office.ru/vpbx/`, for clients that join `/vpbx/...` to the
host and drop the base URL's path. Both paths run the same handler: the same
journal face ("mango"), faults, limits and run-time memory.

The steps every face shares (tag, fault interception, injected-fault and
domain-error mapping, the journal's error) are `mockpbx.providers.base.Face`'s;
`MangoFace` supplies Mango's parts: result codes, their wire styles, the lock-out.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
from aiohttp import web

from mockpbx.core.errors import WorldError
from mockpbx.providers.base import Face
from mockpbx.providers.mango.commands import COMMANDS
from mockpbx.providers.mango.context import Ctx, Handler
from mockpbx.providers.mango.dispatcher import Dispatcher
from mockpbx.providers.mango.errors import (
    AuthError,
    LockedOut,
    MangoError,
    render_error,
    world_error_code,
)
from mockpbx.providers.mango.handlers import QUERIES
from mockpbx.providers.mango.options import method_offered, profile
from mockpbx.providers.mango.recordings import (
    RECORDINGS,
    find_link,
    link_key,
    link_target,
    recording_link,
    serve_file,
)
from mockpbx.providers.mango.runtime import options, runtime
from mockpbx.providers.mango.signing import sign, verify
from mockpbx.providers.mango.stats_handlers import STATS
from mockpbx.state import STATE, InjectedFault, ProviderErrorFault, ServerState

__all__ = ["MANGO", "METHODS", "MangoFace", "add_root_routes", "create_face"]

METHODS: dict[str, Handler] = {**COMMANDS, **STATS, **RECORDINGS, **QUERIES}
LINK_METHOD = "queries/recording/link"


async def _form(request: web.Request) -> dict[str, str]:
    """The form fields, urlencoded or multipart (file parts read as text)."""
    try:
        post = await request.post()
    except ValueError as exc:
        raise MangoError(3104, f"cannot read the form: {exc}") from None
    out: dict[str, str] = {}
    for name in ("vpbx_api_key", "sign", "json"):
        value = post.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            out[name] = value
        elif isinstance(value, bytes | bytearray):
            out[name] = bytes(value).decode("utf-8", "replace")
        else:
            out[name] = value.file.read().decode("utf-8", "replace")
    return out


def _authenticate(state: ServerState, form: dict[str, str]) -> None:
    missing = [n for n in ("vpbx_api_key", "sign", "json") if not form.get(n)]
    if missing:
        raise MangoError(3103, f"missing required form field {missing[0]}")
    creds = state.credentials
    if form["vpbx_api_key"] != creds.mango_api_key:
        raise AuthError(3105, "invalid vpbx_api_key")
    expected = sign(creds.mango_api_key, form["json"], creds.mango_api_salt)
    if not verify(expected, form["sign"]):
        raise AuthError(3102, "sign does not match key + json + salt")


def _params(form: dict[str, str]) -> dict[str, Any]:
    try:
        params = orjson.loads(form["json"])
    except orjson.JSONDecodeError:
        raise MangoError(3400, "json is not valid JSON") from None
    if not isinstance(params, dict):
        raise MangoError(3104, "json must be an object")
    return params


async def _account(request: web.Request, state: ServerState) -> ServerState:
    """The account whose vpbx_api_key the form carries (many accounts)."""
    if request.method != "POST":
        path = request.match_info["method"].strip("/")
        return state.account_for("mango_key", link_key(path))
    try:
        form = await _form(request)
    except MangoError:
        return state  # the face answers it once it reads the form itself
    return state.account_for("mango_key", form.get("vpbx_api_key"))


async def vpbx(request: web.Request) -> web.StreamResponse:
    state = request.config_dict[STATE]
    path = request.match_info["method"].strip("/")
    method = LINK_METHOD if path.startswith(LINK_METHOD + "/") else path
    MANGO.tag(request, method)
    if state.accounts is not None:
        state = await _account(request, state)
    ctx = Ctx(request, state, options(state), runtime(state))

    async def steps(ctx: Ctx) -> web.StreamResponse:
        return await _dispatch(ctx, path, method)

    response = await MANGO.dispatch(ctx, request, steps)
    if not response.prepared:
        response.headers["X-Uuid"] = str(uuid.uuid4())  # Mango's request id header
    return response


async def _dispatch(ctx: Ctx, path: str, method: str) -> web.StreamResponse:
    handler = METHODS.get(method)
    known = handler is not None or method == LINK_METHOD
    if not known or not method_offered(method, profile(ctx.opts, ctx.state.scenario)):
        raise MangoError(4001, f"unknown method {method}", status=404)
    injected = await MANGO.intercept(ctx.request, ctx.state, method)
    if injected is not None:
        return injected
    ctx.rt.check_lockout(ctx.now)
    if method == LINK_METHOD:
        if ctx.request.method != "GET":
            raise MangoError(3101, "this link is opened with GET")
        recording_id, action = link_target(ctx, path)
        _check_rate(ctx, method)
        return recording_link(ctx, recording_id, action)
    if ctx.request.method != "POST":
        raise MangoError(3101, "methods are called with POST")
    form = await _form(ctx.request)
    _authenticate(ctx.state, form)
    _check_rate(ctx, method)
    ctx.params = _params(form)
    MANGO.tag(ctx.request, method, ctx.params)
    assert handler is not None
    return await handler(ctx)


def _check_rate(ctx: Ctx, method: str) -> None:
    """Count an authenticated request against its method's limit (429 when over it)."""
    if ctx.opts.rate_limits:
        virtual = ctx.opts.rate_limit_clock == "virtual"
        now = ctx.state.world.clock.timestamp() if virtual else None
        ctx.rt.check_rate(method, now, overrides=ctx.opts.rate_limit_overrides)


def _fault_error(fault: InjectedFault) -> MangoError:
    if isinstance(fault, ProviderErrorFault):
        code = (
            int(fault.code)
            if fault.code is not None and str(fault.code).isascii() and str(fault.code).isdigit()
            else 5000
        )
        return MangoError(code, fault.message or "injected provider error")
    # expire_token: Mango keys do not expire; the nearest documented answer is the key's
    # refusal, 3105, and it stays until the fault is removed
    return AuthError(3105, "invalid vpbx_api_key (injected: the key has expired)")


class MangoFace(Face[Ctx, MangoError]):
    """Mango's parts of the shared dispatch: result codes in the configured wire style."""

    def fault_error(self, ctx: Ctx, fault: InjectedFault) -> MangoError:
        return _fault_error(fault)

    def domain_error(self, ctx: Ctx, exc: WorldError) -> MangoError:
        return MangoError(world_error_code(exc), str(exc))

    def journal_error(self, exc: MangoError) -> str | None:
        return f"{exc.code}: {exc.message}"

    def render_error(self, ctx: Ctx, exc: MangoError) -> web.Response:
        """The error's wire form; a second 3xxx within the lock-out window locks out."""
        bad = 3000 <= exc.code < 4000 and not isinstance(exc, LockedOut)
        if bad and ctx.rt.note_bad_request(ctx.now, ctx.opts):
            exc = LockedOut()
        return render_error(exc, ctx.opts)


MANGO = MangoFace("mango", MangoError)


async def files(request: web.Request) -> web.StreamResponse:
    state = request.config_dict[STATE]
    MANGO.tag(request, "files")
    if state.accounts is not None:
        return await serve_file(request, *find_link(state, request.match_info["token"]))
    return await serve_file(request, state, runtime(state))


VPBX_ROUTE = r"/vpbx/{method:[\s\S]+}"  # any method name, newlines too: its 404 is Mango's


def add_root_routes(app: web.Application) -> None:
    """Serve the VPBX API at the root app's `/vpbx/...` too (the real base URL's path)."""
    app.router.add_route("*", VPBX_ROUTE, vpbx)


def create_face(state: ServerState) -> web.Application:
    """The Mango sub-app (mounted at /mango/) and its event dispatcher."""
    app = web.Application()
    app[STATE] = state
    app.router.add_route("*", VPBX_ROUTE, vpbx)
    app.router.add_get("/files/{token}", files)
    dispatcher = Dispatcher(state)
    state.on_reset.append(dispatcher.on_reset)

    async def run_dispatcher(_: web.Application) -> AsyncIterator[None]:
        await dispatcher.start()
        yield
        await dispatcher.stop()

    app.cleanup_ctx.append(run_dispatcher)
    return app
