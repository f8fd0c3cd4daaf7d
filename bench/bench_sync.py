"""The sync job end to end: a year of a five-clinic network from the UIS face into the cache.

A mockpbx server runs in its own process (the `network_year` scenario cut to
its first five clinics, clock frozen, row cache big enough for the year);
each case runs in a fresh child process (so its peak RSS is its own) and
backfills N days with the real adapter: UIS client over loopback TCP -> sync job -> SQLite file or
PostgreSQL. The baseline is the same fetch with no store (`fetch only`),
measured in the same run; ratios are against it. A warm-up pass first lets
the mock generate and render every day, so each case sees the same server.

Each case runs `--repeat` times (default 3) and the table shows the median
run. Peak RSS is read at a quarter, half and the whole period: it must stay
flat over the second half.
`--mango` adds the same year through the Mango face, which is bound by Mango's
documented limit on `stats/calls/request` (one request per 2 s; the mock
enforces it), so its figure measures the provider, not the adapter.

    python bench/bench_sync.py            # 365 days, median of 3
    python bench/bench_sync.py --quick    # 30 days, one run (seconds)
    python bench/bench_sync.py --pg postgresql://postgres@127.0.0.1:5432/postgres
    python bench/bench_sync.py --mango    # + the Mango face (~90 s more)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET = {"sqlite": 20_000, "postgresql": 10_000}
ROW_CACHE = 512 * 1024 * 1024


# -- the mock ------------------------------------------------------------------------------
def five_clinic_scenario(path: Path, days: int) -> Path:
    from mockpbx.scenarios.loader import load_scenario

    sc = load_scenario("network_year")
    keep = {c.id for c in sc.clinics[:5]}
    data = sc.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["name"] = "network_five"
    data["history_days"] = days + 1
    data["clinics"] = [c for c in data["clinics"] if c["id"] in keep]
    for key in ("staff", "numbers", "routes", "scripted"):
        data[key] = [x for x in data.get(key, []) if x.get("clinic", 1) in keep]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_mock(scenario: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [str(Path(sys.executable).with_name("mockpbx")), "serve", "--port", str(port)]
    cmd += ["--clock-rate", "0", "--scenario", str(scenario)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/_mockpbx/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("mockpbx did not start")


# -- one case, in a child process ---------------------------------------------------------
async def child(mock: str, store: str | None, days: int, provider: str) -> dict[str, Any]:
    from adapter.config import Settings
    from adapter.runtime import open_runtime
    from adapter.sync import SyncOptions, midnight, run_once

    settings = Settings(provider=provider, mockpbx=mock, store=store or ":memory:", timeout=120)
    async with open_runtime(settings, need_store=store is not None) as rt:
        source = rt.require_source()
        started, cpu = time.perf_counter(), time.process_time()
        if store is None:  # fetch only: the client streams pages, nothing is kept
            account = await source.account()
            today = (await rt.clock.now()).astimezone(account.timezone).date()
            from datetime import timedelta

            start = midnight(today - timedelta(days=days), account.timezone)
            calls = 0
            async for page in source.history(start, midnight(today, account.timezone)):
                calls += len(page)
        else:
            report = await run_once(
                source, rt.require_store(), rt.clock, SyncOptions(backfill_days=days)
            )
            calls = report.calls
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"calls": calls, "seconds": seconds, "cpu": cpu, "rss_mb": peak_kb / 1024}


def run_case(mock: str, store: str | None, days: int, provider: str = "uis") -> dict[str, Any]:
    # The mock's UIS minute limit (250 requests) runs on its frozen virtual clock: a minute
    # passes between cases, so each case starts with a fresh minute (today stays today).
    httpx.post(f"{mock}/_mockpbx/clock", json={"advance_seconds": 61}, timeout=10)
    cmd = [sys.executable, __file__, "--child", mock, "--days", str(days), "--provider", provider]
    if store is not None:
        cmd += ["--store", store]
    server = psutil.Process(MOCK_PID[0]) if MOCK_PID else None
    before = sum(server.cpu_times()[:2]) if server else 0.0
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    result = dict(json.loads(out.stdout.strip().splitlines()[-1]))
    result["mock_cpu"] = sum(server.cpu_times()[:2]) - before if server else 0.0
    return result


MOCK_PID: list[int] = []  # the mock's process, for its CPU time per case


StoreFactory = Callable[[], AbstractContextManager[str | None]]


@contextlib.contextmanager
def no_store() -> Iterator[None]:
    yield None


def median_run(
    repeat: int, mock: str, days: int, store: StoreFactory = no_store, provider: str = "uis"
) -> dict[str, Any]:
    """The median of `repeat` runs (by seconds), each into a fresh empty store, with the
    highest peak RSS of them all and every run's calls/s."""
    runs = []
    for _ in range(repeat):
        with store() as url:
            runs.append(run_case(mock, url, days, provider))
    runs.sort(key=lambda r: r["seconds"])
    middle = dict(runs[len(runs) // 2])
    middle["rss_mb"] = max(r["rss_mb"] for r in runs)
    middle["runs"] = [round(r["calls"] / r["seconds"]) for r in runs]
    return middle


def sqlite_store(path: Path) -> StoreFactory:
    @contextlib.contextmanager
    def fresh() -> Iterator[str]:
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)

    return fresh


# -- PostgreSQL -----------------------------------------------------------------------------
def pg_store(admin: str) -> StoreFactory | None:
    """A fresh database per run (dropped after it), or None without a server."""
    import psycopg

    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3):
            pass
    except psycopg.Error as exc:
        print(f"(PostgreSQL skipped: {exc})")
        return None

    @contextlib.contextmanager
    def fresh() -> Iterator[str]:
        name = f"bench_sync_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin.rsplit("/", 1)[0] + "/" + name
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return fresh


# -- the table --------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="30 days instead of 365")
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--pg", default=DEFAULT_PG, help="admin DSN ('' to skip PostgreSQL)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per case (median)")
    parser.add_argument("--mango", action="store_true", help="also sync through the Mango face")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--store", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--provider", default="uis", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = asyncio.run(child(args.child, args.store, args.days, args.provider))
        print(json.dumps(result))
        return
    days = args.days or (30 if args.quick else 365)
    repeat = max(1, args.repeat or (1 if args.quick else 3))
    with tempfile.TemporaryDirectory(prefix="bench_sync_") as tmp:
        scenario = five_clinic_scenario(Path(tmp) / "network_five.yaml", days)
        mock, url = start_mock(scenario)
        MOCK_PID.append(mock.pid)
        # Room for every rendered row of the period (the default 64 MiB holds about half
        # a year of these five clinics): warmed up, the mock serves every case the same.
        options = {"row_cache_bytes": ROW_CACHE}
        httpx.post(f"{url}/_mockpbx/uis/options", json=options, timeout=10).raise_for_status()
        try:
            rows = cases(url, Path(tmp), days, repeat, args.pg, args.mango)
        finally:
            mock.terminate()
            mock.wait(timeout=30)
    report(rows, days, repeat)


def cases(
    url: str, tmp: Path, days: int, repeat: int, pg_admin: str, mango: bool
) -> list[tuple[str, dict[str, Any]]]:
    print(f"warming the mock up: {days} days of five clinics ...", flush=True)
    run_case(url, None, days)
    rows = [(f"fetch only, {days} d (baseline)", median_run(repeat, url, days))]
    sqlite = sqlite_store(tmp / "cache.sqlite3")
    for part in sorted({max(7, days // 4), max(7, days // 2), days}):
        print(f"sqlite, {part} d ...", flush=True)
        rows.append((f"sqlite, {part} d", median_run(repeat, url, part, sqlite)))
    pg = pg_store(pg_admin) if pg_admin else None
    if pg is not None:
        print(f"postgresql, {days} d ...", flush=True)
        rows.append((f"postgresql, {days} d", median_run(repeat, url, days, pg)))
    if mango:
        print(f"mango -> sqlite, {days} d (paced by Mango's limits) ...", flush=True)
        rows.append((f"mango -> sqlite, {days} d", median_run(1, url, days, sqlite, "mango")))
    return rows


def report(rows: list[tuple[str, dict[str, Any]]], days: int, repeat: int) -> None:
    base = rows[0][1]["calls"] / rows[0][1]["seconds"]
    print()
    print(f"median of {repeat} run(s) per case; ratio = calls/s against the fetch-only baseline")
    print("CPU seconds of the median run: the adapter's process, and the mock's (same 2 cores)")
    head = f"{'case':<32}{'calls':>10}{'seconds':>10}{'calls/s':>10}{'ratio':>8}"
    print(f"{head}{'adapter CPU':>13}{'mock CPU':>10}{'peak RSS MB':>13}  runs (calls/s)")
    for name, r in rows:
        rate = r["calls"] / r["seconds"]
        runs = ", ".join(f"{x:,}" for x in r.get("runs", []))
        print(
            f"{name:<32}{r['calls']:>10,}{r['seconds']:>10.2f}{rate:>10,.0f}"
            f"{rate / base:>8.2f}{r['cpu']:>13.2f}{r['mock_cpu']:>10.2f}"
            f"{r['rss_mb']:>13.0f}  {runs}"
        )
    print()
    for name, r in rows:
        kind = name.split(",")[0]
        if kind in TARGET and name.endswith(f"{days} d"):
            rate = r["calls"] / r["seconds"]
            verdict = "ok" if rate >= TARGET[kind] else "BELOW TARGET"
            print(f"{kind}: {rate:,.0f} calls/s (target >= {TARGET[kind]:,}) {verdict}")
    sqlite_rows = [(n, r) for n, r in rows if n.startswith("sqlite")]
    if len(sqlite_rows) >= 2:
        peak = max(r["rss_mb"] for _, r in sqlite_rows)
        (half_name, half), (_, full) = sqlite_rows[-2], sqlite_rows[-1]
        grow = full["rss_mb"] - half["rss_mb"]
        print(
            f"peak RSS {peak:.0f} MB (target <= 300); "
            f"{half_name.split(', ')[1]} -> {days} d: {grow:+.0f} MB"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    main()
