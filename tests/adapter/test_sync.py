"""The sync job with an in-memory provider, a real SQLite store and a hand-driven clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from adapter import sync
from adapter.cli import main
from adapter.errors import CapabilityError, UnavailableError
from adapter.model import CallRecord, Direction, LiveCall
from adapter.providers.base import AccountInfo, CallbackRequest, CallbackResult, Capability
from adapter.store import SqlStore
from adapter.sync import SyncOptions, plan_period, run_forever, run_once

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 5, 14, 10, 30, tzinfo=MSK)  # Thursday morning


def call(call_id: str, started: datetime) -> CallRecord:
    return CallRecord(
        provider="fake",
        provider_call_id=call_id,
        account="fake:1",
        started_at=started,
        finished_at=started + timedelta(minutes=3),
        direction=Direction.IN,
        contact_number="+79161234567",
        answered=True,
        talk_seconds=170,
        wait_seconds=10,
    )


def every_two_hours(first: date, days: int) -> list[CallRecord]:
    """12 calls a day, the last at 23:59 (right before midnight)."""
    out = []
    for d in range(days):
        day = first + timedelta(days=d)
        base = datetime(day.year, day.month, day.day, tzinfo=MSK)
        out += [call(f"{day}-{h}", base + timedelta(hours=h)) for h in range(0, 22, 2)]
        out.append(call(f"{day}-late", base + timedelta(hours=23, minutes=59)))
    return out


class FakeSource:
    """A provider whose history is `calls`, served in pages of `page` rows, oldest first."""

    name = "fake"
    capabilities = frozenset({Capability.HISTORY})
    max_window = timedelta(days=90)

    def __init__(self, calls: list[CallRecord], *, page: int = 5) -> None:
        self.calls = calls
        self.page = page
        self.periods: list[tuple[datetime, datetime]] = []
        self.fail_after_pages: int | None = None
        self.repeat_rows = 0  # each page also repeats the previous page's last rows
        self.on_page: Callable[[int], None] | None = None

    async def account(self) -> AccountInfo:
        return AccountInfo(key="fake:1", name="Fake", timezone=MSK)

    async def history(self, start: datetime, end: datetime) -> AsyncIterator[list[CallRecord]]:
        self.periods.append((start, end))
        rows = sorted((c for c in self.calls if start <= c.started_at < end), key=_start)
        for n, offset in enumerate(range(0, len(rows), self.page)):
            if self.fail_after_pages is not None and n >= self.fail_after_pages:
                raise UnavailableError("provider went away", provider="fake")
            if self.on_page is not None:
                self.on_page(n)
            await asyncio.sleep(0)
            yield rows[max(0, offset - self.repeat_rows) : offset + self.page]

    async def current_calls(self) -> list[LiveCall]:
        return []

    async def callback(self, request: CallbackRequest) -> CallbackResult:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


def _start(record: CallRecord) -> datetime:
    return record.started_at


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    async def now(self) -> datetime:
        return self.current

    async def sleep_until(self, when: datetime) -> None:
        self.current = max(self.current, when)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    s = SqlStore(f"sqlite:///{tmp_path}/cache.sqlite3")
    yield s
    s.close()


def cached(store: SqlStore) -> list[str]:
    far = datetime(2000, 1, 1, tzinfo=MSK), datetime(2100, 1, 1, tzinfo=MSK)
    return sorted(r.provider_call_id for r in store.iter_calls(*far))


def truth(calls: list[CallRecord], before: date) -> list[str]:
    return sorted(c.provider_call_id for c in calls if c.started_at.astimezone(MSK).date() < before)


TODAY = NOW.date()


class TestPeriod:
    def test_empty_cache__backfills_n_days(self) -> None:
        assert plan_period(None, NOW, MSK, 30) == (TODAY - timedelta(days=30), TODAY)

    def test_cached__starts_at_the_last_calls_day(self) -> None:
        last = datetime(2026, 5, 12, 23, 59, tzinfo=MSK)
        assert plan_period(last, NOW, MSK, 30) == (date(2026, 5, 12), TODAY)

    def test_trailing_window__reaches_back_past_the_last_calls_day(self) -> None:
        last = datetime(2026, 5, 13, 18, tzinfo=MSK)
        assert plan_period(last, NOW, MSK, 30, reread_days=3) == (date(2026, 5, 11), TODAY)

    def test_an_older_last_call__stays_the_floor(self) -> None:
        last = datetime(2026, 5, 1, 18, tzinfo=MSK)
        assert plan_period(last, NOW, MSK, 30, reread_days=3) == (date(2026, 5, 1), TODAY)

    def test_day_is_the_accounts_day(self) -> None:
        """23:30 UTC on the 12th is already the 13th in Moscow."""
        last = datetime(2026, 5, 12, 23, 30, tzinfo=ZoneInfo("UTC"))
        assert plan_period(last, NOW, MSK, 30)[0] == date(2026, 5, 13)


class TestRunOnce:
    async def test_first_run__backfills_closed_days_not_today(self, store: SqlStore) -> None:
        calls = every_two_hours(TODAY - timedelta(days=40), 41)  # today included
        source = FakeSource(calls)
        report = await run_once(source, store, FakeClock(NOW), SyncOptions(backfill_days=7))
        assert source.periods == [
            (datetime(2026, 5, 7, tzinfo=MSK), datetime(2026, 5, 14, tzinfo=MSK))
        ]
        expected = [c for c in truth(calls, TODAY) if c >= str(TODAY - timedelta(days=7))]
        assert cached(store) == expected
        assert (report.days, report.calls, report.status) == (7, 7 * 12, "ok")

    async def test_next_run__reloads_from_the_last_calls_day(self, store: SqlStore) -> None:
        calls = every_two_hours(TODAY - timedelta(days=10), 11)
        source = FakeSource(calls)
        clock = FakeClock(NOW)
        floor_only = SyncOptions(backfill_days=3, reread_days=0)
        await run_once(source, store, clock, floor_only)
        clock.current = NOW + timedelta(days=1)  # the first run of a new day
        report = await run_once(source, store, clock, floor_only)
        assert source.periods[-1] == (
            datetime(2026, 5, 13, tzinfo=MSK),
            datetime(2026, 5, 15, tzinfo=MSK),
        )
        assert report.days == 2
        assert cached(store) == [
            c
            for c in truth(calls, TODAY + timedelta(days=1))
            if c >= str(TODAY - timedelta(days=3))
        ]

    async def test_same_day_rerun__changes_nothing(self, store: SqlStore) -> None:
        calls = every_two_hours(TODAY - timedelta(days=5), 6)
        source = FakeSource(calls)
        await run_once(source, store, FakeClock(NOW), SyncOptions(backfill_days=5))
        before = cached(store)
        report = await run_once(source, store, FakeClock(NOW + timedelta(hours=3)))
        assert report.days == 3  # the trailing window, re-loaded whole
        assert cached(store) == before

    async def test_late_row__is_picked_up_by_the_next_run(self, store: SqlStore) -> None:
        calls = every_two_hours(TODAY - timedelta(days=3), 3)
        late = call("late-row", datetime(2026, 5, 13, 22, 30, tzinfo=MSK))
        source = FakeSource(calls)
        await run_once(source, store, FakeClock(NOW), SyncOptions(backfill_days=3))
        source.calls = [*calls, late]
        await run_once(source, store, FakeClock(NOW + timedelta(hours=3)))
        assert "late-row" in cached(store)

    async def test_call_days_late__is_cached_and_counted_as_a_late_arrival(
        self, store: SqlStore
    ) -> None:
        """A call of two days ago that reaches history today is cached, counted once,
        and `status` shows it; the floor rule alone would never re-read that day."""
        calls = every_two_hours(TODAY - timedelta(days=4), 4)
        late = call("two-days-late", datetime(2026, 5, 11, 13, 30, tzinfo=MSK))
        source = FakeSource(calls)
        await run_once(source, store, FakeClock(NOW), SyncOptions(backfill_days=4))
        source.calls = [*calls, late]
        floor_only = await run_once(source, store, FakeClock(NOW), SyncOptions(reread_days=0))
        assert (floor_only.late_calls, "two-days-late" in cached(store)) == (0, False)
        report = await run_once(source, store, FakeClock(NOW + timedelta(hours=3)))
        again = await run_once(source, store, FakeClock(NOW + timedelta(hours=6)))
        assert report.date_from == TODAY - timedelta(days=3)
        assert "two-days-late" in cached(store)
        assert (report.late_calls, again.late_calls) == (1, 0)
        state = store.state("fake:1")
        assert state is not None
        assert state.late_calls == 1
        assert [r.late_calls for r in store.runs("fake:1", limit=2)] == [0, 1]
        status = CliRunner().invoke(main, ["status", "--store", store.url])
        assert "late arrivals 1" in status.output

    async def test_reloaded_day__replaces_its_earlier_copy(self, store: SqlStore) -> None:
        calls = every_two_hours(TODAY - timedelta(days=2), 2)
        source = FakeSource(calls)
        await run_once(source, store, FakeClock(NOW), SyncOptions(backfill_days=2))
        source.calls = [c for c in calls if c.provider_call_id != "2026-05-13-10"]
        await run_once(source, store, FakeClock(NOW + timedelta(hours=3)))
        assert "2026-05-13-10" not in cached(store)

    async def test_rows_repeated_across_pages__are_cached_once(self, store: SqlStore) -> None:
        calls = every_two_hours(TODAY - timedelta(days=4), 4)
        source = FakeSource(calls, page=5)
        source.repeat_rows = 3
        report = await run_once(source, store, FakeClock(NOW), SyncOptions(backfill_days=4))
        assert cached(store) == truth(calls, TODAY)
        assert store.count_calls() == len(calls)
        assert report.calls >= len(calls)

    async def test_empty_days__clear_an_older_copy(self, store: SqlStore) -> None:
        old = call("ghost", datetime(2026, 5, 12, 12, tzinfo=MSK))
        store.upsert([old])
        source = FakeSource([call("a", datetime(2026, 5, 11, 9, tzinfo=MSK))])
        store.upsert([call("a", datetime(2026, 5, 11, 9, tzinfo=MSK))])
        report = await run_once(source, store, FakeClock(NOW), SyncOptions(reread_days=0))
        # last cached call was "ghost" on the 12th: the 12th and 13th re-load as empty days
        assert (report.date_from, report.days) == (date(2026, 5, 12), 2)
        assert cached(store) == ["a"]

    async def test_pages_are_streamed__days_written_before_the_period_ends(
        self, store: SqlStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Early days are in the store while the provider still serves the 10th day:
        at most one day grouping, two queued and two being written (a queue of two)."""
        monkeypatch.setattr(sync, "WRITE_BATCH", 2)
        calls = every_two_hours(TODAY - timedelta(days=10), 10)
        source = FakeSource(calls, page=12)
        seen: dict[int, int] = {}
        source.on_page = lambda n: seen.setdefault(n, store.count_calls())
        await run_once(source, store, FakeClock(NOW), SyncOptions(backfill_days=10))
        assert seen[0] == 0
        assert seen[9] >= 12 * (8 - 4)  # days 0..7 grouped by then, 4 may be in flight


async def test_provider_without_history__is_a_capability_error(store: SqlStore) -> None:
    source = FakeSource([])
    source.capabilities = frozenset({Capability.CURRENT_CALLS})
    with pytest.raises(CapabilityError, match="no call history"):
        await run_once(source, store, FakeClock(NOW))
    assert store.states() == []


class TestCrash:
    async def test_failure_mid_run__leaves_only_whole_days(self, store: SqlStore) -> None:
        calls = every_two_hours(TODAY - timedelta(days=6), 6)
        source = FakeSource(calls, page=5)
        source.fail_after_pages = 7  # 35 rows: two whole days and part of the third
        with pytest.raises(UnavailableError):
            await run_once(source, store, FakeClock(NOW), SyncOptions(backfill_days=6))
        got = cached(store)
        days = {c.rsplit("-", 1)[0] for c in got}
        for day in days:
            assert sum(1 for c in got if c.startswith(day + "-")) == 12, day
        state = store.state("fake:1")
        assert state is not None
        assert state.last_status == "error"
        assert "provider went away" in (state.last_error or "")

    async def test_rerun_after_failure__gives_the_clean_result(self, store: SqlStore) -> None:
        calls = every_two_hours(TODAY - timedelta(days=6), 7)
        source = FakeSource(calls, page=5)
        source.fail_after_pages = 9
        with pytest.raises(UnavailableError):
            await run_once(source, store, FakeClock(NOW), SyncOptions(backfill_days=6))
        source.fail_after_pages = None
        await run_once(source, store, FakeClock(NOW + timedelta(minutes=5)))
        assert cached(store) == truth(calls, TODAY)

    async def test_cancel_mid_run__leaves_only_whole_days(self, store: SqlStore) -> None:
        calls = every_two_hours(TODAY - timedelta(days=6), 6)
        source = FakeSource(calls, page=5)
        task: asyncio.Task[object] | None = None

        def kill(n: int) -> None:
            if n == 8 and task is not None:
                task.cancel()

        source.on_page = kill
        task = asyncio.ensure_future(
            run_once(source, store, FakeClock(NOW), SyncOptions(backfill_days=6))
        )
        with pytest.raises(asyncio.CancelledError):
            await task
        got = cached(store)
        for day in {c.rsplit("-", 1)[0] for c in got}:
            assert sum(1 for c in got if c.startswith(day + "-")) == 12
        state = store.state("fake:1")
        assert state is not None
        assert state.last_status == "interrupted"


class TestDaemon:
    async def test_a_simulated_week__caches_every_closed_day(self, store: SqlStore) -> None:
        calls = every_two_hours(TODAY - timedelta(days=2), 10)
        source = FakeSource(calls)
        clock = FakeClock(NOW)
        runs = await run_forever(
            source,
            store,
            clock,
            SyncOptions(backfill_days=2),
            until=NOW + timedelta(days=7),
        )
        assert runs == 7 * 8
        assert cached(store) == truth(calls, TODAY + timedelta(days=7))

    async def test_outage__is_survived_and_logged(self, store: SqlStore) -> None:
        calls = every_two_hours(TODAY - timedelta(days=2), 4)
        source = FakeSource(calls)
        source.fail_after_pages = 0
        clock = FakeClock(NOW)
        outcomes: list[str] = []

        def on_run(report: object, error: BaseException | None) -> None:
            outcomes.append("error" if error else "ok")
            source.fail_after_pages = None

        runs = await run_forever(
            source, store, clock, SyncOptions(backfill_days=2), max_runs=2, on_run=on_run
        )
        assert (runs, outcomes) == (2, ["error", "ok"])
        assert clock.current == NOW + timedelta(hours=3)
        assert cached(store) == truth(calls, TODAY)
