"""The cache-sync job: closed days from the provider into the store.

The algorithm (README, "Guarantees" > "The adapter's cache"):

- each run loads from 00:00 of the date of the last cached call up to 00:00
  today, both in the account's timezone, re-loading that whole first day;
  that is the floor: it also re-reads the trailing `reread_days` days, so a
  call that reaches the provider's history days late is still cached, and
  counts such late arrivals (calls new to days already cached);
- the first run on an empty cache backfills `backfill_days` days;
- today is never cached, so the first run of a new day loads yesterday;
- every day is written in a transaction that drops the day and inserts
  its calls (days already queued share one), so a crash mid-run leaves only
  whole days behind, and the next run starts again from the last of them;
- pages are streamed: a few days of calls are held at a time, whatever the period.

No HTTP and no SQL here: a `Provider` (source), a `CallStore` and a `Clock`.
Fetching and writing overlap: pages are grouped into days by one task while
another writes the previous days (a queue of `WRITE_BATCH` days bounds the memory).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from adapter.clock import Clock
from adapter.errors import AdapterError, CapabilityError
from adapter.model import CallRecord
from adapter.providers.base import Capability, Provider
from adapter.store.base import CallStore

__all__ = ["Progress", "SyncOptions", "SyncReport", "plan_period", "run_forever", "run_once"]

log = logging.getLogger("adapter.sync")

# Days queued at most (bounds the memory), and written together in one transaction when
# they are all there: a commit on a large SQLite cache costs more than a day's inserts.
WRITE_BATCH = 16


@dataclass(frozen=True, slots=True)
class SyncOptions:
    backfill_days: int = 30
    every: timedelta = timedelta(hours=3)
    # Days before today re-read on every run, whatever the last cached call (the floor):
    # calls reach history late (the probes saw two days); 3 covers that with a day to spare.
    reread_days: int = 3


@dataclass(slots=True)
class SyncReport:
    """What one run did."""

    account: str
    date_from: date
    date_to: date  # exclusive: today in the account's timezone
    days: int = 0  # days written (replaced), empty ones included
    calls: int = 0  # call rows written
    late_calls: int = 0  # calls new to days that were already cached
    status: str = "ok"  # ok | nothing | error | interrupted
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)


class Progress(Protocol):
    def start(self, account: str, days: int) -> None: ...

    def day_done(self, day: date, calls: int) -> None: ...


@dataclass(frozen=True, slots=True)
class _Day:
    day: date
    records: list[CallRecord]


@dataclass(frozen=True, slots=True)
class _Stray:
    """Rows of a day already written (a repeat across pages): upserted, idempotent."""

    records: list[CallRecord]


def midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tz)


def plan_period(
    last_call: datetime | None,
    now: datetime,
    tz: ZoneInfo,
    backfill_days: int,
    reread_days: int = 0,
) -> tuple[date, date]:
    """[first day, today) for a run at `now`: a backfill into an empty cache, else from
    the last cached call's day or `reread_days` before today, whichever is earlier."""
    today = now.astimezone(tz).date()
    if last_call is None:
        return today - timedelta(days=backfill_days), today
    return min(last_call.astimezone(tz).date(), today - timedelta(days=reread_days)), today


async def run_once(
    source: Provider,
    store: CallStore,
    clock: Clock,
    options: SyncOptions | None = None,
    *,
    progress: Progress | None = None,
) -> SyncReport:
    """One run of the job; raises the provider's or store's error after recording it."""
    options = options or SyncOptions()
    if Capability.HISTORY not in source.capabilities:
        raise CapabilityError(f"{source.name} offers no call history: there is nothing to cache")
    account = await source.account()
    tz = account.timezone
    now = await clock.now()
    first, today = plan_period(
        await asyncio.to_thread(store.last_call_at, account.key),
        now,
        tz,
        options.backfill_days,
        options.reread_days,
    )
    report = SyncReport(account=account.key, date_from=first, date_to=today)
    if first >= today:
        report.status = "nothing"
        return report
    run_id = await asyncio.to_thread(
        store.begin_run, account.key, source.name, tz.key, now, first, today
    )
    if progress is not None:
        progress.start(account.key, (today - first).days)
    late = await _LateArrivals.start(store, account.key, tz, first, today)
    try:
        await _load(source, store, tz, account.key, first, today, report, progress, late)
    except BaseException as exc:
        report.status = "error" if isinstance(exc, Exception) else "interrupted"
        report.error = f"{type(exc).__name__}: {exc}"
        await _finish(store, clock, run_id, report, None)
        raise
    await _finish(store, clock, run_id, report, today)
    log.info(
        "sync %s: %s..%s, %d day(s), %d call(s)",
        account.key,
        first,
        today - timedelta(days=1),
        report.days,
        report.calls,
    )
    return report


async def _finish(
    store: CallStore, clock: Clock, run_id: int, report: SyncReport, loaded_until: date | None
) -> None:
    try:
        finished = await clock.now()
    except AdapterError:
        finished = datetime.now(UTC)
    await asyncio.shield(
        asyncio.to_thread(
            store.finish_run,
            run_id,
            finished,
            status=report.status,
            days=report.days,
            calls=report.calls,
            error=report.error,
            loaded_until=loaded_until,
            late_calls=report.late_calls,
        )
    )


class _LateArrivals:
    """Counts calls new to days that were cached before this run (below `loaded_until`)."""

    def __init__(self, tz: ZoneInfo, cached_before: date, known: set[tuple[str, str]]) -> None:
        self.tz = tz
        self.cached_before = cached_before
        self.known = known

    @classmethod
    async def start(
        cls, store: CallStore, account: str, tz: ZoneInfo, first: date, today: date
    ) -> _LateArrivals:
        state = await asyncio.to_thread(store.state, account)
        cached_before = min(state.loaded_until, today) if state and state.loaded_until else first
        known: set[tuple[str, str]] = set()
        if cached_before > first:
            lo, hi = midnight(first, tz), midnight(cached_before, tz)
            known = await asyncio.to_thread(store.call_keys, account, lo, hi)
        return cls(tz, cached_before, known)

    def count(self, records: list[CallRecord]) -> int:
        """How many of `records` are late arrivals (each counted once)."""
        late = 0
        for record in records:
            if record.key in self.known:
                continue
            if record.started_at.astimezone(self.tz).date() < self.cached_before:
                self.known.add(record.key)
                late += 1
        return late


async def _load(
    source: Provider,
    store: CallStore,
    tz: ZoneInfo,
    account: str,
    first: date,
    today: date,
    report: SyncReport,
    progress: Progress | None,
    late: _LateArrivals,
) -> None:
    queue: asyncio.Queue[_Day | _Stray | None] = asyncio.Queue(maxsize=WRITE_BATCH)

    async def write_days(days: list[_Day]) -> None:
        pairs = [(d.day, d.records) for d in days]
        counts = await asyncio.to_thread(store.replace_days, account, pairs, tz)
        report.late_calls += sum(late.count(d.records) for d in days)
        for d, n in zip(days, counts, strict=True):
            report.days += 1
            report.calls += n
            if progress is not None:
                progress.day_done(d.day, n)

    async def write() -> None:
        while True:  # whatever is queued, in order; consecutive days in one transaction
            items = [await queue.get()]
            while not queue.empty() and len(items) < WRITE_BATCH:
                items.append(queue.get_nowait())
            days: list[_Day] = []
            for item in items:
                if isinstance(item, _Day):
                    days.append(item)
                    continue
                if days:
                    await write_days(days)
                    days = []
                if item is None:
                    return
                await asyncio.to_thread(store.upsert, item.records)
                report.late_calls += late.count(item.records)
            if days:
                await write_days(days)

    writer = asyncio.create_task(write())
    pages = source.history(midnight(first, tz), midnight(today, tz))
    try:
        async for item in _days(pages, tz, first, today):
            await _put(queue, item, writer)
    finally:
        # Whole days already grouped are written even when the stream failed.
        if not writer.done():
            await queue.put(None)
        await writer


async def _put(
    queue: asyncio.Queue[_Day | _Stray | None], item: _Day | _Stray, writer: asyncio.Task[None]
) -> None:
    """Queue `item`, unless the writer died first (then raise its error)."""
    put = asyncio.ensure_future(queue.put(item))
    done, _ = await asyncio.wait({put, writer}, return_when=asyncio.FIRST_COMPLETED)
    if put not in done:
        put.cancel()
        writer.result()  # the writer only stops early by failing: raise its error
        raise RuntimeError("the sync writer stopped early")


async def _days(
    pages: AsyncIterator[list[CallRecord]], tz: ZoneInfo, first: date, end: date
) -> AsyncIterator[_Day | _Stray]:
    """Group a start-ordered stream of pages into whole days; fill empty days.

    A day is complete once a row of a later day arrives (rows come oldest
    first). Rows of a day already handed on are repeats (pages overlapping)
    and come out as `_Stray`.
    """
    current: date | None = None
    buffer: dict[tuple[str, str], CallRecord] = {}
    async for page in pages:
        stray: list[CallRecord] = []
        for record in page:
            day = record.started_at.astimezone(tz).date()
            if not first <= day < end:
                continue
            if current is None or day > current:
                if current is not None:
                    yield _Day(current, list(buffer.values()))
                for gap in _range(first if current is None else current + timedelta(days=1), day):
                    yield _Day(gap, [])
                current, buffer = day, {}
            if day == current:
                buffer[record.key] = record
            else:
                stray.append(record)
        if stray:
            yield _Stray(stray)
    if current is not None:
        yield _Day(current, list(buffer.values()))
    for gap in _range(first if current is None else current + timedelta(days=1), end):
        yield _Day(gap, [])


def _range(start: date, stop: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((stop - start).days)]


async def run_forever(
    source: Provider,
    store: CallStore,
    clock: Clock,
    options: SyncOptions | None = None,
    *,
    max_runs: int | None = None,
    until: datetime | None = None,
    on_run: Callable[[SyncReport | None, BaseException | None], Awaitable[None] | None]
    | None = None,
    progress: Progress | None = None,
) -> int:
    """Run every `options.every` (by `clock`) until stopped; returns the number of runs.

    Survives failures: an error is logged (and kept in the store's sync
    state) and the next run comes at its usual time. Stops after `max_runs`
    runs, or once the clock passes `until`.
    """
    options = options or SyncOptions()
    runs = 0
    while max_runs is None or runs < max_runs:
        started = await _now_or_none(clock)
        if until is not None and started is not None and started >= until:
            break
        report, error = await _guarded_run(source, store, clock, options, progress)
        runs += 1
        if on_run is not None:
            result = on_run(report, error)
            if result is not None:
                await result
        if max_runs is not None and runs >= max_runs:
            break
        await _sleep_until(clock, (started or await clock.now()) + options.every)
    return runs


async def _guarded_run(
    source: Provider,
    store: CallStore,
    clock: Clock,
    options: SyncOptions,
    progress: Progress | None,
) -> tuple[SyncReport | None, Exception | None]:
    try:
        return await run_once(source, store, clock, options, progress=progress), None
    except AdapterError as exc:
        log.error("sync run failed, next run as scheduled: %s", exc)
        return None, exc
    except Exception as exc:  # a daemon outlives a bug in one run; the traceback is logged
        log.exception("sync run crashed, next run as scheduled")
        return None, exc


async def _now_or_none(clock: Clock) -> datetime | None:
    try:
        return await clock.now()
    except AdapterError as exc:
        log.error("clock unavailable: %s", exc)
        return None


async def _sleep_until(clock: Clock, when: datetime) -> None:
    while True:
        try:
            await clock.sleep_until(when)
            return
        except AdapterError as exc:
            log.error("clock unavailable, retrying in 5 s: %s", exc)
            await asyncio.sleep(5)
