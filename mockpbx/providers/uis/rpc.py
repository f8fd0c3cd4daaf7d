"""The JSON-RPC 2.0 endpoint both UIS APIs share: envelope, auth, limits, faults, replies.

The steps every face shares (tag, fault interception, injected-fault and
domain-error mapping, the journal's error) are `mockpbx.providers.base.Face`'s;
`UisFace` supplies the UIS parts: the JSON-RPC error object and its mnemonics.

One request, in order: read the body (oversized -> invalid_request, HTTP 413);
parse JSON (-32700); refuse batches and notifications (-32099; an id-less
object that is not a request at all, e.g. `{"email": ...}`, is -32600); check the
envelope (-32600); find the method (-32601); let the fault hook intercept;
check the access token (-32001) and the point limits (-32029); parse the
params (-32602); run the handler; charge one point on success only.

Deviations: non-object `params` are an invalid request; a missing `params`
is taken as `{}` (so the reply names the missing access_token). Session keys
from either API's `login.user` work on both (the real hosts may keep them
apart); points are counted per API and key. Errors after authentication
carry `data.metadata.limits` (the docs say metadata rides along with errors).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from aiohttp import web
from pydantic import BaseModel

from mockpbx import keys
from mockpbx.core.errors import WorldError
from mockpbx.core.world import World
from mockpbx.providers.base import Face
from mockpbx.providers.uis.errors import UisError, code_of_mnemonic, err
from mockpbx.providers.uis.options import UisOptions, offered, options_of, profile_of
from mockpbx.providers.uis.render import RenderContext
from mockpbx.providers.uis.runtime import Runtime, runtime_of
from mockpbx.providers.uis.schemas import parse_params
from mockpbx.state import (
    STATE,
    InjectedFault,
    ProviderErrorFault,
    ServerState,
    TokenExpiredFault,
    page_start,
)

__all__ = ["UIS", "Ctx", "Endpoint", "JsonRows", "Method", "Result", "UisFace"]

_SECRET_PARAMS = ("access_token", "password")
_SORTED = orjson.OPT_SORT_KEYS


@dataclass(slots=True)
class JsonRows:
    """`result.data` as serialized JSON parts, each one row or several rows joined by
    commas (spliced into the body with commas between parts, without a copy)."""

    parts: list[bytes]


@dataclass(slots=True)
class Result:
    """What a handler returns: `data` (JSON-able or `JsonRows`) and, for get.*, a total."""

    data: Any
    total: int | None = None


@dataclass(slots=True)
class Ctx:
    """One call of one method: the request and everything handlers reach through it."""

    request: web.Request
    state: ServerState
    opts: UisOptions
    rt: Runtime
    api: str
    token: str | None = None  # the access token, once authenticated
    rpc_id: Any = None  # the request's id, once read (errors before it answer null)
    presented: object = None  # the access_token param the fault hook may expire

    @property
    def world(self) -> World:
        return self.state.world

    @property
    def origin(self) -> str:
        return str(self.request.url.origin())

    def page_start(self, offset: int, limit: int) -> int:
        """Where the page at `offset` starts: the duplicate_rows fault shifts it
        (`mockpbx.state.page_start`); the listing is the method and its other params."""
        request = self.request
        if request.get(keys.FAULT_DUPLICATE_ROWS) is None:
            return offset
        params = {k: v for k, v in request.get(keys.JOURNAL_PARAMS, {}).items() if k != "offset"}
        listing = request.get(keys.METHOD, "") + orjson.dumps(params, option=_SORTED).decode()
        return page_start(request, offset, limit, listing)

    def render_context(self) -> RenderContext:
        origin = self.origin
        return RenderContext(
            self.world,
            origin=origin,
            origin_id=self.rt.origin_id(origin),
            url_style=self.opts.recording_url_style,
            cache=self.rt.rows,
        )

    def new_session(self) -> tuple[str, int]:
        """A new session key and when it expires (virtual epoch seconds)."""
        self.rt.session_seq += 1
        token = self.world.secrets.token_hex("uis-session", self.rt.session_seq, nbytes=32)
        expires = self.world.now() + self.opts.session_seconds
        self.rt.sessions[token] = expires
        return token, expires


@dataclass(frozen=True, slots=True)
class Method:
    params: type[BaseModel]
    handler: Callable[[Ctx, Any], Result]
    auth: bool = True


class Endpoint:
    """`POST` handler of one API (`data` or `call`) over its method table."""

    def __init__(self, api: str, methods: dict[str, Method]) -> None:
        self.api = api
        self.methods = methods

    async def handle(self, request: web.Request) -> web.StreamResponse:
        UIS.tag(request)
        state = request.config_dict[STATE]
        ctx = Ctx(request, state, options_of(state), runtime_of(state), self.api)
        return await UIS.dispatch(ctx, request, self._steps)

    async def _steps(self, ctx: Ctx) -> web.StreamResponse:
        doc = _parse(await _read(ctx.request))
        ctx.rpc_id = doc["id"]
        name, params = _members(doc)
        shown = {k: v for k, v in params.items() if k not in _SECRET_PARAMS}
        UIS.tag(ctx.request, name, shown)
        method = self.methods.get(name)
        if method is None or not offered(self.api, name, profile_of(ctx.state)):
            raise err("method_not_found", field="method", value=name)
        if ctx.state.accounts is not None:
            _for_account(ctx, params)
        faulted = await _intercept(ctx, method, name, params)
        if faulted is not None:
            return faulted
        return self._run(ctx, method, params)

    def _run(self, ctx: Ctx, method: Method, params: dict[str, Any]) -> web.Response:
        if method.auth:
            ctx.token = _authenticate(ctx, params)
            ctx.rt.limits.check(self._key(ctx), *_limit_time(ctx), ctx.opts)
        parsed = parse_params(method.params, params)
        result = method.handler(ctx, parsed)  # a WorldError: UisFace.domain_error
        if ctx.token is not None:
            ctx.rt.limits.charge(self._key(ctx), *_limit_time(ctx))
        return _success(ctx, result)

    def _key(self, ctx: Ctx) -> tuple[str, str]:
        return self.api, ctx.token or ""


# -- request -----------------------------------------------------------------------------
async def _intercept(
    ctx: Ctx, method: Method, name: str, params: dict[str, Any]
) -> web.StreamResponse | None:
    """The fault hook, told which credential the request carries (an expire_token fault
    on a session ends that session for good: `UisFace.fault_error`)."""
    token = params.get("access_token") if method.auth else None
    static = token == ctx.state.credentials.uis_access_token
    session = isinstance(token, str) and token in ctx.rt.sessions
    ctx.request[keys.FAULT_CREDENTIAL] = "static" if static else "session" if session else ""
    ctx.presented = token
    return await UIS.intercept(ctx.request, ctx.state, name)


async def _read(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise UisError(
            -32600,
            "invalid_request",
            "Invalid Request The request body is too large",
            http_status=413,
        ) from None


def _parse(body: bytes) -> dict[str, Any]:
    """The request object with a usable `id`, or the UIS error (its reply has `id: null`)."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise err("parse_error") from None
    if isinstance(doc, list):
        raise err("batch_opreations_not_supported")
    if not isinstance(doc, dict):
        raise err("invalid_request")
    if "id" not in doc:
        # A notification is a valid request without an id; anything else is not a request.
        valid = doc.get("jsonrpc") == "2.0" and isinstance(doc.get("method"), str)
        raise err("notifications_not_supported" if valid else "invalid_request")
    rpc_id = doc["id"]
    if isinstance(rpc_id, bool) or not isinstance(rpc_id, (str, int)):
        raise err("invalid_request", field="id", value=rpc_id)
    return doc


def _members(doc: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(method, params) of a request whose id is known (its errors echo the id)."""
    if doc.get("jsonrpc") != "2.0":
        raise err("invalid_request", field="jsonrpc", value=doc.get("jsonrpc"))
    name, params = doc.get("method"), doc.get("params", {})
    if not isinstance(name, str):
        raise err("invalid_request", field="method", value=name)
    if not isinstance(params, dict):
        raise err("invalid_request", field="params", value=params)
    return name, params


def _for_account(ctx: Ctx, params: dict[str, Any]) -> None:
    """Point `ctx` at the account the request's token or login names (many accounts)."""
    token = params.get("access_token")
    if isinstance(token, str):
        state = ctx.state.account_for("uis_token", token, lambda s: token in runtime_of(s).sessions)
    else:
        state = ctx.state.account_for("uis_login", params.get("login"))
    if state is not ctx.state:
        ctx.state, ctx.opts, ctx.rt = state, options_of(state), runtime_of(state)


def _authenticate(ctx: Ctx, params: dict[str, Any]) -> str:
    if "access_token" not in params:
        raise err("required_parameter_missed", field="access_token")
    token = params["access_token"]
    if not isinstance(token, str):
        raise err("data_type_error", field="access_token", value=token)
    if token == ctx.state.credentials.uis_access_token:
        return token  # the static API key never expires
    expires = ctx.rt.sessions.get(token)
    if expires is None:
        raise err("access_token_invalid")
    if ctx.world.now() >= expires:
        raise err(ctx.opts.expired_session_mnemonic)
    return token


def _limit_time(ctx: Ctx) -> tuple[int, datetime]:
    """Now on the clock the point limits count on (the options' `rate_limit_clock`), and
    its local time in the account's zone."""
    world = ctx.world
    now = world.now() if ctx.opts.rate_limit_clock == "virtual" else int(time.time())
    return now, world.local(now)


# -- replies ---------------------------------------------------------------------------------
def _metadata(ctx: Ctx, total: int | None) -> dict[str, Any] | None:
    meta: dict[str, Any] = {}
    if total is not None:
        meta["total_items"] = total
    if ctx.token is not None:
        key = (ctx.api, ctx.token)
        meta["limits"] = ctx.rt.limits.snapshot(key, *_limit_time(ctx), ctx.opts)
    if ctx.opts.metadata_version_null:
        meta["version"] = None
    return meta or None


def _success(ctx: Ctx, result: Result) -> web.Response:
    rpc_id = ctx.rpc_id
    meta = _metadata(ctx, result.total)
    if isinstance(result.data, JsonRows):
        body = _splice(rpc_id, result.data.parts, meta)
    else:
        payload: dict[str, Any] = {"data": result.data}
        if meta is not None:
            payload["metadata"] = meta
        body = orjson.dumps({"jsonrpc": "2.0", "id": rpc_id, "result": payload})
    return web.Response(body=body, content_type="application/json", charset="utf-8")


def _splice(rpc_id: Any, parts: list[bytes], meta: dict[str, Any] | None) -> bytes:
    """The reply with rows already serialized: one join, so a large page is copied once."""
    head = b'{"jsonrpc":"2.0","id":' + orjson.dumps(rpc_id) + b',"result":{"data":['
    tail = b"]" + (b',"metadata":' + orjson.dumps(meta) if meta is not None else b"") + b"}}"
    if not parts:
        return head + tail
    if len(parts) == 1:
        return head + parts[0] + tail
    first, last = head + parts[0], parts[-1] + tail
    return b",".join([first, *parts[1:-1], last])


def _error(ctx: Ctx, exc: UisError) -> web.Response:
    data = exc.data()
    meta = _metadata(ctx, None)
    if meta is not None:
        data["metadata"] = meta
    error = {"code": exc.code, "message": exc.message, "data": data}
    body = orjson.dumps({"jsonrpc": "2.0", "id": ctx.rpc_id, "error": error})
    status = exc.http_status or ctx.opts.error_http_status
    return web.Response(body=body, status=status, content_type="application/json", charset="utf-8")


def _fault_error(fault: InjectedFault, opts: UisOptions) -> UisError:
    """An injected fault as the documented error: a mnemonic or a code picks it."""
    if isinstance(fault, TokenExpiredFault):  # a static key expires, a session is invalid
        return err("access_token_expired" if fault.static else opts.expired_session_mnemonic)
    if not isinstance(fault, ProviderErrorFault):
        return err("internal_error")
    code = fault.code
    if isinstance(code, str):  # a mnemonic, documented or not
        known = code_of_mnemonic(code)
        base = err(code) if known is not None else err("internal_error")
        return UisError(known or -32603, code, fault.message or base.message)
    mnemonic = _MNEMONIC_OF_CODE.get(code if isinstance(code, int) else -32603, "error")
    base = err(mnemonic) if code_of_mnemonic(mnemonic) is not None else err("internal_error")
    return UisError(
        code if isinstance(code, int) else -32603, mnemonic, fault.message or base.message
    )


_MNEMONIC_OF_CODE = {
    -32700: "parse_error",
    -32600: "invalid_request",
    -32601: "method_not_found",
    -32603: "internal_error",
    -32001: "access_token_expired",
    -32003: "forbidden",
    -32009: "account_inactive",
    -32029: "limit_exceeded",
    -32602: "invalid_parameter_value",
}


def _world_error(exc: WorldError) -> UisError:
    """World errors no handler translated itself (a handler names the field when it can)."""
    from mockpbx.core import errors as e

    if isinstance(exc, e.CallNotFound):
        return err("call_session_not_found", field="call_session_id")
    if isinstance(exc, e.LegNotFound):
        return err("leg_not_found", field="leg_id")
    if isinstance(exc, e.EmployeeNotFound):
        return err("employee_not_found", field="employee.id")
    if isinstance(exc, e.NoActivePhone):
        return err("no_active_phone_number", field="employee.phone_number")
    if isinstance(exc, e.VirtualNumberNotFound):
        return err("virtual_phone_number_not_found", field="virtual_phone_number")
    return err("invalid_state", message=str(exc))


class UisFace(Face[Ctx, UisError]):
    """The UIS parts of the shared dispatch: JSON-RPC error objects named by mnemonic."""

    def fault_error(self, ctx: Ctx, fault: InjectedFault) -> UisError:
        if isinstance(fault, TokenExpiredFault) and not fault.static:
            token = ctx.presented
            if isinstance(token, str):
                ctx.rt.sessions[token] = 0  # expired: only a new login.user gets the client in
        return _fault_error(fault, ctx.opts)

    def domain_error(self, ctx: Ctx, exc: WorldError) -> UisError:
        return _world_error(exc)

    def journal_error(self, exc: UisError) -> str | None:
        return exc.mnemonic

    def render_error(self, ctx: Ctx, exc: UisError) -> web.Response:
        return _error(ctx, exc)


UIS = UisFace("uis", UisError)
