"""stats/request + stats/result (CSV) and stats/calls/request + stats/calls/result (JSON).

Both are two-step: the request returns a key, the result is polled. Readiness
follows the VIRTUAL clock (`stats_ready_after`) and an optional number of
not-ready polls; a key expires `stats_key_ttl` virtual seconds after the
request (404). The body is built once, from the history as it stood when the
request was made, then served as is.

A JSON window without any matching call answers `data: []`, or with the
`stats_calls_empty: "empty_day"` option one chunk for the window's first
local day with an empty `list` and zero totals (a page past the last call
stays `[]` either way: the window does have calls).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from aiohttp import web

from mockpbx import keys
from mockpbx.core.gcpause import paused_gc
from mockpbx.core.model import Call, Direction, LegRole
from mockpbx.core.profiles import lacks
from mockpbx.providers.mango import schemas as s
from mockpbx.providers.mango.context import Ctx, json_response
from mockpbx.providers.mango.directory import group_id
from mockpbx.providers.mango.errors import MangoError
from mockpbx.providers.mango.fastrows import Fast, LocalDays
from mockpbx.providers.mango.options import profile
from mockpbx.providers.mango.runtime import StatsJob
from mockpbx.providers.mango.stats import (
    CSV_FIELDS,
    DEFAULT_FIELDS,
    PartyFilter,
    call_item,
    csv_body,
    day_chunks,
    empty_day,
)
from mockpbx.state import page_start

__all__ = ["STATS"]


def _fields(raw: str | list[str]) -> list[str]:
    names = raw if isinstance(raw, list) else raw.split(",")
    # v1.9 prints `create` with a Cyrillic «с» (U+0441); accept that spelling too.
    fields = [n.strip().replace("\u0441reate", "create") for n in names if n.strip()]
    fields = fields or list(DEFAULT_FIELDS)
    unknown = [f for f in fields if f not in CSV_FIELDS]
    if unknown:
        raise MangoError(3104, f"fields: unknown field {unknown[0]!r}")
    return fields


def _filters(p: s.StatsRequest) -> list[PartyFilter]:
    given = [(side, party) for side, party in (("from", p.from_), ("to", p.to)) if party]
    given = [(side, party) for side, party in given if party.extension or party.number]
    cp = p.call_party
    if cp and (cp.extension or cp.number):
        if given:
            raise MangoError(3100, "call_party is allowed only without from and to")
        return [PartyFilter("any", cp.extension, cp.number)]
    return [PartyFilter(side, party.extension, party.number) for side, party in given]


MAX_TS = 4_102_444_800  # 2100-01-01: later (or negative) times are refused as 3104


def _in_range(ts: int, field: str) -> int:
    if not 0 <= ts <= MAX_TS:
        raise MangoError(3104, f"{field}: {ts} is not a time this PBX keeps history for")
    return ts


async def stats_request(ctx: Ctx) -> web.Response:
    p = s.parse(s.StatsRequest, ctx.params)
    _in_range(p.date_from, "date_from")
    _in_range(p.date_to, "date_to")
    if p.date_to < p.date_from or p.date_to - p.date_from > ctx.opts.stats_max_window:
        raise MangoError(3111, "date_from/date_to: the period must be at most one month")
    params = {
        "from": p.date_from,
        "to": p.date_to,
        "fields": _fields(p.fields),
        "filters": _filters(p),
        "request_id": p.request_id,
    }
    key = ctx.rt.new_key(ctx.state.seed)
    job = ctx.rt.stats[key] = StatsJob("csv", params, ctx.now)
    if ctx.opts.stats_ready_event and ctx.opts.stats_ready_after == 0:
        _announce(ctx, key, job)
    return json_response({"key": key})


def _announce(ctx: Ctx, key: str, job: StatsJob) -> None:
    job.announced = True
    ctx.rt.post_later(
        ctx.opts.stats_ready_event, {"key": key, "request_id": job.params["request_id"]}
    )


def _job(ctx: Ctx, kind: str) -> tuple[str, StatsJob | None]:
    key = str(ctx.params.get("key") or "")
    if not key:
        raise MangoError(3103, "key: field required")
    job = ctx.rt.stats.get(key)
    if job is None or job.kind != kind or ctx.now > job.requested_at + ctx.opts.stats_key_ttl:
        return key, None
    job.polls += 1
    return key, job


def _ready(ctx: Ctx, job: StatsJob, polls_first: int) -> bool:
    return job.polls > polls_first and ctx.now >= job.requested_at + ctx.opts.stats_ready_after


def _history(ctx: Ctx, ts_from: int, ts_to: int, as_of: int) -> list[Call]:
    """Calls of [ts_from, ts_to) that history showed at `as_of`."""
    # Call.in_history(as_of), inlined: a month is tens of thousands of calls
    calls = [c for c in ctx.world.history(ts_from, ts_to) if c.end_ts + c.history_delay <= as_of]
    if lacks(profile(ctx.opts, ctx.state.scenario), "recordings"):  # the profile keeps none
        return [replace(c, recorded=False) for c in calls]
    return calls


async def stats_result(ctx: Ctx) -> web.Response:
    _, job = _job(ctx, "csv")
    if job is None:
        ctx.request[keys.ERROR] = "unknown or expired key"
        return web.Response(status=404)
    if not _ready(ctx, job, ctx.opts.stats_not_ready_polls):
        return web.Response(status=204)
    if job.body is None:
        p = job.params
        with paused_gc():  # a body is many fresh acyclic objects
            calls = _history(ctx, p["from"], p["to"] + 1, job.requested_at)
            job.body = csv_body(calls, ctx.lookup(), p["fields"], p["filters"], ctx.opts)
    return web.Response(text=job.body, content_type="text/plain", charset="utf-8")


# -- extended ---------------------------------------------------------------------------------
def _moscow_date(ctx: Ctx, value: str, field: str) -> int:
    for fmt in ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y"):
        try:
            naive = datetime.strptime(value.strip(), fmt)  # noqa: DTZ007 - zone added below
        except ValueError:
            continue
        return _in_range(int(naive.replace(tzinfo=ctx.world.tz).timestamp()), field)
    raise MangoError(3104, f"{field}: expected 'dd.mm.yyyy hh:mm:ss', got {value!r}")


async def stats_calls_request(ctx: Ctx) -> web.Response:
    p = s.parse(s.StatsCallsRequest, ctx.params)
    start = _moscow_date(ctx, p.start_date, "start_date")
    end = _moscow_date(ctx, p.end_date, "end_date")
    if end < start or end - start >= ctx.opts.stats_calls_max_window:
        raise MangoError(3111, "start_date/end_date: the period must be shorter than 30 days")
    key = ctx.rt.new_key(ctx.state.seed)
    params = {**p.model_dump(), "from": start, "to": end}
    params["offset"] = _page_start(ctx, params)
    ctx.rt.stats[key] = StatsJob("json", params, ctx.now)
    return json_response({"key": key})


def _page_start(ctx: Ctx, params: dict[str, Any]) -> int:
    """The page's start: under duplicate_rows, rows arriving at the head push it back."""
    if ctx.request.get(keys.FAULT_DUPLICATE_ROWS) is None:
        return int(params["offset"])
    listing = repr(sorted((k, repr(v)) for k, v in params.items() if k != "offset"))
    return page_start(ctx.request, params["offset"], params["limit"], listing)


async def stats_calls_result(ctx: Ctx) -> web.Response:
    _, job = _job(ctx, "json")
    if job is None:
        return json_response({"result": ctx.result(1000), "status": "not-found", "data": []})
    if not _ready(ctx, job, ctx.opts.stats_calls_work_polls):
        return json_response({"result": ctx.result(1000), "status": "work", "data": []})
    if job.body is None:
        with paused_gc():  # a body is many fresh acyclic objects
            job.body = _calls_data(ctx, job)
    return json_response({"result": ctx.result(1000), "status": "complete", "data": job.body})


def _calls_data(ctx: Ctx, job: StatsJob) -> list[dict[str, Any]]:
    p = job.params
    look = ctx.lookup()
    calls = _history(ctx, p["from"], p["to"] + 1, job.requested_at)
    if _filtered(p):
        calls = [c for c in calls if _keep(c, p, look)]
    if not calls and ctx.opts.stats_calls_empty == "empty_day":
        return [empty_day(p["from"], ctx.world.tz)]
    offset, limit = p["offset"], p["limit"]
    page = calls[offset : offset + limit]
    if not page:
        return []
    days = LocalDays(ctx.world.tz)
    totals = _totals(calls, offset, offset + len(page), days)
    ext = frozenset(p["ext_fields"])
    fast = Fast(look)
    items = [(c, fast.call_item(c, ext) or call_item(c, look, ext_fields=ext)) for c in page]
    return day_chunks(items, totals, ctx.world.tz)


def _totals(
    calls: list[Call], lo: int, hi: int, days: LocalDays
) -> dict[str, tuple[int, int, int]]:
    """Per local day, (talk, duration, count) over every call of the days of calls[lo:hi].

    `calls` are in start order, so the page's days are one run of `calls`: widen
    [lo, hi) to whole days instead of summing the whole window on every page.
    """
    first, last = days.iso(calls[lo].start_ts), days.iso(calls[hi - 1].start_ts)
    while lo > 0 and days.iso(calls[lo - 1].start_ts) == first:
        lo -= 1
    while hi < len(calls) and days.iso(calls[hi].start_ts) == last:
        hi += 1
    totals: dict[str, tuple[int, int, int]] = {}
    for call in calls[lo:hi]:
        day = days.iso(call.start_ts)
        talk, duration, count = totals.get(day, (0, 0, 0))
        answer = call.answer_ts
        talk += 0 if answer is None else call.end_ts - answer  # Call.talk_duration
        totals[day] = (talk, duration + call.end_ts - call.start_ts, count + 1)
    return totals


def _filtered(p: dict[str, Any]) -> bool:
    """Whether any filter of stats/calls/request is set (otherwise `_keep` keeps every call)."""
    return bool(
        p["context_type"] is not None
        or p["context_status"] is not None
        or p["user_ids"]
        or p["group_ids"]
        or p["recall_status"] is not None
        or p["search_string"]
    )


def _keep(call: Call, p: dict[str, Any], look: Any) -> bool:
    incoming = call.direction is Direction.IN and call.legs[0].role is LegRole.CONTACT
    types = p["context_type"]
    if types is not None and (1 if incoming else 2) not in (
        types if isinstance(types, list) else [types]
    ):
        return False
    status = p["context_status"]
    if status is not None and int(call.answer_ts is not None) != status:
        return False
    emp_ids = {lg.employee_id for lg in call.legs if lg.employee_id is not None}
    if p["user_ids"] and not {
        look.employees[e].mango_user_id for e in emp_ids if e in look.employees
    } & set(p["user_ids"]):
        return False
    if p["group_ids"] and group_id(call.clinic_id) not in p["group_ids"]:
        return False
    if p["recall_status"] is not None and p["recall_status"] != 2:
        return False
    search = p["search_string"]
    return not search or search in call.contact_number or search in (call.virtual_number or "")


STATS = {
    "stats/request": stats_request,
    "stats/result": stats_result,
    "stats/calls/request": stats_calls_request,
    "stats/calls/result": stats_calls_result,
}
