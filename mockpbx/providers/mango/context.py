"""What a Mango handler gets: the state, world, options, run-time memory and parsed params."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from mockpbx.core.calls import call_of_leg
from mockpbx.core.model import Call
from mockpbx.core.world import World
from mockpbx.providers.mango.directory import Lookup
from mockpbx.providers.mango.errors import MangoError, result_value
from mockpbx.providers.mango.ids import unb64_int
from mockpbx.providers.mango.legs import MLeg, mango_legs
from mockpbx.providers.mango.options import MangoOptions
from mockpbx.providers.mango.runtime import MangoRuntime
from mockpbx.state import ServerState

__all__ = ["Ctx", "Handler", "find_leg", "json_response", "ok"]


@dataclass
class Ctx:
    request: web.Request
    state: ServerState
    opts: MangoOptions
    rt: MangoRuntime
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def world(self) -> World:
        return self.state.world

    @property
    def now(self) -> int:
        return self.state.world.now()

    def lookup(self) -> Lookup:
        return Lookup(self.state.world)

    def result(self, code: int) -> int | str:
        return result_value(code, self.opts)


Handler = Callable[[Ctx], Awaitable[web.StreamResponse]]


def ok(ctx: Ctx, body: dict[str, Any] | None = None, code: int = 1000) -> web.Response:
    """HTTP 200 with `result` first, then the method's data."""
    return json_response({"result": ctx.result(code), **(body or {})})


def find_leg(ctx: Ctx, call_id: str) -> tuple[Call, MLeg]:
    """The world call and Mango leg of a Mango `call_id`; 4101 if unknown."""
    leg_id = unb64_int(call_id, 1)
    call = ctx.world.store.get(call_of_leg(leg_id)) if leg_id is not None else None
    if call is None or call.start_ts > ctx.now:
        raise MangoError(4101, f"call {call_id} has ended or does not exist")
    for leg in mango_legs(call, ctx.lookup()):
        if leg.call_id == call_id:
            return call, leg
    raise MangoError(4101, f"call {call_id} has ended or does not exist")


def json_response(body: Any, status: int = 200) -> web.Response:
    """JSON in UTF-8 (Cyrillic kept as is, like Mango), rendered with orjson."""
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")
