"""get.calls_report throughput against a bare aiohttp handler, in one run over loopback.

The server (a mockpbx with a store of N calls, default 1,000,000) runs in a
child process; this process is the load generator: an aiohttp client with a
few concurrent connections for a fixed time per phase. Phases:

    bare    POST returning a prebuilt body of the same size as a report page
    warm    get.calls_report, 1000 rows, ALL 105 fields, rows from the cache
    cold    the same pages with the row cache disabled (every row rendered)

Pages rotate over several one-day windows so the server does real lookups.
Memory per stored call is the server's RSS delta while the store fills.

    python bench/bench_uis_report.py            # 1,000,000 calls (~1 min to build)
    python bench/bench_uis_report.py --quick    # 30,000 calls, short phases
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing as mp
import time
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson

MSK = ZoneInfo("Europe/Moscow")
START = datetime(2026, 5, 14, 10, 30, tzinfo=MSK)
PAGE = 1000


def _scenario(calls: int) -> Any:
    from mockpbx.scenarios.model import Scenario, Volume

    per_day = 2000  # ~3,200 calls a day with outgoing calls and callbacks
    days = max(3, math.ceil(calls / 3150))
    return Scenario(history_days=days, volume=Volume(calls_per_day=per_day, by_weekday=[1] * 7))


def _serve(calls: int, queue: Any) -> None:
    """Child process: build the world, fill the store, serve the app plus bench routes."""
    import psutil
    from aiohttp import web

    from mockpbx.app import create_app, create_state
    from mockpbx.providers.uis.options import UisOptions

    proc = psutil.Process()
    state = create_state(seed=1, start=START, scenario=_scenario(calls), secret_key="1")
    state.options["uis"] = UisOptions(day_limit=10**9, minute_limit=10**9)
    world = state.world
    rss0 = proc.memory_info().rss
    first = START.date() - timedelta(days=state.scenario.history_days)  # type: ignore[union-attr]
    world.store.count_between(world.day_start(first), world.now())  # materialize every day
    stored = len(world.store)
    rss1 = proc.memory_info().rss
    bare: dict[str, bytes] = {"body": b"{}"}

    async def bare_handler(request: web.Request) -> web.Response:
        return web.Response(body=bare["body"], content_type="application/json")

    async def set_bare(request: web.Request) -> web.Response:
        bare["body"] = await request.read()
        return web.Response(text="ok")

    async def set_cache(request: web.Request) -> web.Response:
        budget = int(request.query["bytes"])
        state.options["uis"] = UisOptions(
            day_limit=10**9, minute_limit=10**9, row_cache_bytes=budget
        )
        return web.Response(text="ok")

    async def main() -> None:
        app = create_app(state)
        app.router.add_post("/_bench/bare", bare_handler)
        app.router.add_post("/_bench/set_bare", set_bare)
        app.router.add_post("/_bench/cache", set_cache)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        queue.put({"port": port, "stored": stored, "rss_delta": rss1 - rss0, "first": first})
        await asyncio.Event().wait()

    asyncio.run(main())


def _page_body(token: str, day: date, offset: int, fields: list[str]) -> bytes:
    params = {
        "access_token": token,
        "date_from": f"{day} 00:00:00",
        "date_till": f"{day} 23:59:59",
        "limit": PAGE,
        "offset": offset,
        "fields": fields,
    }
    return orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "get.calls_report", "params": params})


async def _load(
    url: str, bodies: list[bytes], seconds: float, connections: int
) -> tuple[float, float]:
    """(requests/s, MB/s) of `connections` clients posting `bodies` round-robin."""
    import aiohttp

    count = 0
    size = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker(i: int) -> None:
            nonlocal count, size
            n = i
            while time.perf_counter() < deadline:
                async with http.post(url, data=bodies[n % len(bodies)]) as resp:
                    data = await resp.read()
                    assert resp.status == 200, data[:200]
                count += 1
                size += len(data)
                n += connections

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(connections)))
        elapsed = time.perf_counter() - started
    return count / elapsed, size / elapsed / 1e6


async def _run(args: argparse.Namespace, info: dict[str, Any]) -> None:
    import aiohttp

    from mockpbx.providers.uis.schemas import catalog
    from mockpbx.state import Credentials

    base = f"http://127.0.0.1:{info['port']}"
    token = Credentials.from_key("1").uis_access_token  # the server runs with secret_key="1"
    fields = list(catalog("get.calls_report"))
    days = [START.date() - timedelta(days=d) for d in range(2, 2 + args.pages)]
    bodies = [_page_body(token, day, 0, fields) for day in days]
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/uis/dataapi/v2.0", data=bodies[0]) as resp:
            sample = await resp.read()
        doc = orjson.loads(sample)
        assert len(doc["result"]["data"]) == PAGE, "a day must hold a full page"
        await http.post(f"{base}/_bench/set_bare", data=sample)
    data_url, bare_url = f"{base}/uis/dataapi/v2.0", f"{base}/_bench/bare"
    c, t = args.connections, args.seconds
    await _load(data_url, bodies, min(t, 2), c)  # warm the row cache and the server
    bares, warms, colds = [], [], []
    for _ in range(args.rounds):  # interleaved, so a noisy neighbour hits both alike
        bares.append(await _load(bare_url, bodies[:1], t, c))
        warms.append(await _load(data_url, bodies, t, c))
    async with aiohttp.ClientSession() as http:
        await http.post(f"{base}/_bench/cache?bytes=0")
    for _ in range(args.rounds):
        colds.append(await _load(data_url, bodies, t, c))
        bares.append(await _load(bare_url, bodies[:1], t, c))
    _print(info, len(sample), _median(bares), _median(warms), _median(colds), args)


def _median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    ordered = sorted(runs)
    return ordered[len(ordered) // 2]


def _print(
    info: dict[str, Any],
    page_bytes: int,
    bare: tuple[float, float],
    warm: tuple[float, float],
    cold: tuple[float, float],
    args: argparse.Namespace,
) -> None:
    stored = info["stored"]
    print(f"store: {stored:,} calls; page: {PAGE} rows x 105 fields = {page_bytes / 1e6:.2f} MB")
    print(
        f"load: {args.connections} connections, {args.seconds:.1f} s per phase, "
        f"median of {args.rounds} interleaved rounds, loopback"
    )
    print(f"{'phase':<28}{'req/s':>10}{'MB/s':>10}{'vs bare':>10}")
    for name, (rps, mbs) in (
        ("bare prebuilt body", bare),
        ("calls_report warm (cached)", warm),
        ("calls_report cold (no cache)", cold),
    ):
        print(f"{name:<28}{rps:>10.1f}{mbs:>10.1f}{rps / bare[0]:>9.0%}")
    print(f"memory per stored call (server RSS delta): {info['rss_delta'] / stored:,.0f} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="30,000 calls and short phases")
    parser.add_argument("--calls", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--pages", type=int, default=8, help="distinct one-day pages rotated")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args()
    args.calls = args.calls or (30_000 if args.quick else 1_000_000)
    args.seconds = args.seconds or (1.5 if args.quick else 4.0)
    args.rounds = args.rounds or (2 if args.quick else 3)
    args.pages = min(args.pages, max(1, math.ceil(args.calls / 3150) - 3))
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    server = ctx.Process(target=_serve, args=(args.calls, queue), daemon=True)
    built = time.perf_counter()
    server.start()
    try:
        info = queue.get(timeout=1800)
        print(f"store built in {time.perf_counter() - built:.1f} s")
        asyncio.run(_run(args, info))
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()
