"""What every report shares: the period, where its calls come from, and the JSON shape.

**Period.** `--from D1 --to D2` is [00:00 of D1, 00:00 of the day after D2)
in the account's timezone (the provider's `get.account`, else the cached
sync state's, else the imported clinic data's).

**Sources.** Calls that started before `split` are read from the cache,
calls from `split` on from the provider (`Provider.history`), where

    split = min(00:00 today, 00:00 of the first day the cache does not hold)

so a cache that lags behind (a missed sync) is topped up from the provider
instead of leaving a hole. The two parts never overlap in start time; within
the provider's part rows are de-duplicated by `(provider, provider_call_id)`.
A report says so in `sources`: `cache_until` (= `split`, or null when the
cache is not used), `live_from` (null without a provider), plus
`cache_synced_at` (when the last sync run finished: how fresh the cache is),
`cache_calls` and `live_calls` (rows read from each).

**Window.** Some figures look past the period's end (was a missed call
called back the next morning? which call led to a booking made two days
later?). A report therefore loads `[period.start, period.end + lookahead)`,
never past now, and counts only calls that started inside the period.

The provider's part is put into a temporary table `report_live` on the
report's own connection, so every query runs the same SQL over
`calls` (cache part) and `report_live` (provider part). It is committed
once loaded: the rollups' writes (`adapter.reports.rollup`) end the report's
read transaction and may roll their own back, and the table and its rows
stay.

**Threads.** No SQL runs on the event loop (beside it may run the Mango
events receiver): the store is read with `asyncio.to_thread`, the window's
connection is opened and closed in a worker thread, and each report builds
its rows over the open window in one `asyncio.to_thread` call. The window's
connection is used by one thread at a time, maybe not always the same one:
SQLAlchemy opens file SQLite databases with `check_same_thread=False` (its
QueuePool), and a psycopg connection may move between threads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, text

from adapter.clock import Clock
from adapter.model import CallRecord
from adapter.providers.base import Capability, Provider
from adapter.reports.rollup import cached_calls
from adapter.reports.window import CallWindow, Part, Period, Sources, period_of
from adapter.store.clinic import ClinicStore
from adapter.store.schema import report_live as _live
from adapter.store.sql import SqlStore, row_dict

__all__ = [
    "LIVE_TABLE",
    "CallWindow",
    "Part",
    "Period",
    "Report",
    "ReportContext",
    "Sources",
    "open_window",
    "period_of",
]

LIVE_TABLE = _live.name


@dataclass(slots=True)
class Report:
    """One report: the JSON shape `{"report", "period", "sources", "rows", "totals"}`."""

    report: str
    period: Period
    sources: Sources
    rows: list[dict[str, Any]]
    totals: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "report": self.report,
            "period": self.period.as_json(),
            "sources": self.sources.as_json(),
            "rows": self.rows,
            "totals": self.totals,
            "options": self.options,
        }


@dataclass(slots=True)
class ReportContext:
    """What a report runs on: the store, the provider (optional) and the clock."""

    store: SqlStore
    clock: Clock
    source: Provider | None = None
    tz: ZoneInfo | None = None
    use_cache: bool = True  # False: the whole window from the provider (benchmarks, checks)
    use_rollups: bool = True  # False: every figure from the calls themselves (checks)

    @property
    def clinic(self) -> ClinicStore:
        return ClinicStore(self.store.engine)

    async def timezone(self) -> ZoneInfo:
        if self.tz is not None:
            return self.tz
        if self.source is not None:
            self.tz = (await self.source.account()).timezone
            return self.tz
        self.tz = ZoneInfo(await asyncio.to_thread(self._stored_zone))
        return self.tz

    def _stored_zone(self) -> str:
        """The cached sync state's timezone, else the clinic data's (SQL: in a worker thread)."""
        states = self.store.states()
        return states[0].timezone if states else self.clinic.meta().get("timezone", "UTC")


async def _provider_part(
    source: Provider, lo: datetime, hi: datetime, tz: ZoneInfo
) -> list[CallRecord]:
    rows: dict[tuple[str, str], CallRecord] = {}
    async for page in source.history(lo, hi):
        for record in page:
            if lo <= record.started_at < hi:
                rows[record.key] = record
    return list(rows.values())


@contextmanager
def _connection(store: SqlStore) -> Iterator[Connection]:
    with store.engine.connect() as conn, store.read_cache(conn):
        conn.execute(text(f"DROP TABLE IF EXISTS {LIVE_TABLE}"))
        _live.create(conn)
        try:
            yield conn
        finally:
            conn.rollback()
            conn.execute(text(f"DROP TABLE IF EXISTS {LIVE_TABLE}"))
            conn.commit()


@contextmanager
def _opened(store: SqlStore, live: list[CallRecord], tz: ZoneInfo) -> Iterator[Connection]:
    with _connection(store) as conn:
        loaded = int(datetime.now(UTC).timestamp())
        rows = [row_dict(r, tz, loaded) for r in live]
        for start in range(0, len(rows), 5000):
            conn.execute(_live.insert(), rows[start : start + 5000])
        conn.commit()  # the live part outlives the rollup writes' transactions (rollup.py)
        yield conn


async def plan_sources(
    ctx: ReportContext, period: Period, lookahead: timedelta
) -> tuple[Sources, datetime, datetime, datetime, datetime]:
    """(sources, window end, cache start, split, now): where each part comes from.

    The cache holds [cache start, split): its start is 00:00 of the first day
    the first successful sync run loaded (days before it were never cached
    and come from the provider, like today); without any sync state the
    cache is taken to hold everything before `split`.
    """
    tz = await ctx.timezone()
    now = (await ctx.clock.now()).astimezone(tz)
    today0 = datetime.combine(now.date(), time(0), tz)
    states = await asyncio.to_thread(ctx.store.states)
    split = today0
    synced: datetime | None = None
    cache_from = period.start
    if states:
        runs = await asyncio.to_thread(ctx.store.runs, None, 100_000)
        firsts = [r.date_from for r in runs if r.status == "ok" and r.date_from is not None]
        if firsts:
            cache_from = max(period.start, datetime.combine(min(firsts), time(0), tz))
        loaded = [s.loaded_until for s in states if s.loaded_until is not None]
        # nothing cached yet: everything from the provider
        split = min(split, datetime.combine(min(loaded), time(0), tz)) if loaded else period.start
        finished = [s.last_run_finished for s in states if s.last_run_finished is not None]
        synced = max(finished) if finished else None
    if not ctx.use_cache:
        split = period.start
    wend = min(period.end + lookahead, max(now, period.start))
    sources = Sources(cache_synced_at=synced)
    cache_from = min(cache_from, split)
    if cache_from < split:
        sources.cache_until = split
    return sources, wend, cache_from, split, now


@contextmanager
def _window_conn(
    ctx: ReportContext,
    period: Period,
    sources: Sources,
    parts: list[Part],
    live: list[CallRecord],
    now: datetime,
) -> Iterator[CallWindow]:
    with _opened(ctx.store, live, period.tz) as conn:
        window = CallWindow(conn, period, parts, sources, now, frozenset(r.key for r in live))
        window.rollups = ctx.use_rollups and _same_days(ctx, period)
        yield window


def _same_days(ctx: ReportContext, period: Period) -> bool:
    """Whether the cache's `local_date` (the accounts' timezone) is the report's day."""
    zones = {s.timezone for s in ctx.store.states()}
    if not zones:
        zones = {ctx.clinic.meta().get("timezone", period.tz.key)}
    return zones == {period.tz.key}


class _Opened:
    """Async context: gathers the provider's part, then opens the window's connection."""

    def __init__(
        self, ctx: ReportContext, period: Period, lookahead: timedelta, count: bool
    ) -> None:
        self.ctx, self.period, self.lookahead, self.count = ctx, period, lookahead, count
        self._cm: Any = None

    async def __aenter__(self) -> CallWindow:
        plan = await plan_sources(self.ctx, self.period, self.lookahead)
        sources, wend, cache_from, split, now = plan
        start = self.period.start
        cached = Part("calls", _ts(cache_from), _ts(max(cache_from, min(split, wend))))
        parts = [cached]
        live: list[CallRecord] = []
        ranges = [(start, min(cache_from, wend)), (max(start, split), wend)]
        for lo, hi in ranges:
            if lo >= hi:
                continue
            if self.ctx.source is None or Capability.HISTORY not in self.ctx.source.capabilities:
                sources.notes.append(
                    f"calls of {lo.isoformat()}..{hi.isoformat()} are not included: "
                    "not cached and no provider configured"
                )
                continue
            live += await _provider_part(self.ctx.source, lo, hi, self.period.tz)
            sources.live_from = lo if sources.live_from is None else sources.live_from
            parts.append(Part(LIVE_TABLE, _ts(lo), _ts(hi)))
            if hi <= cache_from and cache_from < split:
                sources.notes.append(
                    f"calls before {cache_from.isoformat()} are not cached: from the provider"
                )
        self._cm = _window_conn(self.ctx, self.period, sources, parts, live, now)
        return await asyncio.to_thread(self._enter, parts[0], live)

    def _enter(self, cached: Part, live: list[CallRecord]) -> CallWindow:
        """Open the window's connection, load the provider's part (SQL: in a worker thread)."""
        window: CallWindow = self._cm.__enter__()
        window.sources.live_calls = sum(1 for r in live if r.started_at < self.period.end)
        if self.count:
            window.sources.cache_calls = _count(window, cached, self.period)
        return window

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self._cm.__exit__, None, None, None)


def _ts(when: datetime) -> int:
    return int(when.timestamp())


def _count(window: CallWindow, part: Part, period: Period) -> int:
    rolled = cached_calls(window)
    if rolled is not None:
        return rolled
    hi = min(part.hi, int(period.end.timestamp()))
    if part.lo >= hi:
        return 0
    sql = f"SELECT COUNT(*) FROM calls WHERE started_at >= {part.lo} AND started_at < {hi}"
    return int(window.conn.execute(text(sql)).scalar_one())


def open_window(
    ctx: ReportContext, period: Period, lookahead: timedelta = timedelta(0), *, count: bool = True
) -> _Opened:
    """`async with open_window(ctx, period) as window:` the report's calls, ready for SQL.

    With `count=False` the report fills `sources.cache_calls` / `live_calls` itself
    (e.g. with only the rows it read for one phone).
    """
    return _Opened(ctx, period, lookahead, count)
