"""Mango face: stats/result (CSV and JSON) for a month, and webhook dispatch rate.

Everything runs in one process over loopback: the mock (aiohttp) and, for
the webhook phases, a real aiohttp receiver that checks every signature.

    stats CSV       stats/request + stats/result for 30 days (cold: the body is built)
    stats JSON      stats/calls/request + every stats/calls/result/ page (limit 5000)
      server time   the part of a phase spent in the mock's handlers (journal durations)
      client parse  the part of the JSON phase spent in this client's orjson.loads
    baseline        a bare handler returning a prebuilt body of the same size
    dispatch burst  a backlog of events (an hour of calls at once), posted to the receiver
    dispatch paced  the clock running so the world emits ~N events/s, delivered live
    raw posts       the same signed bodies posted by a plain aiohttp client (baseline)

    python bench/bench_mango.py            # network_year (10 clinics), a month
    python bench/bench_mango.py --quick    # the same, shorter phases
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import orjson
from aiohttp import web
from aiohttp.test_utils import TestServer

from mockpbx.app import create_app, create_state
from mockpbx.providers.mango.options import MangoOptions
from mockpbx.providers.mango.runtime import runtime
from mockpbx.providers.mango.signing import form_body, sign
from mockpbx.state import ServerState

MSK = ZoneInfo("Europe/Moscow")
START = datetime(2026, 5, 14, 10, 30, tzinfo=MSK)


def _scenario(one_clinic: bool) -> Any:
    """network_year, or its first clinic alone (a clinic of the network as its own product)."""
    from mockpbx.scenarios.loader import load_scenario

    sc = load_scenario("network_year")
    if not one_clinic:
        return sc
    return sc.model_copy(
        update={
            "clinics": sc.clinics[:1],
            "staff": [s for s in sc.staff if s.clinic == 1],
            "numbers": [n for n in sc.numbers if n.clinic == 1],
            "routes": [r for r in sc.routes if r.clinic == 1],
        }
    )


def _state(one_clinic: bool) -> ServerState:
    state = create_state(seed=1, start=START, scenario=_scenario(one_clinic))
    state.options["mango"] = MangoOptions(rate_limits=False)
    return state


class Signed:
    def __init__(self, http: aiohttp.ClientSession, base: str, state: ServerState) -> None:
        self.http, self.base, self.state = http, base, state

    async def post(self, method: str, params: dict[str, Any]) -> tuple[int, bytes]:
        creds = self.state.credentials
        text = orjson.dumps(params).decode()
        form = {
            "vpbx_api_key": creds.mango_api_key,
            "sign": sign(creds.mango_api_key, text, creds.mango_api_salt),
            "json": text,
        }
        async with self.http.post(f"{self.base}/mango/vpbx/{method}", data=form) as resp:
            return resp.status, await resp.read()


def _journal_seconds(state: ServerState) -> float:
    """Seconds the mock's handlers have spent so far (the journal's durations)."""
    return sum(e.duration_ms for e in state.journal.entries(face="mango")) / 1000


async def _timed(fn: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = await fn()
    return time.perf_counter() - t0, out


async def bench_stats(one_clinic: bool) -> list[tuple[str, float, str]]:
    state = _state(one_clinic)
    world = state.world
    end_day = world.today() - timedelta(days=1)
    first_day = end_day - timedelta(days=29)
    ts_from, ts_to = world.day_start(first_day), world.day_start(end_day) + 86399
    t_hist, calls = await _timed(lambda: asyncio.to_thread(world.history, ts_from, ts_to + 1))
    app = create_app(state)
    bare_body = {"body": b""}

    async def bare(_: web.Request) -> web.Response:
        return web.Response(body=bare_body["body"], content_type="text/plain")

    app.router.add_post("/_bench/bare", bare)
    server = TestServer(app)
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    rows: list[tuple[str, float, str]] = []
    async with aiohttp.ClientSession() as http:
        api = Signed(http, base, state)

        async def csv() -> bytes:
            _, key = await api.post("stats/request", {"date_from": ts_from, "date_to": ts_to})
            _, body = await api.post("stats/result", {"key": orjson.loads(key)["key"]})
            return body

        seen = _journal_seconds(state)
        t_csv, body = await _timed(csv)
        t_csv_server = _journal_seconds(state) - seen
        bare_body["body"] = body
        t_bare, _ = await _timed(lambda: http.post(f"{base}/_bench/bare", data=b"x"))
        rows.append(("CSV month, cold (request+result)", t_csv, f"{len(body.splitlines())} rows"))
        rows.append(("  server time (journal)", t_csv_server, "in the mock's handlers"))
        parse = {"seconds": 0.0}

        async def json_pages() -> tuple[int, int]:
            params = {
                "start_date": first_day.strftime("%d.%m.%Y 00:00:00"),
                "end_date": end_day.strftime("%d.%m.%Y 23:59:59"),
                "limit": 5000,
                "offset": 0,
            }
            items = size = 0
            while True:
                _, key = await api.post("stats/calls/request", params)
                _, page = await api.post("stats/calls/result/", {"key": orjson.loads(key)["key"]})
                size += len(page)
                t0 = time.perf_counter()
                got = sum(len(c["list"]) for c in orjson.loads(page)["data"])
                parse["seconds"] += time.perf_counter() - t0
                items += got
                if got < params["limit"]:
                    return items, size
                params["offset"] += params["limit"]

        seen = _journal_seconds(state)
        t_json, (items, size) = await _timed(json_pages)
        t_json_server = _journal_seconds(state) - seen
        rows.append(
            ("JSON month, every page (limit 5000)", t_json, f"{items} calls, {size >> 10} KiB")
        )
        rows.append(("  server time (journal)", t_json_server, "in the mock's handlers"))
        rows.append(("  client parse (orjson.loads)", parse["seconds"], "this client's share"))
        rows.append(("baseline: bare handler, same CSV body", t_bare, f"{len(body) >> 10} KiB"))
        rows.append(("baseline: world.history of the month", t_hist, f"{len(calls)} calls"))
    await server.close()
    return rows


class Receiver:
    def __init__(self, key: str, salt: str) -> None:
        self.key, self.salt = key, salt
        self.count = 0
        self.bad = 0
        self.lags: list[float] = []
        self.clock: Any = None

    async def handle(self, request: web.Request) -> web.Response:
        form = await request.post()
        text = str(form["json"])
        if sign(self.key, text, self.salt) != form["sign"]:
            self.bad += 1
        self.count += 1
        if self.clock is not None:
            event = orjson.loads(text)
            ts = event.get("timestamp") or event.get("end_time")
            if isinstance(ts, int):
                self.lags.append(self.clock.timestamp() - ts)
        return web.json_response({"result": 1000})


async def bench_dispatch(seconds: float) -> list[tuple[str, float, str]]:
    state = _state(False)
    world = state.world
    creds = state.credentials
    rec = Receiver(creds.mango_api_key, creds.mango_api_salt)
    recv_app = web.Application()
    recv_app.router.add_post("/hook/{path:.+}", rec.handle)
    recv = TestServer(recv_app)
    await recv.start_server()
    mock = TestServer(create_app(state))
    await mock.start_server()
    rt = runtime(state)
    rt.webhook, rt.webhook_since = str(recv.make_url("/hook/")), world.now()
    rt.wake.set()
    rows: list[tuple[str, float, str]] = []
    await asyncio.sleep(0.2)

    # burst: an hour of the network's calls becomes due at once
    before = rec.count
    t0 = time.perf_counter()
    world.clock.advance(3600)
    await _settle(rec)
    t_burst = time.perf_counter() - t0
    burst = rec.count - before
    rows.append(("dispatch burst: 1 h of calls at once", burst / t_burst, f"{burst} events, ev/s"))

    # paced: the clock runs so that the world emits events live
    rate = 1000.0  # ~1000 events per virtual hour in the network: ~280 events per real second
    before = rec.count
    rec.clock = world.clock
    world.clock.set_rate(rate)
    await asyncio.sleep(seconds)
    world.clock.set_rate(0)
    await _settle(rec)
    paced = rec.count - before
    lag = sorted(rec.lags)
    p99 = lag[int(len(lag) * 0.99)] / rate if lag else 0.0
    rows.append(
        (
            f"dispatch paced: clock x{rate:g} for {seconds:g} s",
            paced / seconds,
            f"{paced} events, ev/s",
        )
    )
    rows.append(("  p99 delivery lag (real seconds)", p99, "s"))

    # baseline: plain client posting signed bodies to the same receiver, same concurrency
    rec.clock = None
    _, body = form_body(creds.mango_api_key, creds.mango_api_salt, {"entry_id": "x", "seq": 1})
    url = str(recv.make_url("/hook/events/call"))
    n = max(burst, 500)
    t_raw = await _raw_posts(url, body, n, 8)
    rows.append(("baseline: raw signed posts, 8 in flight", n / t_raw, f"{n} posts, ev/s"))
    rows.append(("bad signatures seen by the receiver", float(rec.bad), ""))
    await mock.close()
    await recv.close()
    return rows


async def _settle(rec: Receiver, quiet: float = 0.3) -> None:
    last, idle = rec.count, 0.0
    while idle < quiet:
        await asyncio.sleep(0.05)
        idle = idle + 0.05 if rec.count == last else 0.0
        last = rec.count


async def _raw_posts(url: str, body: str, n: int, concurrency: int) -> float:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with aiohttp.ClientSession() as http:
        sem = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with sem, http.post(url, data=body, headers=headers) as resp:
                await resp.read()

        t0 = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n)))
        return time.perf_counter() - t0


def _table(title: str, rows: list[tuple[str, float, str]], baseline: float, unit: str) -> None:
    print(f"\n{title}")
    print(f"{'phase':44} {'value':>10} {'ratio':>8}  note")
    for name, value, note in rows:
        ratio = value / baseline if baseline else 0.0
        print(f"{name:44} {value:10.3f} {ratio:8.2f}  {note}")
    print(f"(ratio = value / baseline; {unit})")


async def main(quick: bool) -> None:
    for one_clinic in (True, False):
        label = "one clinic of network_year" if one_clinic else "whole network_year (10 clinics)"
        rows = await bench_stats(one_clinic)
        baseline = next(v for n, v, _ in rows if n.startswith("baseline: bare"))
        _table(f"stats for a month, {label} (seconds)", rows, baseline, "target < 1 s each")
    rows = await bench_dispatch(3.0 if quick else 10.0)
    baseline = next(v for n, v, _ in rows if n.startswith("baseline: raw"))
    _table("webhook dispatch (events per second)", rows, baseline, "target >= 150 ev/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter phases (seconds)")
    args = parser.parse_args()
    asyncio.run(main(args.quick))
