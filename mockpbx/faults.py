"""Fault injection: the `FaultHook` every face calls, and the transport-level faults.

A fault (`scenarios.model.FaultSpec`) hits the requests of one face (or "*")
and one method (or "*"), for the next `count` requests, with a
`probability`, inside a virtual-clock `window`, or any mix of these. Kinds:

    latency         await `seconds` (or a draw from `distribution`), then go on
    hang            await `seconds` (default 300; released by DELETE or reset), then reset
    http_status     answer HTTP `status` (default 503) with a gateway-like body
    rate_limit      answer 429 with `Retry-After: retry_after`
    reset           close the connection without an answer (TCP RST)
    truncate        send the face's answer cut after `keep_bytes` (default half); applies
                    to buffered answers (JSON, CSV), not to streamed recording files
    provider_error  raise `ProviderErrorFault(code, message)`: the face renders its own error
    expire_token    raise `TokenExpiredFault`: the request's credential expires for good. A
                    session (`request[keys.FAULT_CREDENTIAL] == "session"`) is ended by the
                    face: every later request with it fails until the client logs in again.
                    A static key stays expired, on every method of the face, until the fault
                    is removed. A request without a credential (login) is not hit.
    duplicate_rows  rows arrive at the head of a listing while the client pages: after each
                    page the fault hits, `rows` (at most limit - 1) new rows push the rest
                    down, so the next page starts that many rows earlier and repeats the
                    last rows of the page before. A page never exceeds `limit`, no row is
                    lost, and a new pass (offset 0) sees the list settled. Faces page
                    through `mockpbx.state.page_start`.
    late_rows       world-level: calls *ending* in the window reach history only
                    `delay_seconds` after they end (`Call.history_delay`); `count` and
                    `probability` pick calls. Its `hits` are the requests made while one
                    of its calls was missing from history; `delayed_calls` the calls.

Latency and hangs are awaited inside `intercept`, so a slow request never
blocks another. Randomness comes from the server's seed (`Seeds(seed)`), so a
run with the same seed and requests hits the same requests. Every request a
fault hits gets `request[keys.FAULT] = kind`, which the journal records, and
counts in the fault's `hits`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from mockpbx import keys
from mockpbx.core.calls import MAX_CALL_SECONDS
from mockpbx.core.ids import Seeds
from mockpbx.core.model import Call
from mockpbx.scenarios.daygen import sampler
from mockpbx.scenarios.model import FaultSpec, parse_offset
from mockpbx.state import STATE, ProviderErrorFault, ServerState, TokenExpiredFault

__all__ = ["FaultRegistry", "fault_middleware", "install_faults"]

DEFAULT_HANG_SECONDS = 300.0
MAX_LATE_WINDOW = 31 * 86400  # a late_rows window longer than this is cut (days materialize)
MAX_LISTINGS = 1024  # duplicate_rows: listings whose shift a fault remembers
_GATEWAY_BODY = (
    "<html><head><title>{status}</title></head><body><center><h1>{status}</h1></center>"
    "<hr><center>nginx</center></body></html>\n"
)


class FaultError(ValueError):
    """A fault that cannot be installed (e.g. its window ends before it starts)."""


@dataclass(slots=True)
class ActiveFault:
    id: int
    spec: FaultSpec
    ts_from: float | None
    ts_to: float | None
    remaining: int | None
    hits: int = 0
    delayed: list[tuple[Call, int]] = field(default_factory=list)  # late_rows: (call, old)
    expired_faces: set[str] = field(default_factory=set)  # expire_token: static keys expired
    shifts: dict[tuple[str, str, str], int] = field(default_factory=dict)  # duplicate_rows

    def aims_at(self, face: str, method: str) -> bool:
        spec = self.spec
        return spec.face in ("*", face) and spec.method in ("*", method)

    def matches(self, face: str, method: str, now: float) -> bool:
        if not self.aims_at(face, method):
            return False
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.ts_from is not None and now < self.ts_from:
            return False
        return self.ts_to is None or now < self.ts_to

    def describe(self) -> dict[str, Any]:
        body = self.spec.used_fields()
        body["id"] = self.id
        body["hits"] = self.hits
        body["remaining"] = self.remaining
        if self.spec.kind == "late_rows":
            body["delayed_calls"] = len(self.delayed)
        return body


class FaultRegistry:
    """The server's faults; implements `mockpbx.state.FaultHook`."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self._faults: list[ActiveFault] = []
        self._next_id = 1
        self._release = asyncio.Event()
        self._rnd = Seeds(state.seed).random("faults")
        self._unsubscribe: Any = None
        # late_rows: each delayed call's own delay before any fault touched it, so removing
        # faults in any order leaves the largest delay of the faults still installed
        self._base_delay: dict[int, tuple[Call, int]] = {}

    # -- managing ------------------------------------------------------------------
    def add(self, spec: FaultSpec, *, relative_to: float | None = None) -> ActiveFault:
        """Install a fault; '+N' window times count from `relative_to` (default now)."""
        world = self.state.world
        base = world.clock.timestamp() if relative_to is None else relative_to
        window = spec.window
        ts_from = _when(window.from_, base) if window else None
        ts_to = _when(window.to, base) if window else None
        if ts_from is not None and ts_to is not None and ts_to <= ts_from:
            raise FaultError("window.to must be after window.from")
        fault = ActiveFault(self._next_id, spec, ts_from, ts_to, spec.count)
        self._next_id += 1
        if spec.kind == "late_rows":
            self._delay_rows(fault, base)
        self._faults.append(fault)
        return fault

    def remove(self, fault_id: int) -> bool:
        for fault in self._faults:
            if fault.id == fault_id:
                self._faults.remove(fault)
                self._undelay(fault)
                self._wake_hangs()
                return True
        return False

    def clear(self) -> None:
        self._faults.clear()
        for call, base in self._base_delay.values():
            call.history_delay = base
        self._base_delay.clear()
        self._wake_hangs()

    def describe(self) -> list[dict[str, Any]]:
        return [f.describe() for f in self._faults]

    def _undelay(self, fault: ActiveFault) -> None:
        """Give `fault`'s calls the largest delay of the late_rows faults still installed
        (or their own delay): removal order never leaves a call hidden."""
        others = [
            (other.spec.delay_seconds, {call.id for call, _ in other.delayed})
            for other in self._faults
            if other.delayed
        ]
        for call, _ in fault.delayed:
            _, base = self._base_delay.get(call.id, (call, 0))
            call.history_delay = max([base, *(d for d, ids in others if call.id in ids)])
        fault.delayed.clear()

    def on_reset(self) -> None:
        """A new world: forget every fault, reseed, install the scenario's own faults."""
        self._faults.clear()
        self._base_delay.clear()  # a new world: its calls never saw these faults
        self._next_id = 1
        self._wake_hangs()
        self._rnd = Seeds(self.state.seed).random("faults")
        self._watch_new_calls()
        scenario = self.state.scenario
        start = self.state.world.clock.timestamp()
        for spec in scenario.faults if scenario is not None else []:
            self.add(spec, relative_to=start)

    async def release(self, app: web.Application | None = None) -> None:
        """Let every hanging request go (server shutdown)."""
        self._wake_hangs()

    def _wake_hangs(self) -> None:
        self._release.set()
        self._release = asyncio.Event()

    # -- the hook --------------------------------------------------------------------
    async def intercept(
        self, request: web.Request, face: str, method: str
    ) -> web.StreamResponse | None:
        """Apply every fault that hits this request (see the module docstring)."""
        now = self.state.world.clock.timestamp()
        shifting: list[ActiveFault] = []
        for fault in list(self._faults):
            kind = fault.spec.kind
            if kind == "expire_token":  # an expired key is refused on every method
                self._expire(request, fault, face, method, now)
            elif not fault.aims_at(face, method):
                continue
            elif kind == "late_rows":
                self._note_late(request, fault, now)
            elif kind == "duplicate_rows":
                shifting.append(fault)
            elif fault.matches(face, method, now) and self._fires(fault):
                _mark(request, kind)
                answer = await self._apply(request, fault.spec)
                if answer is not None:
                    return answer
        if shifting:
            request[keys.FAULT_DUPLICATE_ROWS] = _Shift(self, request, face, method, shifting)
        return None

    def _expire(
        self, request: web.Request, fault: ActiveFault, face: str, method: str, now: float
    ) -> None:
        """expire_token: raise for a static key it expired, or expire the request's credential."""
        credential = request.get(keys.FAULT_CREDENTIAL, "static")
        if credential == "static" and face in fault.expired_faces:
            self._hit(request, fault)
            raise TokenExpiredFault("injected: the key has expired", static=True)
        if not credential or not fault.matches(face, method, now):
            return
        if not self._fires(fault):
            return
        _mark(request, "expire_token")
        if credential == "static":
            fault.expired_faces.add(face)
            raise TokenExpiredFault("injected: the key has expired", static=True)
        raise TokenExpiredFault("injected: the session has expired", static=False)

    def _note_late(self, request: web.Request, fault: ActiveFault, now: float) -> None:
        """late_rows: a request made while one of the fault's calls is missing is a hit."""
        if any(c.end_ts <= now < c.end_ts + c.history_delay for c, _ in fault.delayed):
            self._hit(request, fault)

    def _hit(self, request: web.Request, fault: ActiveFault) -> None:
        fault.hits += 1
        _mark(request, fault.spec.kind)

    def _fires(self, fault: ActiveFault) -> bool:
        p = fault.spec.probability
        if p is not None and self._rnd.random() >= p:
            return False
        if fault.remaining is not None:
            fault.remaining -= 1
        fault.hits += 1
        return True

    async def _apply(self, request: web.Request, spec: FaultSpec) -> web.StreamResponse | None:
        kind = spec.kind
        if kind == "latency":
            await asyncio.sleep(self._latency(spec))
        elif kind == "hang":
            await self._hang(spec.seconds if spec.seconds is not None else DEFAULT_HANG_SECONDS)
            request[keys.FAULT_RESET] = True
            return web.Response(status=504)
        elif kind == "http_status":
            return _gateway_response(spec.status or 503)
        elif kind == "rate_limit":
            response = _gateway_response(429)
            response.headers["Retry-After"] = str(spec.retry_after)
            return response
        elif kind == "reset":
            request[keys.FAULT_RESET] = True
            return web.Response(status=502)
        elif kind == "truncate":
            request[keys.FAULT_TRUNCATE] = -1 if spec.keep_bytes is None else spec.keep_bytes
        elif kind == "provider_error":
            raise ProviderErrorFault(spec.code, spec.message)
        return None

    def _latency(self, spec: FaultSpec) -> float:
        if spec.distribution is not None:
            return max(0.0, sampler(spec.distribution)(self._rnd))
        return spec.seconds if spec.seconds is not None else 1.0

    async def _hang(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._release.wait(), timeout=seconds)

    # -- late rows (world level) -------------------------------------------------------
    def _delay_rows(self, fault: ActiveFault, base: float) -> None:
        world = self.state.world
        ts_from = int(fault.ts_from if fault.ts_from is not None else base)
        ts_to = int(fault.ts_to if fault.ts_to is not None else ts_from + 86400)
        ts_to = min(ts_to, ts_from + MAX_LATE_WINDOW)
        fault.ts_from, fault.ts_to = ts_from, ts_to
        for call in world.store.between(ts_from - MAX_CALL_SECONDS, ts_to):
            self._maybe_delay(fault, call)

    def _maybe_delay(self, fault: ActiveFault, call: Call) -> None:
        assert fault.ts_from is not None
        assert fault.ts_to is not None
        if not fault.ts_from <= call.end_ts < fault.ts_to:
            return
        if fault.remaining is not None and fault.remaining <= 0:
            return
        p = fault.spec.probability
        if p is not None and Seeds(self.state.seed).random("late", fault.id, call.id).random() >= p:
            return
        if fault.remaining is not None:
            fault.remaining -= 1
        self._base_delay.setdefault(call.id, (call, call.history_delay))
        fault.delayed.append((call, call.history_delay))
        call.history_delay = max(call.history_delay, fault.spec.delay_seconds)

    def _watch_new_calls(self) -> None:
        """Calls made through the APIs (callbacks) get late rows too."""

        def on_call(call: Call) -> None:
            for fault in self._faults:
                if fault.spec.kind == "late_rows":
                    self._maybe_delay(fault, call)

        self._unsubscribe = self.state.world.on_call_created(on_call)


@dataclass(slots=True)
class _Shift:
    """The duplicate_rows faults over one request: implements `mockpbx.state.PageShift`."""

    registry: FaultRegistry
    request: web.Request
    face: str
    method: str
    faults: list[ActiveFault]

    def start(self, offset: int, limit: int, listing: str) -> int:
        now = self.registry.state.world.clock.timestamp()
        key = (self.face, self.method, listing)
        arrived = 0
        for fault in self.faults:
            if offset == 0:  # a new pass: the list as it is now
                fault.shifts.pop(key, None)
            arrived += fault.shifts.get(key, 0)
            if fault.matches(self.face, self.method, now) and self.registry._fires(fault):
                _mark(self.request, "duplicate_rows")
                more = min(fault.spec.rows, max(limit - 1, 0))  # the client always moves on
                fault.shifts[key] = fault.shifts.get(key, 0) + more
                while len(fault.shifts) > MAX_LISTINGS:
                    del fault.shifts[next(iter(fault.shifts))]
        return max(offset - arrived, 0)


def _when(value: str | None, base: float) -> float | None:
    if value is None:
        return None
    offset = parse_offset(value)
    if offset is not None:
        return base + offset
    return datetime.fromisoformat(value).timestamp()


def _mark(request: web.Request, kind: str) -> None:
    previous = request.get(keys.FAULT)
    request[keys.FAULT] = kind if not previous else f"{previous},{kind}"


def _gateway_response(status: int) -> web.Response:
    text = _GATEWAY_BODY.format(status=f"{status} {_REASONS.get(status, 'Error')}")
    return web.Response(status=status, text=text, content_type="text/html")


_REASONS = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


# -- transport faults: a middleware outside every face ------------------------------------
@web.middleware
async def fault_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Reset connections and truncate bodies that `intercept` marked."""
    response: web.StreamResponse = await handler(request)
    if request.get(keys.FAULT_RESET):
        _reset_connection(request)
        return response
    keep = request.get(keys.FAULT_TRUNCATE)
    if keep is not None and isinstance(response, web.Response) and response.body is not None:
        return await _truncated(request, response, keep)
    return response


def _reset_connection(request: web.Request) -> None:
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # linger 0: close with RST, not FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def _truncated(request: web.Request, response: web.Response, keep: int) -> web.StreamResponse:
    body = response.body
    data = bytes(body) if isinstance(body, bytes | bytearray) else b""
    cut = len(data) // 2 if keep < 0 else min(keep, max(len(data) - 1, 0))
    stream = web.StreamResponse(status=response.status, headers=response.headers)
    stream.content_length = len(data)
    await stream.prepare(request)
    await stream.write(data[:cut])
    transport = request.transport
    if transport is not None:
        transport.close()
    return stream


def install_faults(app: web.Application, state: ServerState) -> FaultRegistry:
    """Give `state` a fault registry (once) and release hangs when `app` shuts down."""
    registry = state.faults
    if not isinstance(registry, FaultRegistry):
        registry = FaultRegistry(state)
        state.faults = registry
        state.on_reset.append(registry.on_reset)
        registry.on_reset()
    app.on_shutdown.append(registry.release)
    return registry


def registry_of(request: web.Request) -> FaultRegistry:
    """The registry of the server handling `request`."""
    state = request.config_dict[STATE]
    registry = state.faults
    if not isinstance(registry, FaultRegistry):
        raise web.HTTPServiceUnavailable(text="faults are not installed on this server")
    return registry
