"""Calls that reach history days late are cached, over real TCP against a running mockpbx.

The `late_rows` fault hides half the calls that ended yesterday for two days
and a quarter. Runs today and tomorrow cache yesterday without them; a run on
the day after tomorrow starts, by the floor rule, from today (the last cached
call's day) and would never see them again: the trailing re-read window
finds them, counts them as late arrivals, and `status` shows the count.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from click.testing import CliRunner

from adapter.cli import main
from adapter.runtime import open_runtime
from adapter.store import SqlStore
from adapter.sync import SyncOptions, run_once
from mockpbx.testing import MockPBXServer
from tests.e2e.test_sync import (
    MSK,
    PROVIDERS,
    cached,
    control,
    settings,
    truth,
    without_mango_quota,
)

pytestmark = pytest.mark.slow
LATE = timedelta(days=2, hours=6)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.mockpbx(seed=11)
async def test_calls_more_than_a_day_late__are_cached_and_counted(
    mockpbx: MockPBXServer, provider: str, tmp_path: object
) -> None:
    without_mango_quota(mockpbx, provider)
    store_url = f"sqlite:///{tmp_path}/cache.sqlite3"
    today = mockpbx.clock.now().astimezone(MSK).date()
    yesterday = today - timedelta(days=1)
    window = {
        "from": datetime.combine(yesterday, time(0), MSK).isoformat(),
        "to": datetime.combine(today, time(0), MSK).isoformat(),
    }
    control(
        mockpbx,
        "POST",
        "faults",
        {
            "face": "*",
            "kind": "late_rows",
            "delay_seconds": LATE.total_seconds(),
            "probability": 0.5,
            "window": window,
        },
    )
    day = (yesterday, today)
    async with open_runtime(settings(mockpbx, provider, store_url, page_size=None)) as rt:
        source, store = rt.require_source(), rt.require_store()
        await run_once(source, store, rt.clock, SyncOptions(backfill_days=3))
        before = cached(store_url, *day)
        mockpbx.clock.set(datetime.combine(today + timedelta(days=1), time(8), MSK))
        await run_once(source, store, rt.clock, SyncOptions(backfill_days=3))
        last_call = store.last_call_at(source_key := (await source.account()).key)
        assert last_call is not None
        assert last_call.astimezone(MSK).date() == today, "the floor has moved past yesterday"
        mockpbx.clock.set(datetime.combine(today + timedelta(days=2), time(8), MSK))
        report = await run_once(source, store, rt.clock, SyncOptions(backfill_days=3))
    assert report.date_from == yesterday
    after = cached(store_url, *day)
    assert after == truth(mockpbx, provider, *day)
    late = set(after) - set(before)
    assert len(late) >= 3, "the fault hid a good part of yesterday"
    assert report.late_calls == len(late)
    state = SqlStore(store_url)
    try:
        account = state.state(source_key)
        assert account is not None
        assert account.late_calls == len(late)
    finally:
        state.close()
    status = CliRunner().invoke(main, ["status", "--store", store_url])
    assert f"late arrivals {len(late)}" in status.output
