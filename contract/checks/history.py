"""(a) Call history for any period: edges, paging, short pages, offsets."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
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
    end_instant,
    history_or_problem,
    instant,
    no_calls,
    samples,
    short,
    verdict,
)
from contract.probe import MAX_LIMIT
from contract.results import Msg, Outcome, Status


@dataclass(frozen=True, slots=True)
class Reading:
    """One reading of the period filter: which instant is filtered, and whether `to` counts."""

    by: str  # "start" or "end" of the call
    to_inclusive: bool

    def holds(self, call: dict[str, Any], lo: float, hi: float) -> bool | None:
        """Whether this reading returns `call` for [lo, hi) (None: the call's end is unknown)."""
        t = instant(call) if self.by == "start" else end_instant(call)
        if t is None:
            return None
        return lo <= t < hi or (self.to_inclusive and t == hi)

    @property
    def key(self) -> str:
        return f"{self.by}_{'inclusive' if self.to_inclusive else 'exclusive'}"


# the contract's reading first: it wins whenever the observations cannot tell them apart
READINGS = (
    Reading("start", False),
    Reading("start", True),
    Reading("end", False),
    Reading("end", True),
)


@dataclass(slots=True)
class Query:
    label: Msg
    start: datetime
    end: datetime
    call: dict[str, Any]  # the call the query was built around
    got: list[dict[str, Any]]


def _edge_queries(call: dict[str, Any]) -> list[tuple[Msg, datetime, datetime]]:
    """Periods that start or end exactly at the call's start and end, in two offsets."""
    s = instant(call)
    assert s is not None
    at = datetime.fromtimestamp(s, UTC)
    queries = [
        (Msg("case.from_start_utc"), at, at + timedelta(seconds=1)),
        (
            Msg("case.to_start_plus5"),
            (at - timedelta(hours=1)).astimezone(PLUS5),
            at.astimezone(PLUS5),
        ),
        (Msg("case.from_start_plus_1s"), at + timedelta(seconds=1), at + timedelta(hours=1)),
    ]
    e = end_instant(call)
    if e is not None and e > s + 1:
        until = datetime.fromtimestamp(e, UTC)
        queries += [
            (
                Msg("case.from_end_plus5"),
                until.astimezone(PLUS5),
                (until + timedelta(seconds=1)).astimezone(PLUS5),
            ),
            (Msg("case.to_end_utc"), until - timedelta(hours=1), until),
        ]
    return queries


def _ask_edges(ctx: Context, call: dict[str, Any]) -> tuple[list[Query], list[Msg]]:
    queries: list[Query] = []
    problems: list[Msg] = []
    for label, start, end in _edge_queries(call):
        got, problem = collect(ctx.probe, FINISHED, start, end, MAX_LIMIT)
        if problem is not None:
            problems.append(problem)
        else:
            queries.append(Query(label, start, end, call, got))
    return queries, problems


def _conflicts(reading: Reading, queries: list[Query]) -> list[Msg]:
    """Where the answers contradict `reading`: a call missing that it returns, or one extra."""
    problems: list[Msg] = []
    for q in queries:
        lo, hi = q.start.timestamp(), q.end.timestamp()
        where = {
            "call": short(q.call),
            "case": q.label,
            "start": q.start.isoformat(),
            "end": q.end.isoformat(),
        }
        present = any(call_identity(g) == call_identity(q.call) for g in q.got)
        if reading.holds(q.call, lo, hi) and not present:
            problems.append(Msg("ev.edge_missing", where))
        elif reading.holds(q.call, lo, hi) is False and present:
            problems.append(Msg("ev.edge_extra", where))
        problems.extend(
            Msg(
                "ev.outside_period",
                {"call": short(g), "start": q.start.isoformat(), "end": q.end.isoformat()},
            )
            for g in q.got
            if reading.holds(g, lo, hi) is False
        )
    return problems


def _main_period(ctx: Context, calls: list[dict[str, Any]]) -> Query:
    return Query(Msg("case.whole_period"), ctx.start, ctx.end, calls[0], calls)


def period_filter_is_honoured_at_its_edges(ctx: Context) -> Outcome:
    """Each call comes for exactly the periods its start (or, by another reading, end) is in.

    Either reading of the open points passes (start or end filtered, `to`
    exclusive or inclusive): with day windows from 00:00 to 00:00 every call
    still comes, and the client keeps a call met twice once. A call missing
    from a period its instant is in, or returned for one it is not, fails.
    """
    calls = history_or_problem(ctx)
    if isinstance(calls, Outcome):
        return calls
    queries, problems = [_main_period(ctx, calls)], []
    shown = []
    for call in samples(calls):
        asked, failed = _ask_edges(ctx, call)
        queries += asked
        problems += failed
        shown.append(Msg("ev.edge_held", {"call": short(call)}))
    if problems:
        return verdict(problems, Msg("sum.period_ok", {"n": len(calls)}), Msg("sum.period_bad"))
    for reading in READINGS:
        if not _conflicts(reading, queries):
            ok = Msg("sum.period_ok", {"n": len(calls)})
            return Outcome(Status.PASS, ok, shown, [Msg(f"find.period_{reading.key}")])
    return verdict(_conflicts(READINGS[0], queries), Msg("sum.period_ok"), Msg("sum.period_bad"))


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
        if endpoint == TICKETS and not ctx.offered(TICKETS):
            continue
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
    ongoing = ctx.probe.get(ONGOING) if ctx.offered(ONGOING) else None
    if ongoing is not None and ongoing.ok_list:
        problems += _offset_problems([x for x in ongoing.body if isinstance(x, dict)], ONGOING)
    tickets: list[dict[str, Any]] = []
    if ctx.offered(TICKETS):
        tickets, problem = collect(ctx.probe, TICKETS, ctx.start, ctx.end, MAX_LIMIT)
    if problem is not None and problem.key == "ev.not_an_item":  # unreadable leads: not (a)'s
        problems.append(problem)
    problems += _offset_problems(tickets, TICKETS)
    n = len(calls) + len(tickets)
    return verdict(problems, Msg("sum.offsets_ok", {"n": n}), Msg("sum.offsets_bad"))


def offset_is_accepted_in_both_spellings(ctx: Context) -> Outcome:
    """Which spelling of the page offset the provider reads: `offset`, `offSet` or both."""
    calls = history_or_problem(ctx)
    if isinstance(calls, Outcome) or len(calls) < 2:
        return calls if isinstance(calls, Outcome) else no_calls()
    working = ctx.spellings()
    if not working:
        return Outcome(Status.FAIL, Msg("sum.offset_spelling_none"))
    key = "both" if len(working) == 2 else working[0]
    finding = Msg(f"find.offset_{key}")
    return Outcome(Status.PASS, Msg(f"sum.offset_spelling_{key}"), findings=[finding])


def _shapes(phones: list[str]) -> str:
    """The formats phone numbers come in, e.g. "79161234567", "+7 916 ...", as masks."""
    masks = Counter(re.sub(r"\d", "9", p) for p in phones)
    return ", ".join(m for m, _ in masks.most_common(3))


def _offsets(calls: list[dict[str, Any]]) -> str:
    found = Counter(
        str(c["DateAndTime"])[19:].lstrip(".0123456789")
        for c in calls
        if isinstance(c.get("DateAndTime"), str)
    )
    return ", ".join(o for o, _ in found.most_common(3))


def call_fields_readings(ctx: Context) -> Outcome:
    """How the provider fills what the description leaves open: never a failure."""
    calls = history_or_problem(ctx)
    if isinstance(calls, Outcome):
        return calls
    missed = [c for c in calls if not c.get("TalkInSeconds")]
    talks = {"null" if c.get("TalkInSeconds") is None else "0" for c in missed}
    findings = [Msg("find.times_offset", {"offsets": _offsets(calls)})]
    if talks:
        findings.append(Msg("find.missed_talk", {"values": " / ".join(sorted(talks))}))
    phones = [str(c.get(n)) for c in calls for n in ("PhoneFrom", "PhoneTo") if c.get(n)]
    findings.append(Msg("find.phone_format", {"formats": _shapes(phones)}))
    lines = sum(1 for c in calls if c.get("LineDescription"))
    findings.append(Msg("find.line_description", {"n": lines, "total": len(calls)}))
    ids = sum(1 for c in calls if c.get("Id") not in (None, ""))
    findings.append(Msg("find.call_ids" if ids else "find.no_call_ids", {"n": ids}))
    default = ctx.probe.get(
        FINISHED, {k: v for k, v in ctx.period_params(1).items() if k != "limit"}
    )
    if default.ok_list:
        findings.append(Msg("find.default_limit", {"n": len(default.body), "total": len(calls)}))
    return Outcome(Status.PASS, Msg("sum.readings", {"n": len(calls)}), findings=findings)
