"""/_mockpbx/seed and /_mockpbx/scenario(s): which world the server runs.

    GET  /_mockpbx/seed                    {"seed": 1}
    POST /_mockpbx/seed     {"seed": 7}    rebuild the world with that seed (clock to the start)
    GET  /_mockpbx/scenarios               the built-in scenarios and the current one
    GET  /_mockpbx/scenario                the current scenario, in full
    POST /_mockpbx/scenario                load one and rebuild the world:
         JSON {"name": "clinic_day" | "scenario": {...fields...}, "seed"?, "start"?, "rate"?}
         or a scenario file as YAML (Content-Type application/yaml or text/yaml),
         with seed/start/rate as query parameters

A loaded scenario lasts until another is loaded (a plain reset keeps it). When
no `start` is given, the world starts on the current start day, at the
scenario's `start_time` if it has one.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from mockpbx.control.mango import check_webhook
from mockpbx.control.params import bad_request, read_json
from mockpbx.scenarios.loader import (
    ScenarioError,
    builtin_names,
    load_scenario,
    parse_scenario,
    validate_scenario,
)
from mockpbx.scenarios.model import Scenario
from mockpbx.state import STATE, ServerState

__all__ = ["routes"]

routes = web.RouteTableDef()

_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")


def _state(request: web.Request) -> ServerState:
    return request.config_dict[STATE]


def _summary(state: ServerState) -> dict[str, Any]:
    world = state.world
    return {
        "scenario": state.scenario.name if state.scenario else world.meta.get("scenario"),
        "seed": state.seed,
        "start": None if state.start is None else state.start.astimezone(world.tz).isoformat(),
        "now": world.clock.now().astimezone(world.tz).isoformat(),
        "rate": world.clock.rate,
    }


@routes.get("/seed")
async def get_seed(request: web.Request) -> web.Response:
    return web.json_response({"seed": _state(request).seed})


@routes.post("/seed")
async def post_seed(request: web.Request) -> web.Response:
    body = await read_json(request)
    seed = body.get("seed")
    if set(body) != {"seed"} or isinstance(seed, bool) or not isinstance(seed, int):
        raise bad_request('expected {"seed": <integer>}', "seed")
    state = _state(request)
    await state.reset(seed=seed)
    return web.json_response(_summary(state))


@routes.get("/scenarios")
async def list_scenarios(request: web.Request) -> web.Response:
    builtin = []
    for name in builtin_names():
        sc = load_scenario(name)
        builtin.append({"name": name, "description": sc.description})
    return web.json_response({"builtin": builtin, **_summary(_state(request))})


@routes.get("/scenario")
async def get_scenario(request: web.Request) -> web.Response:
    state = _state(request)
    scenario = state.scenario or Scenario()
    body = {**_summary(state), "definition": scenario.model_dump(mode="json", by_alias=True)}
    return web.json_response(body)


@routes.post("/scenario")
async def post_scenario(request: web.Request) -> web.Response:
    state = _state(request)
    if request.content_type in _YAML_TYPES:
        text = await request.text()
        scenario = _checked(lambda: parse_scenario(text, source="posted file"))
        options: dict[str, Any] = dict(request.query)
    else:
        body = await read_json(request)
        scenario = _from_json(body)
        options = {k: v for k, v in body.items() if k not in ("name", "scenario")}
    seed, start, rate = _options(options, state, scenario)
    if scenario.mango_webhook is not None:
        check_webhook(state, scenario.mango_webhook, "mango_webhook")
    state.start, state.rate = start, rate
    await state.reset(seed=seed, scenario=scenario)
    return web.json_response(_summary(state))


def _from_json(body: dict[str, Any]) -> Scenario:
    if ("name" in body) == ("scenario" in body):
        raise bad_request('expected {"name": <built-in or file>} or {"scenario": {...}}', "name")
    if "name" in body:
        name = body["name"]
        if not isinstance(name, str) or name not in builtin_names():
            raise bad_request(
                f"no built-in scenario {name!r}: {', '.join(builtin_names())}", "name"
            )
        return _checked(lambda: load_scenario(name))
    if not isinstance(body["scenario"], dict):
        raise bad_request("scenario must be an object of scenario fields", "scenario")
    return _checked(lambda: validate_scenario(body["scenario"], source="scenario"))


def _checked(load: Any) -> Scenario:
    try:
        scenario: Scenario = load()
    except ScenarioError as exc:
        body = {"error": str(exc), "problems": exc.problems, "field": _first_field(exc)}
        raise web.HTTPBadRequest(
            text=web.json_response(body).text, content_type="application/json"
        ) from None
    return scenario


def _first_field(exc: ScenarioError) -> str | None:
    first = exc.problems[0] if exc.problems else ""
    return first.split(":", 1)[0] if ":" in first else None


def _options(
    options: dict[str, Any], state: ServerState, scenario: Scenario
) -> tuple[int | None, datetime | None, float]:
    unknown = set(options) - {"seed", "start", "rate"}
    if unknown:
        raise bad_request(f"unknown option(s): {', '.join(sorted(unknown))}")
    seed = _int(options["seed"], "seed") if "seed" in options else None
    rate = _float(options["rate"], "rate") if "rate" in options else state.rate
    start: datetime | None
    if "start" in options:
        start = _aware(options["start"])
    elif scenario.start_time and state.start is not None:
        tz = ZoneInfo(scenario.timezone)
        at = time.fromisoformat(scenario.start_time)
        start = datetime.combine(state.start.astimezone(tz).date(), at, tzinfo=tz)
    else:
        start = state.start
    return seed, start, rate


def _int(value: Any, field: str) -> int:
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"{field} must be an integer", field) from None


def _float(value: Any, field: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise bad_request(f"{field} must be a number", field) from None
    if number < 0 or isinstance(value, bool):
        raise bad_request(f"{field} must be a number >= 0", field)
    return number


def _aware(value: Any) -> datetime:
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        raise bad_request(f"start is not ISO 8601: {value!r}", "start") from None
    if when.tzinfo is None:
        raise bad_request(f"start must carry a UTC offset: {value!r}", "start")
    return when
