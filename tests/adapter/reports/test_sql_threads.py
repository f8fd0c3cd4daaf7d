"""No SQL on the event loop: reports, the live window and the dialer read the store in threads.

Beside them on the loop may run the Mango events receiver, which must answer
the PBX at once. A SQLAlchemy hook on every engine records, for each
statement, whether the thread that runs it is running an event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, event

from adapter.cli.live import _pick
from adapter.cli.report import run_report
from adapter.clinic_data import parse_document
from adapter.config import Settings
from adapter.dialer import dial
from adapter.live import snapshot
from adapter.model import Direction, LiveCall, LiveState
from adapter.providers.base import AccountInfo, CallbackRequest, CallbackResult, Capability
from adapter.reports import ReportContext, ad_channels, admin_conversion, contact_history
from adapter.reports.base import period_of
from adapter.reports.contact_history import history_start
from adapter.runtime import open_runtime
from adapter.store import SqlStore
from adapter.store.clinic import ClinicStore

from .test_reports_unit import CACHED, DOC, MSK, NOW, TODAY, TODAYS, FakeSource, FixedClock


class SqlSpy:
    """Every statement run while installed, with whether its thread runs an event loop."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, bool]] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            on_loop = False
        else:
            on_loop = True
        self.statements.append((statement, on_loop))

    @property
    def on_loop(self) -> list[str]:
        return [s for s, on in self.statements if on]


@contextmanager
def sql_spy() -> Iterator[SqlSpy]:
    spy = SqlSpy()
    event.listen(Engine, "before_cursor_execute", spy)
    try:
        yield spy
    finally:
        event.remove(Engine, "before_cursor_execute", spy)


class LiveSource:
    """A UIS-like provider: current calls, and a callback that records what it was asked."""

    name = "uis"
    capabilities = frozenset({Capability.CURRENT_CALLS, Capability.CALLBACK})
    max_window = timedelta(days=1)

    def __init__(self) -> None:
        self.asked: list[CallbackRequest] = []

    async def account(self) -> AccountInfo:
        return AccountInfo("uis:1", "Fake", MSK)

    async def current_calls(self) -> list[LiveCall]:
        return [
            LiveCall(
                provider="fake",
                provider_call_id=f"l{n}",
                started_at=NOW - timedelta(seconds=30 + n),
                direction=Direction.IN,
                state=LiveState.TALKING,
                contact_number=phone,
                sip_line=line,
            )
            for n, (phone, line) in enumerate(
                (("+79160000001", "101"), ("+79160000002", "101"), ("+79169999999", "102"))
            )
        ]

    async def callback(self, request: CallbackRequest) -> CallbackResult:
        self.asked.append(request)
        return CallbackResult("uis", "cb-1")


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    """The reports' data (tests/adapter/reports/test_reports_unit.py) in SQLite and PostgreSQL."""
    out = SqlStore(store_url)
    out.upsert(CACHED, MSK)
    data = parse_document(orjson.loads(orjson.dumps(DOC)), provider="fake")
    ClinicStore(out.engine).replace(data)
    yield out
    out.close()


async def test_reports_live_window_and_dialer__run_no_sql_on_the_loop(store: SqlStore) -> None:
    """The three reports, the live window and a callback, side by side: SQL only in threads."""
    period = period_of(TODAY - timedelta(days=2), TODAY, MSK)
    clinic, source = ClinicStore(store.engine), LiveSource()

    def ctx() -> ReportContext:  # no timezone given: read from the store
        return ReportContext(store, FixedClock(), FakeSource(TODAYS))

    async def window() -> list[Any]:
        station = await asyncio.to_thread(_pick, "Anna", None, clinic)
        return await snapshot(source, clinic, station, NOW)

    async def reports() -> list[Any]:  # one after the other, as `pbx-adapter report` runs them
        return [
            await contact_history(ctx(), period),
            await contact_history(ctx(), period, patient="new1"),
            await admin_conversion(ctx(), period),
            await ad_channels(ctx(), period),
            await history_start(ctx(), TODAY),
        ]

    with sql_spy() as spy:
        built, rows, dialed = await asyncio.gather(
            reports(),
            window(),
            dial(source, "+79160000002", employee_id="1", cache=store, now=NOW),
        )
    assert len(spy.statements) > 20  # the hook saw the reports' SQL
    assert spy.on_loop == []
    history, one, _, channels, _ = built
    assert (history.totals["calls"], one.totals["calls"]) == (8, 2)
    assert any(r["calls"] for r in channels.rows)
    assert [r.card.full_name for r in rows] == ["New One", "Base Patient"]  # Anna's line 101
    assert dialed.started
    assert source.asked[0].virtual_number == "+74950000000"  # from the cached calls


async def test_commands__open_the_store_and_report_off_the_loop(tmp_path: Path) -> None:
    """`pbx-adapter report` without a provider: opening (migrating) the store and the report."""
    settings = Settings(store=f"sqlite:///{tmp_path}/cache.sqlite3")

    async def build(ctx: ReportContext, period: Any) -> Any:
        return await contact_history(ctx, period)

    with sql_spy() as spy:
        report = await run_report(settings, build, TODAY, TODAY, default_days=1)
        async with open_runtime(settings, need_source=False) as rt:
            live = await snapshot(LiveSource(), ClinicStore(rt.require_store().engine), None, NOW)
    assert any("alembic_version" in s or "adapter_schema" in s for s, _ in spy.statements)
    assert spy.on_loop == []
    assert report.totals["calls"] == 0
    assert [r.card.new_caller for r in live] == [True, True, True]


async def test_the_hook__sees_sql_on_the_loop(store: SqlStore) -> None:
    """The spy is not blind: a store call made on the loop thread is reported."""
    with sql_spy() as spy:
        store.states()
        await asyncio.to_thread(store.states)
    assert len(spy.on_loop) == 1
    assert len(spy.statements) == 2
