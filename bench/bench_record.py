"""What `mockpbx record` adds per exchange, against the upstream's own time, in one run.

Three processes over loopback: the upstream (a mockpbx), the recording proxy
(redaction on, cassette in a temp dir, fsync per exchange) and this one, the
client, sending one request at a time (the latency of a single exchange, not
throughput). Rounds alternate direct and proxied requests so both see the
same machine load. Cases:

    small   clinic GetOngoingCalls (a tiny body)
    page    clinic GetFinishedCalls, 100 rows of a day
    report  UIS get.calls_report, 100 rows of a day (JSON-RPC)

The target (issue 15): at most 2 ms added per exchange at p50.

    python bench/bench_record.py            # 1000 exchanges per case and path
    python bench/bench_record.py --quick    # 100
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

START = datetime(2026, 5, 14, 10, 30, tzinfo=ZoneInfo("Europe/Moscow"))
TARGET_MS = 2.0


def _upstream(queue: Any, stop: Any) -> None:
    from mockpbx.providers.uis.options import UisOptions
    from mockpbx.testing import MockPBXServer

    def configure(state: Any) -> None:
        state.options["uis"] = UisOptions(day_limit=10**9, minute_limit=10**9)

    with MockPBXServer(seed=1, start=START, configure=configure) as pbx:
        queue.put(pbx.credentials)
        stop.wait()


def _proxies(creds: dict[str, Any], out_dir: str, queue: Any, stop: Any) -> None:
    from mockpbx.record.proxy import ProxyConfig, ProxyServer

    clinic = ProxyConfig("clinic", creds["clinic"]["url"], Path(out_dir) / "clinic.jsonl")
    uis = ProxyConfig("uis-data", creds["uis"]["data_api_url"], Path(out_dir) / "uis.jsonl")
    with ProxyServer(clinic) as pc, ProxyServer(uis) as pu:
        queue.put({"clinic": pc.url, "uis": pu.url})
        stop.wait()


def _cases(creds: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """name -> (face, path below the face's base, request kwargs)."""
    key = {"IDENT-Integration-Key": creds["clinic"]["key"]}
    day = {
        "dateTimeFrom": (START - timedelta(days=1)).isoformat(),
        "dateTimeTo": START.isoformat(),
        "limit": "100",
    }
    a = (START - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    b = START.strftime("%Y-%m-%d %H:%M:%S")
    params = {"access_token": creds["uis"]["access_token"], "date_from": a, "date_till": b}
    rpc = {"jsonrpc": "2.0", "id": 1, "method": "get.calls_report", "params": params}
    rpc["params"]["limit"] = 100
    return {
        "small": ("clinic", "/GetOngoingCalls", {"method": "GET", "headers": key}),
        "page": ("clinic", "/GetFinishedCalls", {"method": "GET", "headers": key, "params": day}),
        "report": ("uis", "", {"method": "POST", "json": rpc}),
    }


async def _measure(
    bases: dict[str, dict[str, str]], cases: dict[str, Any], n: int
) -> dict[str, dict[str, list[float]]]:
    from aiohttp import ClientSession

    times: dict[str, dict[str, list[float]]] = {c: {"direct": [], "proxy": []} for c in cases}
    async with ClientSession() as session:
        for _ in range(n):
            for case, (face, path, kw) in cases.items():
                for how in ("direct", "proxy"):  # alternated: both see the same load
                    kwargs = dict(kw)
                    method = kwargs.pop("method")
                    started = time.perf_counter()
                    async with session.request(method, bases[how][face] + path, **kwargs) as r:
                        await r.read()
                        assert r.status == 200, r.status
                    times[case][how].append((time.perf_counter() - started) * 1000)
    return times


def _pct(values: list[float], q: float) -> float:
    xs = sorted(values)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 100 if args.quick else 1000
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    q1, q2 = ctx.Queue(), ctx.Queue()
    with tempfile.TemporaryDirectory() as out_dir:
        up = ctx.Process(target=_upstream, args=(q1, stop), daemon=True)
        up.start()
        creds = q1.get(timeout=120)
        px = ctx.Process(target=_proxies, args=(creds, out_dir, q2, stop))  # has a writer child
        px.start()
        proxies = q2.get(timeout=60)
        direct = {"clinic": creds["clinic"]["url"], "uis": creds["uis"]["data_api_url"]}
        cases = _cases(creds)
        asyncio.run(_measure({"direct": direct, "proxy": proxies}, cases, 20))  # warm up
        times = asyncio.run(_measure({"direct": direct, "proxy": proxies}, cases, n))
        stop.set()
        px.join(30)
        up.join(30)
        lines = sum(len(p.read_bytes().splitlines()) for p in Path(out_dir).glob("*.jsonl"))
    _table(times, lines)


def _table(times: dict[str, dict[str, list[float]]], lines: int) -> None:
    load = os.getloadavg()[0]
    print(f"{lines} cassette lines written (fsync'd, redacted); load average {load:.1f}\n")
    head = (
        f"{'case':8} {'n':>5} {'direct p50':>11} {'proxy p50':>10} {'added p50':>10} "
        f"{'ratio':>6} {'direct p90':>11} {'proxy p90':>10}  target"
    )
    print(head)
    for case, t in times.items():
        d50, p50 = statistics.median(t["direct"]), statistics.median(t["proxy"])
        added = p50 - d50
        verdict = "ok" if added <= TARGET_MS else "OVER"
        print(
            f"{case:8} {len(t['direct']):5d} {d50:9.2f}ms {p50:8.2f}ms {added:8.2f}ms "
            f"{p50 / d50:6.2f} {_pct(t['direct'], 0.9):9.2f}ms {_pct(t['proxy'], 0.9):8.2f}ms"
            f"  {verdict} (<= {TARGET_MS} ms)"
        )


if __name__ == "__main__":
    main()
