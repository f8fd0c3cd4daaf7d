"""Parsing helpers shared by the control plane's routes: the 400 shape, JSON bodies, integers,
times, periods, validation errors (routes.py and its neighbours import them from here)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from mockpbx.core.world import World
from mockpbx.validation import first_error

__all__ = [
    "bad_request",
    "first_problem",
    "int_param",
    "not_found",
    "period",
    "query_time",
    "read_json",
    "validation_error",
]


def bad_request(message: str, field: str | None = None) -> web.HTTPBadRequest:
    body: dict[str, Any] = {"error": message}
    if field is not None:
        body["field"] = field
    return web.HTTPBadRequest(text=web.json_response(body).text, content_type="application/json")


def not_found(message: str, field: str | None = None) -> web.HTTPNotFound:
    """A 404 in the control plane's shape (`{"error": ..., "field": ...}`)."""
    body: dict[str, Any] = {"error": message}
    if field is not None:
        body["field"] = field
    return web.HTTPNotFound(text=web.json_response(body).text, content_type="application/json")


_DIGITS = re.compile(r"[0-9]{1,18}")


def int_param(raw: str, field: str, what: str = "an integer") -> int:
    """A non-negative integer written in ASCII digits (not "³", "٣" or 5,000 nines), or a 400."""
    if _DIGITS.fullmatch(raw) is None:
        raise bad_request(f"{field} must be {what}, got {raw[:40]!r}", field)
    return int(raw)


async def read_json(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 that says why not."""
    try:
        body = await request.json()
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than Python's stack
        raise bad_request("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object")
    return body


def query_time(world: World, value: str, field: str) -> int:
    """ISO 8601 with offset, or a local date 'YYYY-MM-DD' (its 00:00), as epoch seconds."""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise bad_request(f"{field} is not ISO 8601: {value!r}", field) from None
    if len(value) == 10:  # a bare date: midnight in the account's timezone
        return world.day_start(date.fromisoformat(value))
    if when.tzinfo is None:
        raise bad_request(f"{field} must carry a UTC offset, e.g. +03:00: {value!r}", field)
    return int(when.timestamp())


def period(request: web.Request, world: World) -> tuple[int, int]:
    """`from`/`to` of the query (default: the history's first day to now), checked."""
    q = request.query
    unknown = set(q) - {"from", "to", "clinic_id", "account"}
    if unknown:
        raise bad_request(f"unknown query parameter(s): {', '.join(sorted(unknown))}")
    first = world.meta.get("history_from") or (world.today() - timedelta(days=30))
    ts_from = query_time(world, q["from"], "from") if "from" in q else world.day_start(first)
    ts_to = query_time(world, q["to"], "to") if "to" in q else world.now() + 1
    if ts_to <= ts_from:
        raise bad_request("to must be after from", "to")
    if ts_to - ts_from > 5 * 366 * 86400:
        raise bad_request("the period may span at most five years", "to")
    return ts_from, ts_to


def first_problem(exc: ValidationError) -> web.HTTPBadRequest:
    """A 400 naming the first field pydantic refused (the options and delivery endpoints)."""
    err = first_error(exc)
    return bad_request(err.msg, err.field or None)


def validation_error(exc: ValidationError, source: str = "body") -> web.HTTPBadRequest:
    """A 400 naming every field pydantic refused, the first one as `field`."""
    problems: list[dict[str, Any]] = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()))
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        problems.append({"field": loc, "error": message})
    first = problems[0] if problems else {"field": None, "error": "invalid"}
    body = {"error": f"{source}: {first['field']}: {first['error']}", "field": first["field"],
            "problems": problems}  # fmt: skip
    return web.HTTPBadRequest(text=web.json_response(body).text, content_type="application/json")
