"""Reports that run at the same time as another report or a sync all succeed, and right.

Each runner has its own `SqlStore` on the same SQLite file or PostgreSQL
database, as two processes would (a clinic's staff open reports while cron
runs `pbx-adapter sync`). The races are made deterministic with a hook on
the report's engine: it holds the report at the moment it starts writing its
rollups (its first statement that takes the write lock or writes them), after
it has read the window and built the rows, while the other writer commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import Table, delete, event, select

from adapter.clinic_data import parse_document
from adapter.reports import ReportContext, ad_channels, admin_conversion, contact_history
from adapter.reports.base import Report, period_of
from adapter.store import SqlStore
from adapter.store.clinic import ClinicStore
from adapter.store.schema import report_rollup, report_rollup_days

from .test_reports_unit import CACHED, DOC, MSK, TODAY, TODAYS, FakeSource, FixedClock, at, call

Build = Callable[[ReportContext, Any], Any]
BUILDS = [ad_channels, admin_conversion, contact_history]
YESTERDAY = TODAY - timedelta(days=1)
RUNS = 6  # reports per runner while the sync-style writer loops
# what a report runs when it starts writing rollups: the write lock, else the first write
_WRITE_START = re.compile(r"^\s*(BEGIN IMMEDIATE|LOCK TABLE|DELETE FROM report_rollup)", re.I)


@pytest.fixture
def seeded(store_url: str) -> str:
    """The reports' data (tests/adapter/reports/test_reports_unit.py), no rollups yet."""
    return _seed(store_url)


def _seed(url: str) -> str:
    store = SqlStore(url)
    store.upsert(CACHED, MSK)
    ClinicStore(store.engine).replace(
        parse_document(orjson.loads(orjson.dumps(DOC)), provider="fake")
    )
    store.close()
    return url


def _period() -> Any:
    return period_of(TODAY - timedelta(days=2), TODAY, MSK)


def _report(store: SqlStore, build: Build) -> dict[str, Any]:
    """One report with a provider part (today) on `store`, as `pbx-adapter report` runs it."""
    ctx = ReportContext(store, FixedClock(), FakeSource(TODAYS), MSK)
    report: Report = asyncio.run(build(ctx, _period()))
    return report.as_json()


def _alone(url: str, build: Build) -> dict[str, Any]:
    """The report run alone, its rollups built from scratch (and dropped again after)."""
    _drop_rollups(url)
    store = SqlStore(url)
    try:
        return _report(store, build)
    finally:
        store.close()
        _drop_rollups(url)


def _report_into(url: str, build: Build) -> None:
    store = SqlStore(url)
    try:
        _report(store, build)
    finally:
        store.close()


def _dump_rollups(url: str) -> list[tuple[Table, list[dict[str, Any]]]]:
    """Every stored rollup row and mark, in key order."""
    store = SqlStore(url)
    try:
        with store.engine.connect() as conn:
            return [
                (t, [dict(r._mapping) for r in conn.execute(select(t).order_by(*t.primary_key))])
                for t in (report_rollup, report_rollup_days)
            ]
    finally:
        store.close()


def _drop_rollups(url: str) -> None:
    store = SqlStore(url)
    with store.engine.begin() as conn:
        conn.execute(delete(report_rollup))
        conn.execute(delete(report_rollup_days))
    store.close()


def _on_write_start(store: SqlStore, action: Callable[[], None]) -> None:
    """Run `action` (once) in the report's thread just before it starts writing rollups."""
    fired = threading.Event()

    def hook(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if not fired.is_set() and _WRITE_START.match(statement):
            fired.set()
            action()

    event.listen(store.engine, "before_cursor_execute", hook)


def _in_threads(*jobs: Callable[[], Any]) -> list[Any]:
    """Run each job in its own thread; their results (or the exceptions they raised)."""
    out: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            out[i] = jobs[i]()
        except BaseException as exc:  # the test asserts on it
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a runner hangs"
    return out


def _failures(results: list[Any]) -> list[str]:
    """What the runners raised, one line each."""
    return [repr(r).splitlines()[0] for r in results if isinstance(r, BaseException)]


@pytest.mark.parametrize("build", BUILDS)
def test_two_reports_at_once__both_succeed_and_equal_the_report_alone(
    seeded: str, build: Build
) -> None:
    """Both build the same missing rollups; both start writing them at the same moment."""
    expected = _alone(seeded, build)
    stores = [SqlStore(seeded), SqlStore(seeded)]
    meet = threading.Barrier(2, timeout=5)

    def together() -> None:  # the other report may be stuck behind our lock: then go on
        with contextlib.suppress(threading.BrokenBarrierError):
            meet.wait()

    for store in stores:
        _on_write_start(store, together)
    try:
        results = _in_threads(*(lambda s=s: _report(s, build) for s in stores))
    finally:
        for store in stores:
            store.close()
    assert _failures(results) == []
    assert results == [expected, expected]


@pytest.mark.parametrize("build", BUILDS)
def test_report_while_the_sync_commits__uses_the_synced_calls(seeded: str, build: Build) -> None:
    """The sync re-loads yesterday with one more call after the report read its window and
    built its rollups, before it wrote them: the report neither fails nor uses the rows
    it built from the calls that are gone (it equals the report run alone afterwards)."""
    sync = SqlStore(seeded)
    report = SqlStore(seeded)
    late = call("c9", at(1, 15), "+79160000004", utm_source="tiktok", utm_medium="social",
                utm_campaign="promo")  # fmt: skip
    day = [c for c in CACHED if c.started_at.date() == YESTERDAY] + [late]

    def resync() -> None:
        sync.replace_days("fake:1", [(YESTERDAY, day)], MSK)

    _on_write_start(report, resync)
    try:
        (result,) = _in_threads(lambda: _report(report, build))
    finally:
        report.close()
        sync.close()
    expected = _alone(seeded, build)
    assert expected["sources"]["cache_calls"] == len(CACHED) + 1  # the late call is in
    assert _failures([result]) == []
    assert result == expected


@pytest.mark.parametrize("build", BUILDS)
def test_reports_while_the_sync_commits_in_a_loop__all_succeed(seeded: str, build: Build) -> None:
    """A sync-style writer re-loads the cached days (same calls) over and over while two
    runners make reports one after the other: every report equals the report alone.

    (The old code failed here every time on SQLite; on PostgreSQL only when the two
    runners' rollup writes collided, which the barrier test above makes certain.)"""
    expected = _alone(seeded, build)
    days = [
        (d, [c for c in CACHED if c.started_at.date() == d])
        for d in (YESTERDAY, TODAY - timedelta(days=2))
    ]
    done = threading.Event()
    commits = [0]

    def writer() -> None:
        store = SqlStore(seeded)
        try:
            while not done.is_set():
                store.replace_days("fake:1", days, MSK)
                commits[0] += 1
                done.wait(0.002)
        finally:
            store.close()

    def runner() -> list[dict[str, Any]]:
        store = SqlStore(seeded)
        try:
            return [_report(store, build) for _ in range(RUNS)]
        finally:
            store.close()

    writing = threading.Thread(target=writer)
    writing.start()
    try:
        results = _in_threads(runner, runner)
    finally:
        done.set()
        writing.join(timeout=60)
    assert commits[0] > 0
    assert _failures(results) == []
    assert results == [[expected] * RUNS, [expected] * RUNS]


@pytest.mark.postgres
def test_rollups_another_writer_put_in_first__are_used(pg_url: str) -> None:
    """PostgreSQL: a writer that does not wait for the rollup lock (an older adapter, a
    manual fix) commits the same days' rollups between the report's delete and insert;
    the report's insert conflicts, and the report reads that writer's rows instead."""
    seeded = _seed(pg_url)
    expected = _alone(seeded, ad_channels)
    _report_into(seeded, ad_channels)
    theirs = _dump_rollups(seeded)
    _drop_rollups(seeded)
    other, report = SqlStore(seeded), SqlStore(seeded)
    conflicts: list[BaseException] = []
    fired = threading.Event()

    def hook(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if not fired.is_set() and statement.startswith("INSERT INTO report_rollup "):
            fired.set()
            with other.engine.begin() as their:
                for table, rows in theirs:
                    their.execute(table.insert(), rows)

    event.listen(report.engine, "before_cursor_execute", hook)
    event.listen(
        report.engine, "handle_error", lambda ctx: conflicts.append(ctx.original_exception)
    )
    try:
        result = _report(report, ad_channels)
    finally:
        report.close()
        other.close()
    assert fired.is_set()
    assert [type(e).__name__ for e in conflicts] == ["UniqueViolation"]
    assert result == expected
    assert _dump_rollups(seeded) == theirs
