"""Mango Office's pushed events: a signed aiohttp receiver and the live-call board.

Mango reports live calls only by POSTing signed form data (`vpbx_api_key`,
`sign`, `json`) to the integrator: `events/call` per leg state change,
`events/summary` when a call ends, `result/<command>` for command outcomes.
`create_receiver(board, key, salt)` is that integrator endpoint:

- a wrong key answers 401 `{"result": 3105}`, a wrong sign 401
  `{"result": 3102}` (verified over the raw `json` form value), broken JSON
  400 `{"result": 3400}`; accepted events answer 200 `{"result": 1000}`;
- events arrive duplicated and out of order: per leg, an event whose `seq`
  is not newer than the last one seen is ignored;
- replays are refused: a body whose signature was seen already answers 409
  `{"result": 3106}`, an event whose `timestamp` is more than
  `replay_window` seconds older than the newest one accepted answers 409
  `{"result": 4301}` (the memory of seen signatures is bounded: at most
  `MAX_SEEN`, and none older than the window); a body over `MAX_BODY` bytes
  answers 413 `{"result": 3109}`.

`LiveBoard.live_calls()` turns what is known into `LiveCall`s: a call (entry)
is live while one of its legs is (the IVR leg ends before the employee's
appears); it ends with its `events/summary`, or after 10 minutes with no
live leg and no event (a summary lost on the way).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from aiohttp import web

from adapter.model import Direction, LiveCall, LiveState, to_e164
from adapter.providers.mango_signing import verify

__all__ = ["LiveBoard", "ReplayGuard", "create_receiver", "run_receiver"]

log = logging.getLogger("adapter.mango.events")

_STATES = {"Connected": LiveState.TALKING, "OnHold": LiveState.ON_HOLD}
QUIET_SECONDS = 600  # an entry with no live leg and no event for this long is over
MAX_BODY = 64 * 1024  # bytes: Mango's events are a few hundred; anything bigger is refused
MAX_SEEN = 20_000  # signatures remembered for replay refusal (a busy clinic's hours)
REPLAY_WINDOW = 3600  # seconds: an event this much older than the newest accepted is stale


@dataclass(slots=True)
class _Leg:
    call_id: str
    seq: int
    state: str
    timestamp: int
    payload: dict[str, Any]


@dataclass(slots=True)
class _Entry:
    entry_id: str
    started: int
    legs: dict[str, _Leg] = field(default_factory=dict)


class LiveBoard:
    """Live Mango calls, rebuilt from `events/call` and `events/summary`."""

    def __init__(self, timezone: ZoneInfo | str = "Europe/Moscow") -> None:
        self.tz = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
        self._entries: dict[str, _Entry] = {}
        self._finished: set[str] = set()
        self.command_results: dict[str, int] = {}  # command_id -> result code
        self.events_seen = 0

    def on_call(self, event: dict[str, Any]) -> None:
        entry_id, call_id = str(event.get("entry_id", "")), str(event.get("call_id", ""))
        if not entry_id or not call_id or entry_id in self._finished:
            return
        seq, ts = _int(event.get("seq")), _int(event.get("timestamp"))
        entry = self._entries.setdefault(entry_id, _Entry(entry_id, ts))
        entry.started = min(entry.started, ts)
        known = entry.legs.get(call_id)
        if known is not None and seq <= known.seq:
            return  # a duplicate or an event overtaken by a newer one
        state = str(event.get("call_state", ""))
        entry.legs[call_id] = _Leg(call_id, seq, state, ts, event)
        self._forget_quiet(ts)

    def on_summary(self, event: dict[str, Any]) -> None:
        entry_id = str(event.get("entry_id", ""))
        if entry_id:
            self._close(entry_id)

    def on_result(self, event: dict[str, Any]) -> None:
        if "command_id" in event:
            self.command_results[str(event["command_id"])] = _int(event.get("result"))

    def _close(self, entry_id: str) -> None:
        self._entries.pop(entry_id, None)
        self._finished.add(entry_id)

    def _forget_quiet(self, now: int) -> None:
        """Drop entries whose legs all ended long ago and got no summary (a lost event).

        A call is not over when its legs are: the IVR leg ends before the
        employee's leg appears, so only `events/summary` or a long silence ends it.
        """
        for entry_id, entry in list(self._entries.items()):
            last = max(leg.timestamp for leg in entry.legs.values())
            if now - last > QUIET_SECONDS and not _has_live_leg(entry):
                del self._entries[entry_id]

    def live_calls(self) -> list[LiveCall]:
        entries = sorted(self._entries.values(), key=_started)
        return [self._live(entry) for entry in entries if _has_live_leg(entry)]

    def _live(self, entry: _Entry) -> LiveCall:
        legs = [leg for leg in entry.legs.values() if leg.state != "Disconnected"]
        first = min(entry.legs.values(), key=lambda leg: leg.seq).payload
        states = {_STATES.get(leg.state, LiveState.RINGING) for leg in legs}
        state = next(
            (s for s in (LiveState.TALKING, LiveState.ON_HOLD) if s in states), LiveState.RINGING
        )
        person = next((leg.payload for leg in legs if _to(leg.payload).get("extension")), None)
        origin, target = _from(first), _to(first)
        outgoing = bool(origin.get("extension")) and not target.get("extension")
        return LiveCall(
            provider="mango",
            provider_call_id=entry.entry_id,
            started_at=datetime.fromtimestamp(entry.started, self.tz),
            direction=Direction.OUT if outgoing else Direction.IN,
            state=state,
            contact_number=to_e164(target.get("number") if outgoing else origin.get("number")),
            virtual_number=to_e164(target.get("line_number")),
            employee_id=str(_to(person)["extension"]) if person else None,
            sip_line=_line(person) if person else None,
            line_description=target.get("line_number"),
            legs=tuple(leg.call_id for leg in legs),
        )


def _has_live_leg(entry: _Entry) -> bool:
    return any(leg.state != "Disconnected" for leg in entry.legs.values())


def _started(entry: _Entry) -> int:
    return entry.started


def _from(event: dict[str, Any]) -> dict[str, Any]:
    value = event.get("from")
    return value if isinstance(value, dict) else {}


def _to(event: dict[str, Any]) -> dict[str, Any]:
    value = event.get("to")
    return value if isinstance(value, dict) else {}


def _line(event: dict[str, Any]) -> str | None:
    number = _to(event).get("number")
    return str(number) if number else None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class ReplayGuard:
    """Refuses a body seen before (by its signature) and events too old to be fresh.

    Memory is bounded: at most `max_seen` signatures, and none of an event
    older than the window (those are refused by their timestamp anyway).
    """

    def __init__(self, window: int = REPLAY_WINDOW, max_seen: int = MAX_SEEN) -> None:
        self.window = window
        self.max_seen = max_seen
        self.newest = 0  # the newest event timestamp accepted
        self._seen: OrderedDict[str, int] = OrderedDict()  # signature -> event timestamp

    def check(self, signature: str, event: dict[str, Any]) -> int | None:
        """None when the event is fresh (and remember it), else the Mango result code."""
        if signature in self._seen:
            return 3106  # "value in use": this very body was delivered already
        ts = _event_time(event)
        if ts is not None and ts < self.newest - self.window:
            return 4301  # "expired"
        self._remember(signature, ts if ts is not None else self.newest)
        return None

    def _remember(self, signature: str, ts: int) -> None:
        self.newest = max(self.newest, ts)
        self._seen[signature] = ts
        oldest = self.newest - self.window
        while self._seen and (
            len(self._seen) > self.max_seen or next(iter(self._seen.values())) < oldest
        ):
            self._seen.popitem(last=False)

    def __len__(self) -> int:
        return len(self._seen)


def _event_time(event: dict[str, Any]) -> int | None:
    for name in ("timestamp", "end_time", "create_time"):
        value = event.get(name)
        if isinstance(value, int | str) and not isinstance(value, bool):
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _refuse(result: int, status: int) -> web.Response:
    return web.json_response({"result": result}, status=status)


def create_receiver(
    board: LiveBoard,
    api_key: str,
    api_salt: str,
    *,
    guard: ReplayGuard | None = None,
    max_body: int = MAX_BODY,
) -> web.Application:
    """The integrator endpoint Mango posts its signed events to."""
    replay = guard if guard is not None else ReplayGuard()

    async def handle(request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > max_body:
            return _refuse(3109, 413)
        try:
            form = await request.post()
        except web.HTTPRequestEntityTooLarge:
            return _refuse(3109, 413)
        except (ValueError, UnicodeDecodeError):  # a body that is not a form at all
            return _refuse(3104, 400)
        key, signature, text = form.get("vpbx_api_key"), form.get("sign"), form.get("json")
        if not isinstance(key, str) or key != api_key:
            return _refuse(3105, 401)
        if not isinstance(text, str) or not isinstance(signature, str):
            return _refuse(3103, 400)
        if not verify(api_key, text, api_salt, signature):
            return _refuse(3102, 401)
        try:
            event = orjson.loads(text)
        except orjson.JSONDecodeError:
            return _refuse(3400, 400)
        if not isinstance(event, dict):
            return _refuse(3400, 400)
        refused = replay.check(signature.strip().lower(), event)
        if refused is not None:
            log.warning("mango event %s refused as a replay (%d)", request.path, refused)
            return _refuse(refused, 409)
        _dispatch(board, request.match_info["path"], event)
        return web.json_response({"result": 1000})

    app = web.Application(client_max_size=max_body)
    app.router.add_post("/{path:.*}", handle)
    return app


def _dispatch(board: LiveBoard, path: str, event: dict[str, Any]) -> None:
    board.events_seen += 1
    path = path.strip("/")
    if path.endswith("events/call"):
        board.on_call(event)
    elif path.endswith("events/summary"):
        board.on_summary(event)
    elif "result/" in path:
        board.on_result(event)
    else:
        log.debug("mango event %s ignored", path)


@asynccontextmanager
async def run_receiver(
    board: LiveBoard, api_key: str, api_salt: str, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Serve the receiver; yields its base URL (give it to Mango as the webhook URL)."""
    runner = web.AppRunner(create_receiver(board, api_key, api_salt))
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server: Any = site._server
    bound = int(server.sockets[0].getsockname()[1])
    try:
        yield f"http://{host}:{bound}"
    finally:
        await runner.cleanup()
