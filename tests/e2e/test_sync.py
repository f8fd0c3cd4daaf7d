"""The sync job end to end: the adapter over real TCP against a running mockpbx.

For UIS and Mango alike: a week of clinic_day traffic driven by the mock's
virtual clock with faults injected, then a clean run, leaves the cache equal
to the provider's history for every closed day; a sync killed mid-run and run
again gives the same; calls straddling midnight and late rows are cached.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from click.testing import CliRunner

from adapter.cli import main
from adapter.config import Settings
from adapter.mockpbx_plane import MockClock
from adapter.runtime import open_runtime
from adapter.store import SqlStore
from adapter.sync import SyncOptions, run_forever, run_once
from mockpbx.scenarios.loader import load_scenario
from mockpbx.testing import MockPBXServer

MSK = ZoneInfo("Europe/Moscow")
PROVIDERS = ["uis", "mango"]
HISTORY_METHOD = {"uis": "get.calls_report", "mango": "*"}
PAGE = {"uis": 100, "mango": 100}
pytestmark = pytest.mark.slow


# -- helpers ---------------------------------------------------------------------------
class SteppingClock(MockClock):
    """The mock's clock, moved forward by the daemon itself: a week of runs in seconds."""

    async def sleep_until(self, when: datetime) -> None:
        response = await self._http.post(self._url, json={"set": when.isoformat()})
        response.raise_for_status()


def control(pbx: MockPBXServer, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(method, f"{pbx.url}/_mockpbx/{path}", json=body, timeout=30)
    assert response.status_code < 300, response.text
    return response.json()


def fault(pbx: MockPBXServer, face: str, kind: str, **spec: Any) -> None:
    spec.setdefault("method", HISTORY_METHOD[face])
    control(pbx, "POST", "faults", {"face": face, "kind": kind, **spec})


def inject_week_of_faults(pbx: MockPBXServer, face: str, until: datetime) -> None:
    window = {"from": pbx.clock.now().isoformat(), "to": until.isoformat()}
    fault(pbx, face, "http_status", status=503, probability=0.12)
    fault(pbx, face, "reset", probability=0.05)
    fault(pbx, face, "truncate", probability=0.05)
    fault(pbx, face, "rate_limit", retry_after=1, probability=0.04)
    fault(pbx, face, "provider_error", probability=0.04)
    fault(pbx, face, "duplicate_rows", rows=3, probability=0.5)
    fault(pbx, face, "hang", seconds=5, count=1)
    fault(pbx, face, "expire_token", method="*", probability=0.03)
    fault(pbx, face, "late_rows", delay_seconds=1800, window=window)


def without_mango_quota(pbx: MockPBXServer, provider: str) -> None:
    """The face's real-time quota (stats/calls/request: 1 per 2 s) would make a simulated
    week take minutes of real time; 429 handling is still exercised by the rate_limit fault."""
    if provider == "mango":
        control(pbx, "POST", "mango/options", {"rate_limits": False})


def provider_id(call: dict[str, Any], provider: str) -> str:
    ids = call["ids"]
    return (
        str(ids["uis"]["call_session_id"]) if provider == "uis" else str(ids["mango"]["entry_id"])
    )


def truth(pbx: MockPBXServer, provider: str, first: date, end: date) -> list[str]:
    """Ids of the calls that started in [first, end) as the provider names them (all shown)."""
    body = control(pbx, "GET", f"truth/calls?from={first.isoformat()}&to={end.isoformat()}")
    hidden = [c["id"] for c in body["calls"] if not c["in_history"]]
    assert hidden == [], "every call of a closed day must be in history by now"
    return sorted(provider_id(c, provider) for c in body["calls"])


def cached(store_url: str, first: date, end: date) -> list[str]:
    store = SqlStore(store_url)
    try:
        lo, hi = (datetime(d.year, d.month, d.day, tzinfo=MSK) for d in (first, end))
        return sorted(r.provider_call_id for r in store.iter_calls(lo, hi))
    finally:
        store.close()


def settings(pbx: MockPBXServer, provider: str, store: str, **extra: Any) -> Settings:
    base: dict[str, Any] = {
        "provider": provider,
        "store": store,
        "mockpbx": pbx.url,
        "timeout": 1.0,
        "retries": 12,
        "backoff": 0.02,
        "backoff_max": 1.0,
        "page_size": PAGE[provider],
        "backfill_days": 3,
    }
    base.update(extra)
    return Settings(**base)


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/cache.sqlite3"


CLINIC_DAY = load_scenario("clinic_day")
MIDNIGHT = load_scenario("midnight")


# -- a week with faults ----------------------------------------------------------------
@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.mockpbx(scenario=CLINIC_DAY)
async def test_week_with_faults__cache_equals_history(
    mockpbx: MockPBXServer, provider: str, store_url: str
) -> None:
    """A daemon driven by the mock's clock survives a week of faults; a clean run completes it."""
    without_mango_quota(mockpbx, provider)
    start = mockpbx.clock.now()
    week_end = start + timedelta(days=7)
    inject_week_of_faults(mockpbx, provider, week_end)
    errors: list[BaseException] = []
    s = settings(mockpbx, provider, store_url)
    async with open_runtime(s) as rt:
        clock = SteppingClock(rt.http, mockpbx.url)
        runs = await run_forever(
            rt.require_source(),
            rt.require_store(),
            clock,
            SyncOptions(backfill_days=3),
            until=week_end,
            on_run=lambda report, error: errors.append(error) if error else None,
        )
        assert runs == 7 * 8
        control(mockpbx, "DELETE", "faults")
        mockpbx.clock.advance(3600)
        await run_once(rt.require_source(), rt.require_store(), clock, SyncOptions())
        hits = control(mockpbx, "GET", "journal?limit=1")["total"]
    first = start.astimezone(MSK).date() - timedelta(days=3)
    today = mockpbx.clock.now().astimezone(MSK).date()
    assert hits > runs
    assert cached(store_url, first, today) == truth(mockpbx, provider, first, today)
    assert all(n == 1 for n in Counter(cached(store_url, first, today)).values())


# -- killed mid-run --------------------------------------------------------------------
def cli_args(pbx: MockPBXServer, provider: str, store: str, *extra: str) -> list[str]:
    return [
        "sync",
        "--provider", provider,
        "--mockpbx", pbx.url,
        "--store", store,
        "--backfill-days", "20",
        "--page-size", str(PAGE[provider]),
        "--no-progress",
        *extra,
    ]  # fmt: skip


def rows(store_url: str) -> int:
    path = store_url.removeprefix("sqlite:///")
    if not Path(path).exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM calls").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # not migrated yet


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.mockpbx(seed=5)  # the default clinic: 30 days of history
def test_killed_sync__rerun_gives_the_same_cache(
    mockpbx: MockPBXServer, provider: str, store_url: str
) -> None:
    """SIGKILL in the middle of a backfill leaves whole days; the next run completes them."""
    without_mango_quota(mockpbx, provider)
    fault(mockpbx, provider, "latency", seconds=0.15)
    cmd = [sys.executable, "-m", "adapter.cli", *cli_args(mockpbx, provider, store_url)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while rows(store_url) == 0 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    today = mockpbx.clock.now().astimezone(MSK).date()
    first = today - timedelta(days=20)
    partial = cached(store_url, first, today)
    assert 0 < len(partial) < len(truth(mockpbx, provider, first, today)), "killed mid-run"
    _assert_whole_days(mockpbx, provider, store_url, first, today)
    control(mockpbx, "DELETE", "faults")
    result = CliRunner().invoke(main, cli_args(mockpbx, provider, store_url))
    assert result.exit_code == 0, result.output
    assert cached(store_url, first, today) == truth(mockpbx, provider, first, today)
    forget_client_disconnects(mockpbx)


def forget_client_disconnects(pbx: MockPBXServer) -> None:
    """A client killed mid-request is not a server bug, but the Mango face reports the
    read of the cut-off form as one (`ConnectionResetError` in `request.post()`)."""

    def keep(errors: list[str]) -> None:
        errors[:] = [e for e in errors if "ConnectionResetError: Connection lost" not in e]

    pbx.call(lambda state: keep(state.server_errors))


def _assert_whole_days(
    pbx: MockPBXServer, provider: str, store_url: str, first: date, end: date
) -> None:
    store = SqlStore(store_url)
    try:
        lo, hi = (datetime(d.year, d.month, d.day, tzinfo=MSK) for d in (first, end))
        per_day = Counter(r.started_at.astimezone(MSK).date() for r in store.iter_calls(lo, hi))
    finally:
        store.close()
    for day, count in per_day.items():
        assert count == len(truth(pbx, provider, day, day + timedelta(days=1))), day


# -- midnight and late rows ------------------------------------------------------------
@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.mockpbx(scenario=MIDNIGHT, start=None)  # the scenario's own start: 23:30
async def test_calls_across_midnight_and_late_rows__are_cached(
    mockpbx: MockPBXServer, provider: str, store_url: str
) -> None:
    """A run at 00:10 misses the 23:55 call (ends 00:10, shows at 00:40); the next run gets it."""
    without_mango_quota(mockpbx, provider)
    start = mockpbx.clock.now().astimezone(MSK)
    assert (start.hour, start.minute) == (23, 30)
    day = start.date()
    s = settings(mockpbx, provider, store_url, page_size=None, backfill_days=2)
    async with open_runtime(s) as rt:
        source, store = rt.require_source(), rt.require_store()
        mockpbx.clock.advance(40 * 60)
        early_run = mockpbx.clock.now()
        await run_once(source, store, rt.clock)
        early = cached(store_url, day, day + timedelta(days=1))
        mockpbx.clock.advance(3 * 3600)  # 03:10
        await run_once(source, store, rt.clock)
    late = cached(store_url, day, day + timedelta(days=1))
    body = control(mockpbx, "GET", f"truth/calls?from={day}&to={day + timedelta(days=1)}")
    straddling = [c for c in body["calls"] if datetime.fromisoformat(c["end"]).date() > day]
    pending = [
        provider_id(c, provider)
        for c in body["calls"]
        if datetime.fromisoformat(c["history_visible_at"]) > early_run
    ]
    assert len(straddling) >= 2, "the scenario has calls across midnight"
    assert pending, "and rows that show up in history late"
    assert not set(pending) & set(early)
    assert {provider_id(c, provider) for c in straddling} <= set(late)
    assert set(pending) <= set(late)
    assert late == truth(mockpbx, provider, day, day + timedelta(days=1))


# -- the CLI: daemon on the mock's running clock, status, export -----------------------
@pytest.mark.mockpbx(scenario=CLINIC_DAY)
def test_cli_daemon__follows_the_mocks_clock(mockpbx: MockPBXServer, store_url: str) -> None:
    """`sync --every 3h` wakes every 3 virtual hours of a clock running 10800x (1 s each)."""
    mockpbx.clock.set_rate(10800)
    args = cli_args(mockpbx, "uis", store_url, "--every", "3h", "--max-runs", "3")
    args[args.index("--backfill-days") + 1] = "2"
    started = mockpbx.clock.now()
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert mockpbx.clock.now() - started >= timedelta(hours=6)
    status = CliRunner().invoke(main, ["status", "--store", store_url, "--format", "json"])
    assert status.exit_code == 0, status.output
    assert '"runs": 3' in status.output


@pytest.mark.mockpbx(scenario=CLINIC_DAY)
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_cli_export__writes_the_cached_calls(
    mockpbx: MockPBXServer, store_url: str, tmp_path: Path, fmt: str
) -> None:
    args = cli_args(mockpbx, "uis", store_url)
    args[args.index("--backfill-days") + 1] = "3"
    assert CliRunner().invoke(main, args).exit_code == 0
    today = mockpbx.clock.now().astimezone(MSK).date()
    out = tmp_path / f"calls.{fmt}"
    result = CliRunner().invoke(
        main,
        [
            "export", "--store", store_url, "--format", fmt, "-o", str(out),
            "--from", str(today - timedelta(days=3)), "--to", str(today - timedelta(days=1)),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    expected = truth(mockpbx, "uis", today - timedelta(days=3), today)
    header = 1 if fmt == "csv" else 0
    assert len(lines) - header == len(expected)
    assert "provider_call_id" in (lines[0] if fmt == "csv" else lines[1])
    assert "started_at" in (lines[0] if fmt == "csv" else lines[1])


@pytest.mark.postgres
@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.mockpbx(scenario=CLINIC_DAY)
def test_cli_sync_into_postgresql__equals_history(
    mockpbx: MockPBXServer, provider: str, pg_url: str
) -> None:
    without_mango_quota(mockpbx, provider)
    args = cli_args(mockpbx, provider, pg_url)
    args[args.index("--backfill-days") + 1] = "3"
    for _ in range(2):  # the second run re-loads the last day: same result
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
    today = mockpbx.clock.now().astimezone(MSK).date()
    first = today - timedelta(days=3)
    assert cached(pg_url, first, today) == truth(mockpbx, provider, first, today)


def test_cli__missing_setting_is_named(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["sync", "--provider", "uis", "--store", f"sqlite:///{tmp_path}/c.db"], env={}
    )
    assert result.exit_code == 2
    assert "uis_data_api_url" in result.output
