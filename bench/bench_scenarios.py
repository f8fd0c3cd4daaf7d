"""Scenarios: generation speed, a cold first page, a whole simulated day, reset.

Each figure is measured in this run next to a baseline measured in the same run:

    generation     network_year history (10 clinics): calls generated per second by
                   the engine, vs the foundation engine (git bb4c3fe) and vs the engine
                   before the hot-loop rewrite (git 1f31442, same calls byte for byte) on
                   the same scenario; per CPU second (what other processes on a shared
                   machine can't take), per wall second, and per CPU second in the best
                   block of 20 days (CPU time still swells with the machine's load)
    first page     a fresh server on network_year: the first get.calls_report page
                   (limit 1000, all fields) of a random day over HTTP, cold (the day is
                   generated on the way), vs the same request once the day is warm
    clinic_day     clinic_day at clock rate 0 from 00:00, advanced minute by minute
                   through 24 h, reading every call event (calls_since) on the way, vs
                   just generating the day
    reset          POST-free state.reset() of a server, vs building the state from scratch

    python bench/bench_scenarios.py            # a full year of network_year
    python bench/bench_scenarios.py --quick    # 60 days, fewer repetitions (seconds)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import importlib.util
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import orjson
from aiohttp.test_utils import TestServer

from mockpbx.app import create_app, create_state
from mockpbx.scenarios import engine as engine_mod
from mockpbx.scenarios.engine import Engine, build_world
from mockpbx.scenarios.loader import load_scenario

MSK = ZoneInfo("Europe/Moscow")
START = datetime(2026, 5, 14, 10, 30, tzinfo=MSK)
ROOT = Path(__file__).resolve().parent.parent


def _row(name: str, value: float, unit: str, base: float, base_name: str, goal: str) -> None:
    ratio = value / base if base else float("nan")
    print(f"| {name:34} | {value:12,.1f} {unit:8} | {base:12,.1f} ({base_name:22}) | "
          f"{ratio:6.2f}x | {goal:12} |")  # fmt: skip


def _header() -> None:
    print(f"| {'measure':34} | {'value':21} | {'baseline':37} | {'ratio':7} | {'goal':12} |")
    print(f"|{'-' * 36}|{'-' * 23}|{'-' * 39}|{'-' * 9}|{'-' * 14}|")


# -- generation ---------------------------------------------------------------------------
def _old_engine() -> Any:
    """The foundation's engine (commit bb4c3fe), loaded from git as the baseline."""
    source = subprocess.run(
        ["git", "show", "bb4c3fe:mockpbx/scenarios/engine.py"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    path = Path(tempfile.mkdtemp()) / "old_engine.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("old_engine", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_engine"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


BLOCK = 20  # days per block for the best-block rate


PREVIOUS = "1f31442"  # the engine before the hot-loop rewrite (same calls, byte for byte)
_SPLIT = ("engine", "daygen", "fastcalls")  # the modules the engine was split into


def _previous_engine() -> Any:
    """The engine as of PREVIOUS (engine + daygen + fastcalls), loaded from git as a baseline."""
    folder = Path(tempfile.mkdtemp()) / "prev_scenarios"
    folder.mkdir()
    for name in _SPLIT:
        source = subprocess.run(
            ["git", "show", f"{PREVIOUS}:mockpbx/scenarios/{name}.py"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        for other in _SPLIT:
            source = source.replace(f"mockpbx.scenarios.{other}", f"prev_scenarios.{other}")
        (folder / f"{name}.py").write_text(source, encoding="utf-8")
    (folder / "__init__.py").write_text("", encoding="utf-8")
    sys.path.insert(0, str(folder.parent))
    try:
        return importlib.import_module("prev_scenarios.engine")
    finally:
        sys.path.remove(str(folder.parent))


Rates = tuple[float, float, float]  # calls per CPU second, per wall second, best block


def _rates(makers: list[Callable[[date], list[Any]]], days: int) -> list[Rates]:
    """Each engine's (calls per CPU second, per wall second, per CPU second in its best block).

    The engines take turns block by block (`BLOCK` days each, the order
    rotating), so a shift in the machine's load or a growing heap hits them
    alike. CPU time is what other load can't take, mostly: on a shared machine
    it still swells with the others' load (shared caches and cores), hence the
    best block too, the usual min-time estimate.
    """
    first = START.date() - timedelta(days=days)
    kept: list[list[Any]] = []  # the store keeps every day, so GC sees them all
    blocks: list[list[tuple[int, float, float]]] = [[] for _ in makers]  # calls, CPU, wall
    for b, start in enumerate(range(0, days, BLOCK)):
        for k in range(len(makers)):
            e = (b + k) % len(makers)
            n, cpu, wall = 0, time.process_time(), time.perf_counter()
            for i in range(start, min(start + BLOCK, days)):
                calls = makers[e](first + timedelta(days=i))
                n += len(calls)
                kept.append(calls)
            blocks[e].append((n, time.process_time() - cpu, time.perf_counter() - wall))
    out = []
    for runs in blocks:
        n = sum(r[0] for r in runs)
        best = max(r[0] / max(r[1], 1e-9) for r in runs)
        out.append((n / sum(r[1] for r in runs), n / sum(r[2] for r in runs), best))
    return out


def bench_generation(days: int) -> None:
    sc = load_scenario("network_year")
    new = Engine(sc, 1)
    old = _old_engine().Engine(sc, 1)
    prev = _previous_engine().Engine(sc, 1)
    check = START.date() - timedelta(days=days + 1)  # a day outside the timed ones
    if [repr(c) for c in prev.day(check)] != [repr(c) for c in Engine(sc, 1).day(check)]:
        raise SystemExit(f"the engine no longer generates the calls the engine at {PREVIOUS} did")
    gc.collect()
    rates = _rates([new.day, prev.day, old.day], days)
    (new_cpu, new_wall, new_best), (prev_cpu, prev_wall, prev_best) = rates[0], rates[1]
    old_cpu, old_wall, old_best = rates[2]
    _row(f"generation, {days} d x 10 clinics, CPU", new_cpu, "calls/s", old_cpu,
         "foundation engine", ">= 100,000")  # fmt: skip
    _row(f"generation, {days} d x 10 clinics, wall", new_wall, "calls/s", old_wall,
         "foundation engine", ">= 100,000")  # fmt: skip
    _row(f"generation, best {BLOCK} d block, CPU", new_best, "calls/s", old_best,
         "foundation engine", ">= 100,000")  # fmt: skip
    _row(f"generation, {days} d, CPU, vs previous", new_cpu, "calls/s", prev_cpu,
         f"engine at {PREVIOUS}", ">= 100,000")  # fmt: skip
    _row(f"generation, {days} d, wall, vs previous", new_wall, "calls/s", prev_wall,
         f"engine at {PREVIOUS}", ">= 100,000")  # fmt: skip
    _row(f"generation, best {BLOCK} d block, vs previous", new_best, "calls/s", prev_best,
         f"engine at {PREVIOUS}", ">= 100,000")  # fmt: skip


# -- first page on a cold server --------------------------------------------------------------
async def _first_page(day: date) -> tuple[float, float, float, int]:
    """(cold wall ms, cold CPU ms, warm wall ms, rows) of one fresh server."""
    state = create_state(seed=1, start=START, scenario=load_scenario("network_year"))
    server = TestServer(create_app(state))
    await server.start_server()
    url = str(server.make_url("/uis/dataapi/v2.0"))
    body = {"jsonrpc": "2.0", "id": 1, "method": "get.calls_report", "params": {
        "access_token": state.credentials.uis_access_token, "limit": 1000,
        "date_from": f"{day} 00:00:00", "date_till": f"{day} 23:59:59"}}  # fmt: skip
    try:
        async with aiohttp.ClientSession() as session:

            async def once() -> tuple[float, float, int]:
                cpu, wall = time.process_time(), time.perf_counter()
                async with session.post(url, data=orjson.dumps(body)) as resp:
                    data = orjson.loads(await resp.read())
                spent = time.perf_counter() - wall, time.process_time() - cpu
                return spent[0], spent[1], len(data["result"]["data"])

            cold, cold_cpu, rows = await once()
            warm = min([(await once())[0] for _ in range(5)])
    finally:
        await server.close()
    return cold * 1000, cold_cpu * 1000, warm * 1000, rows


def bench_first_page(samples: int) -> None:
    rnd = random.Random(7)
    colds, cpus, warms, rows = [], [], [], 0
    for _ in range(samples):
        day = START.date() - timedelta(days=rnd.randrange(1, 365))
        cold, cpu, warm, rows = asyncio.run(_first_page(day))
        colds.append(cold)
        cpus.append(cpu)
        warms.append(warm)
    _row(f"first page cold, wall (median of {samples})", statistics.median(colds), "ms",
         statistics.median(warms), f"warm page, {rows} rows", "< 50 ms")  # fmt: skip
    _row("first page cold, CPU (median)", statistics.median(cpus), "ms",
         statistics.median(warms), "warm page, wall", "< 50 ms")  # fmt: skip
    _row("first page cold, wall (worst)", max(colds), "ms", max(warms), "warm page (worst)",
         "< 50 ms")  # fmt: skip


# -- clinic_day through the whole day ---------------------------------------------------------
def bench_clinic_day(repeats: int) -> None:
    sc = load_scenario("clinic_day")
    day_start = datetime(2026, 5, 14, 0, 0, tzinfo=MSK)
    runs, gens, events = [], [], 0
    for i in range(repeats):
        world = build_world(sc, seed=100 + i, start=day_start)
        t0 = time.perf_counter()
        seen, last = 0, world.now()
        for _ in range(24 * 60):
            world.clock.advance(60)
            seen += len(world.calls_since(last))
            world.live_calls()
            last = world.now()
        world.history(world.day_start(day_start.date()), world.now())
        runs.append(time.perf_counter() - t0)
        events = seen
        t0 = time.perf_counter()
        Engine(sc, 100 + i).day(day_start.date())
        gens.append(time.perf_counter() - t0)
    _row(f"clinic_day 24 h, 1440 steps ({events} calls)", statistics.median(runs) * 1000, "ms",
         statistics.median(gens) * 1000, "generating the day", "< 1000 ms")  # fmt: skip


# -- reset ------------------------------------------------------------------------------------
def bench_reset(repeats: int) -> None:
    state = create_state(seed=1, start=START)
    create_app(state)  # installs the fault registry and the faces' reset hooks
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        asyncio.run(state.reset())
        times.append(time.perf_counter() - t0)
    engine_mod._ENGINES.clear()
    t0 = time.perf_counter()
    scratch = create_state(seed=2, start=START)
    create_app(scratch)
    from_scratch = time.perf_counter() - t0
    _row("reset (median), ms", statistics.median(times) * 1000, "ms", from_scratch * 1000,
         "state from scratch", "< 10 ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 days, fewer repetitions")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {'quick' if args.quick else 'full'} run, "
          f"load average {_load()} at the start\n")  # fmt: skip
    _header()
    bench_generation(60 if args.quick else 365)
    bench_first_page(3 if args.quick else 10)
    bench_clinic_day(2 if args.quick else 5)
    bench_reset(20 if args.quick else 100)
    print(f"\nload average {_load()} at the end ({os.cpu_count()} CPUs)")


def _load() -> str:
    """The 1, 5 and 15 minute load averages: how shared the machine was."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
