"""Reports from the cache vs from the provider; one year over 1,000,000 cached calls.

Part 1 (the targets): a SQLite cache with 1,000,000 calls (default: three
years of a large network, ~913 calls a day; `--one-year` puts all of them
into one year), clinic data to match (patients, appointments, visits, ad
channels and spend). Timed, median of `--repeat` runs: a one-year
ad-channels and admin-conversion report (<= 500 ms each) and one patient's
contact history over all time (<= 20 ms).

Part 2 (the ratio): the same reports over the same data computed two ways,
against a real mockpbx (`ad_campaign`-like traffic over `--provider-days`
days) through its UIS face: (a) fetching the whole period from the provider,
(b) from the cache after a sync. The table prints (a)/(b).

    python bench/bench_reports.py            # 1,000,000 calls; 120 provider days
    python bench/bench_reports.py --quick    # 50,000 calls; 20 provider days
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from adapter.clinic_data import parse_document
from adapter.config import Settings
from adapter.model import CallRecord, Direction
from adapter.reports import ReportContext, ad_channels, admin_conversion, contact_history
from adapter.reports.base import Report, period_of
from adapter.runtime import open_runtime
from adapter.store import SqlStore
from adapter.store.clinic import ClinicStore
from adapter.store.sql import row_dict
from adapter.sync import SyncOptions, run_once

MSK = ZoneInfo("Europe/Moscow")
CHANNELS = [
    {"key": "yandex_direct", "utm_source": "yandex", "utm_medium": "cpc",
     "utm_campaign": "implants_msk", "spend_per_day": 6000, "numbers": []},
    {"key": "google_ads", "utm_source": "google", "utm_medium": "cpc",
     "utm_campaign": "veneers", "spend_per_day": 3500, "numbers": []},
    {"key": "vk", "utm_source": "vk", "utm_medium": "social",
     "utm_campaign": "whitening_promo", "spend_per_day": 1500, "numbers": []},
    {"key": "billboard", "utm_source": "billboard", "utm_medium": "offline",
     "utm_campaign": "tverskaya", "spend_per_day": 4000, "numbers": ["74950000001"]},
]  # fmt: skip
ADMINS = [str(i) for i in range(1, 21)]


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    async def now(self) -> datetime:
        return self._now

    async def sleep_until(self, when: datetime) -> None:  # pragma: no cover - unused
        return None


# -- part 1: a big synthetic cache -----------------------------------------------------
def _calls(n: int, first: date, days: int, phones: list[str]) -> list[CallRecord]:
    rnd = random.Random(1)
    base = datetime.combine(first, datetime.min.time(), MSK).timestamp()
    step = days * 86400 / n
    out = []
    for i in range(n):
        started = datetime.fromtimestamp(base + i * step, MSK)
        ch = rnd.random()
        tags = CHANNELS[int(ch * 6)] if ch < 4 / 6 else None
        answered = rnd.random() < 0.85
        direction = Direction.OUT if rnd.random() < 0.1 else Direction.IN
        out.append(
            CallRecord(
                provider="uis", provider_call_id=str(i), account="uis:1", started_at=started,
                direction=direction, contact_number=phones[int(rnd.random() * len(phones))],
                virtual_number="+74950000001" if tags is CHANNELS[3] else "+74950000009",
                answered=answered, wait_seconds=int(rnd.random() * 30),
                talk_seconds=int(rnd.random() * 300) if answered else 0,
                employee_id=rnd.choice(ADMINS) if answered else None,
                utm_source=tags["utm_source"] if tags else None,
                utm_medium=tags["utm_medium"] if tags else None,
                utm_campaign=tags["utm_campaign"] if tags else None,
            )
        )  # fmt: skip
    return out


def _clinic(calls: list[CallRecord], phones: list[str], first: date, days: int) -> dict[str, Any]:
    rnd = random.Random(2)
    patients = [{"id": f"p{i}", "name": f"Patient {i}", "phone": p[1:], "since": None,
                 "prior": {"visits": 3, "completed": 2, "sum": 9000, "last_visit": "2020-01-01"}}
                for i, p in enumerate(phones[: len(phones) // 3])]  # fmt: skip
    appointments, visits = [], []
    for c in calls:
        if c.direction is Direction.IN and c.answered and rnd.random() < 0.06:
            pid = f"n{c.provider_call_id}"
            booked = c.started_at + timedelta(minutes=3)
            patients.append({"id": pid, "name": pid, "phone": c.contact_number[1:],
                             "since": booked.date().isoformat(), "prior": None})  # fmt: skip
            planned = (booked + timedelta(days=3)).isoformat()
            appointments.append({"id": pid, "patient_id": pid, "administrator_id": c.employee_id,
                                 "booked_at": booked.isoformat(), "call_id": c.provider_call_id,
                                 "planned_at": planned})  # fmt: skip
            if rnd.random() < 0.7:
                visits.append({"id": "v" + pid, "patient_id": pid, "appointment_id": pid,
                               "start": (booked + timedelta(days=3)).isoformat(),
                               "sum": 5000, "completed": True})  # fmt: skip
    spend = [{"date": (first + timedelta(days=d)).isoformat(), "channel": ch["key"],
              "amount": ch["spend_per_day"]} for d in range(days) for ch in CHANNELS]  # fmt: skip
    admins = [{"id": a, "name": f"Admin {a}", "sip_lines": [a]} for a in ADMINS]
    return {"timezone": "Europe/Moscow", "administrators": admins, "doctors": [],
            "channels": CHANNELS, "ad_spend": spend, "patients": patients,
            "appointments": appointments, "visits": visits, "comments": []}  # fmt: skip


def _bulk_load(path: Path, calls: list[CallRecord]) -> None:
    """Insert the calls with the indexes dropped and rebuilt (a fixture, not the sync path),
    and stamp their days in `call_days` as the store's writes do."""
    loaded = int(time.time())
    db = sqlite3.connect(path)
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'calls' "
        "AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in indexes:
        db.execute(f"DROP INDEX {name}")
    columns = list(row_dict(calls[0], MSK, loaded))
    marks = ", ".join("?" * len(columns))
    sql = f"INSERT INTO calls ({', '.join(columns)}) VALUES ({marks})"
    for i in range(0, len(calls), 50_000):
        rows = [tuple(row_dict(c, MSK, loaded).values()) for c in calls[i : i + 50_000]]
        db.executemany(sql, rows)
    for _, create in indexes:
        db.execute(create)
    # what SqlStore.replace_day does per day: a change stamp the report rollups compare
    db.execute(
        "INSERT OR REPLACE INTO call_days (local_date, stamp) "
        "SELECT DISTINCT local_date, 'bulk' FROM calls"
    )
    db.commit()
    db.execute("ANALYZE")
    db.close()


def build_cache(path: Path, n: int, days: int) -> tuple[SqlStore, date, str]:
    first = date(2023, 1, 1)
    phones = [f"+7916{i:07d}" for i in range(max(1000, n // 5))]
    store = SqlStore(f"sqlite:///{path}")
    started = time.perf_counter()
    calls = _calls(n, first, days, phones)
    store.engine.dispose()
    _bulk_load(path, calls)
    ClinicStore(store.engine).replace(parse_document(_clinic(calls, phones, first, days)))
    print(f"  built {n:,} calls over {days} days in {time.perf_counter() - started:.1f} s")
    busiest = calls[len(calls) // 2].contact_number or phones[0]
    return store, first + timedelta(days=days), busiest


def median_ms(fn: Callable[[], Awaitable[Report]], repeat: int) -> tuple[float, float, Report]:
    """(first run ms: builds the daily rollups, median ms of the next runs, report)."""
    times, report = [], None
    for _ in range(repeat + 1):
        t = time.perf_counter()
        report = asyncio.run(fn())  # type: ignore[arg-type]
        times.append((time.perf_counter() - t) * 1000)
    assert report is not None
    return times[0], statistics.median(times[1:]), report


def part1(n: int, days: int, repeat: int) -> list[tuple[str, float, float, float, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        store, end, phone = build_cache(Path(tmp) / "cache.sqlite3", n, days)
        now = datetime.combine(end, datetime.min.time(), MSK) + timedelta(hours=12)
        ctx = ReportContext(store, FixedClock(now), None, MSK)
        year = period_of(end - timedelta(days=365), end - timedelta(days=1), MSK)
        ever = period_of(date(2000, 1, 1), end, MSK)
        rows = []
        for name, build, target in (
            ("ad-channels, 1 year", lambda: ad_channels(ctx, year), 500.0),
            ("admin-conversion, 1 year", lambda: admin_conversion(ctx, year), 500.0),
            ("contact history, 1 phone", lambda: contact_history(ctx, ever, phone=phone), 20.0),
        ):
            cold, ms, report = median_ms(build, repeat)
            size = f"{report.sources.cache_calls:,} calls, {len(report.rows)} rows"
            rows.append((name, cold, ms, target, size))
        store.close()
    return rows


# -- part 2: provider vs cache over the same mock data -----------------------------------
def part2(days: int, repeat: int) -> list[tuple[str, float, float]]:
    from mockpbx.scenarios.loader import load_scenario
    from mockpbx.testing import MockPBXServer

    scenario = load_scenario("ad_campaign").model_copy(update={"history_days": days})
    with MockPBXServer(scenario=scenario, seed=5) as pbx, tempfile.TemporaryDirectory() as tmp:
        pbx.clock.advance(3 * 3600)
        settings = Settings(provider="uis", store=f"sqlite:///{tmp}/c.sqlite3", mockpbx=pbx.url)
        doc = _truth(pbx.url)
        return asyncio.run(_compare(settings, doc, days, repeat))


def _truth(url: str) -> dict[str, Any]:
    import httpx

    return httpx.get(f"{url}/_mockpbx/truth/clinic", timeout=300).json()  # type: ignore[no-any-return]


async def _compare(
    settings: Settings, doc: dict[str, Any], days: int, repeat: int
) -> list[tuple[str, float, float]]:
    async with open_runtime(settings) as rt:
        store = rt.require_store()
        await run_once(rt.source, store, rt.clock, SyncOptions(backfill_days=days))
        ClinicStore(store.engine).replace(parse_document(doc))
        tz = (await rt.require_source().account()).timezone
        today = (await rt.clock.now()).astimezone(tz).date()
        period = period_of(today - timedelta(days=days), today - timedelta(days=1), tz)
        out = []
        for name, fn in (("ad-channels", ad_channels), ("admin-conversion", admin_conversion)):
            cached = ReportContext(store, rt.clock, rt.source, tz)
            live = ReportContext(store, rt.clock, rt.source, tz, use_cache=False)
            a = await _median(lambda c=live, f=fn: f(c, period), repeat)  # type: ignore[misc]
            await fn(cached, period)  # builds the rollups
            b = await _median(lambda c=cached, f=fn: f(c, period), repeat)  # type: ignore[misc]
            out.append((f"{name}, {days} days", a, b))
        return out


async def _median(fn: Callable[[], Awaitable[Report]], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="50,000 calls, 20 provider days")
    parser.add_argument("--calls", type=int, default=None)
    parser.add_argument("--one-year", action="store_true", help="all cached calls in one year")
    parser.add_argument("--provider-days", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n = args.calls or (50_000 if args.quick else 1_000_000)
    days = 365 if args.one_year else 3 * 365
    print(f"part 1: {n:,} cached calls over {days} days (SQLite)")
    print(
        f"  {'report':<28} {'cold ms':>9} {'warm ms':>9} {'target':>7} {'warm/target':>12}  period"
    )
    for name, cold, ms, target, size in part1(n, days, args.repeat):
        verdict = "ok" if ms <= target else "OVER"
        print(
            f"  {name:<28} {cold:>9.1f} {ms:>9.1f} {target:>7.0f} {ms / target:>12.2f}  "
            f"{size} [{verdict}]"
        )
    print("  cold: the first report after a sync builds the daily rollups; warm: the next ones")
    pdays = args.provider_days or (20 if args.quick else 120)
    print(f"part 2: provider (mock UIS over TCP) vs cache, same {pdays} days of ad_campaign")
    print(f"  {'report':<28} {'provider ms':>12} {'cache ms':>10} {'ratio':>8}  (cache: warm)")
    for name, a, b in part2(pdays, max(1, args.repeat // 2)):
        print(f"  {name:<28} {a:>12.1f} {b:>10.1f} {a / b:>7.1f}x")
    print(f"done at {datetime.now(UTC):%H:%M:%S} UTC")


if __name__ == "__main__":
    main()
