"""(a) Call history for any period: edges, paging, short pages, offsets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from contract.checks.base import (
    FINISHED,
    OFFSET_RE,
    ONGOING,
    PLUS5,
    TICKETS,
    Context,
    call_identity,
    collect,
    dump,
    history_or_problem,
    instant,
    no_calls,
    samples,
    short,
    verdict,
)
from contract.probe import MAX_LIMIT
from contract.results import Msg, Outcome, Status


def _outside(items: list[dict[str, Any]], start: datetime, end: datetime) -> list[Msg]:
    lo, hi = start.timestamp(), end.timestamp()
    return [
        Msg(
            "ev.outside_period",
            {"call": short(c), "start": start.isoformat(), "end": end.isoformat()},
        )
        for c in items
        if (t := instant(c)) is not None and not lo <= t < hi
    ]


def _edge_queries(t: float) -> list[tuple[str, datetime, datetime, bool]]:
    """(label, from, to, must contain) around a call that started at instant t."""
    at = datetime.fromtimestamp(t, UTC)
    return [
        ("from = start (UTC)", at, at + timedelta(seconds=1), True),
        (
            "from = start (+05:00)",
            at.astimezone(PLUS5),
            (at + timedelta(minutes=1)).astimezone(PLUS5),
            True,
        ),
        ("to = start", at - timedelta(hours=1), at, False),
        ("from = start + 1 s", at + timedelta(seconds=1), at + timedelta(hours=1), False),
    ]


def _edge_problems(ctx: Context, call: dict[str, Any]) -> list[Msg]:
    """Ask for periods that start or end exactly at the call's start, in two offsets."""
    t = instant(call)
    assert t is not None
    problems: list[Msg] = []
    for label, start, end, must in _edge_queries(t):
        got, problem = collect(ctx.probe, FINISHED, start, end, MAX_LIMIT)
        if problem is not None:
            problems.append(problem)
            continue
        problems.extend(_outside(got, start, end))
        if any(call_identity(g) == call_identity(call) for g in got) != must:
            where = {"call": short(call), "case": label}
            where.update(start=start.isoformat(), end=end.isoformat())
            problems.append(Msg("ev.edge_missing" if must else "ev.edge_extra", where))
    return problems


def period_filter_is_honoured_at_its_edges(ctx: Context) -> Outcome:
    """A call is returned exactly when from <= start < to, whatever offset the period uses."""
    calls = history_or_problem(ctx)
    if isinstance(calls, Outcome):
        return calls
    problems = _outside(calls, ctx.start, ctx.end)
    shown = []
    for call in samples(calls):
        problems.extend(_edge_problems(ctx, call))
        shown.append(Msg("ev.edge_held", {"call": short(call)}))
    ok = Msg("sum.period_ok", {"n": len(calls)})
    return verdict(problems, ok, Msg("sum.period_bad"), shown)


def _small_limit(total: int) -> int:
    return max(1, min(100, total // 3 or 1))


def _page_problems(ctx: Context, calls: list[dict[str, Any]], limit: int) -> list[Msg]:
    small, problem = collect(ctx.probe, FINISHED, ctx.start, ctx.end, limit)
    if problem is not None:
        return [problem]
    problems: list[Msg] = []
    dumps = [dump(c) for c in small]
    seen: set[str] = set()
    for c, d in zip(small, dumps, strict=True):
        if d in seen:
            problems.append(Msg("ev.duplicate", {"call": short(c), "limit": limit}))
        seen.add(d)
    reference = {dump(c) for c in calls}
    for c in calls:
        if dump(c) not in seen:
            problems.append(Msg("ev.gap", {"call": short(c), "limit": limit}))
    if not problems and dumps != [dump(c) for c in calls]:
        problems.append(Msg("ev.order_differs", {"limit": limit}))
    problems.extend(
        Msg("ev.extra", {"call": short(c)})
        for c, d in zip(small, dumps, strict=True)
        if d not in reference
    )
    return problems


def _repeat_problems(ctx: Context, limit: int) -> list[Msg]:
    first = ctx.probe.period_page(FINISHED, ctx.start, ctx.end, limit, limit)
    again = ctx.probe.period_page(FINISHED, ctx.start, ctx.end, limit, limit)
    if first.ok_list and again.ok_list and first.body != again.body:
        return [Msg("ev.page_changed", {"offset": limit, "limit": limit})]
    return []


def _order_problems(calls: list[dict[str, Any]]) -> list[Msg]:
    times = [instant(c) for c in calls]
    for i in range(1, len(times)):
        a, b = times[i - 1], times[i]
        if a is not None and b is not None and b < a:
            return [Msg("ev.not_sorted", {"call": short(calls[i]), "before": short(calls[i - 1])})]
    return []


def pages_are_complete_and_stable(ctx: Context) -> Outcome:
    """Small pages give the same calls, once each, in the same stable order as big pages."""
    calls = history_or_problem(ctx)
    if isinstance(calls, Outcome):
        return calls
    limit = _small_limit(len(calls))
    problems = (
        _order_problems(calls) + _page_problems(ctx, calls, limit) + _repeat_problems(ctx, limit)
    )
    ok = Msg("sum.pages_ok", {"n": len(calls), "limit": limit})
    return verdict(problems, ok, Msg("sum.pages_bad"))


def _short_page_probe(ctx: Context, endpoint: str, limit: int, offset: int) -> list[Msg]:
    page = ctx.probe.period_page(endpoint, ctx.start, ctx.end, limit, offset)
    if not page.ok_list or len(page.body) >= limit:
        return []
    after = ctx.probe.period_page(endpoint, ctx.start, ctx.end, limit, offset + len(page.body))
    if after.ok_list and after.body:
        return [
            Msg(
                "ev.short_page_mid_data",
                {
                    "endpoint": endpoint,
                    "limit": limit,
                    "offset": offset,
                    "got": len(page.body),
                    "more": len(after.body),
                },
            )
        ]
    return []


def a_short_page_ends_the_data(ctx: Context) -> Outcome:
    """A page with fewer items than `limit` is only ever the last one."""
    calls = history_or_problem(ctx)
    if isinstance(calls, Outcome):
        return calls
    problems: list[Msg] = []
    limit = _small_limit(len(calls))
    for endpoint, lim, off in (
        (FINISHED, MAX_LIMIT, 0),
        (FINISHED, limit, 0),
        (FINISHED, limit, limit),
        (TICKETS, MAX_LIMIT, 0),
    ):
        problems.extend(_short_page_probe(ctx, endpoint, lim, off))
    return verdict(problems, Msg("sum.short_page_ok"), Msg("sum.short_page_bad"))


def _offset_problems(items: list[dict[str, Any]], where: str) -> list[Msg]:
    return [
        Msg("ev.time_without_offset", {"where": where, "value": str(item.get(name))})
        for item in items
        for name in ("DateAndTime", "PlanStart", "PlanEnd")
        if name in item
        and item[name] is not None
        and not (isinstance(item[name], str) and OFFSET_RE.match(item[name]))
    ]


def times_carry_offsets(ctx: Context) -> Outcome:
    """Every time in every answer is ISO 8601 with a UTC offset."""
    calls, problem = ctx.finished()
    problems = [problem] if problem else []
    problems += _offset_problems(calls, FINISHED)
    ongoing = ctx.probe.get(ONGOING)
    if ongoing.ok_list:
        problems += _offset_problems([x for x in ongoing.body if isinstance(x, dict)], ONGOING)
    tickets, problem = collect(ctx.probe, TICKETS, ctx.start, ctx.end, MAX_LIMIT)
    if problem is not None and problem.key == "ev.not_an_item":  # unreadable leads: not (a)'s
        problems.append(problem)
    problems += _offset_problems(tickets, TICKETS)
    n = len(calls) + len(tickets)
    return verdict(problems, Msg("sum.offsets_ok", {"n": n}), Msg("sum.offsets_bad"))


def offset_is_accepted_in_both_spellings(ctx: Context) -> Outcome:
    """`offSet` (as some clients spell it) pages exactly like `offset`."""
    calls = history_or_problem(ctx)
    if isinstance(calls, Outcome) or len(calls) < 2:
        return calls if isinstance(calls, Outcome) else no_calls()
    a = ctx.probe.period_page(FINISHED, ctx.start, ctx.end, 1, 1, "offset")
    b = ctx.probe.period_page(FINISHED, ctx.start, ctx.end, 1, 1, "offSet")
    if a.ok_list and b.ok_list and a.body == b.body:
        return Outcome(Status.PASS, Msg("sum.offset_spelling_ok"))
    return Outcome(Status.WARNING, Msg("sum.offset_spelling_bad"), [Msg.raw(b.describe())])
