"""What keeping each response's head in the journal costs per request, and in memory.

    python bench/bench_journal.py            # 9 interleaved rounds of 200 requests per case
    python bench/bench_journal.py --quick    # 3 rounds of 50

An in-process mockpbx app on loopback (aiohttp's TestServer) answers
`get.calls_report` with 1 row (~1 KB) and a whole day (limit 1000, ~64 KB),
sequentially, with the journal's response excerpt on and off (baseline: the
same middleware with `response_excerpt` returning None); median per request
of interleaved rounds. Then `response_excerpt` alone on both bodies, and the
memory of a full journal (5000 entries) of maximal excerpts: ASCII, ASCII with one
Cyrillic letter (Python then stores 2 bytes a character), all Cyrillic.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

import mockpbx.app as app_module
from mockpbx.app import create_app, create_state
from mockpbx.state import RESPONSE_EXCERPT, Journal, response_excerpt
from mockpbx.testing import DEFAULT_START

DAY = {"date_from": "2026-05-13 00:00:00", "date_till": "2026-05-13 23:59:59"}


def _off(_: Any) -> None:
    return None


async def _round(client: TestClient, token: str, limit: int, n: int) -> float:  # type: ignore[type-arg]
    body = {"jsonrpc": "2.0", "id": 1, "method": "get.calls_report",
            "params": {"access_token": token, "limit": limit, **DAY}}  # fmt: skip
    started = time.perf_counter()
    for _ in range(n):
        resp = await client.post("/uis/dataapi/v2.0", json=body)
        await resp.read()
    return (time.perf_counter() - started) / n * 1000


BODIES: dict[str, bytes] = {}


async def _body(client: TestClient, token: str, limit: int) -> bytes:  # type: ignore[type-arg]
    body = {"jsonrpc": "2.0", "id": 1, "method": "get.calls_report",
            "params": {"access_token": token, "limit": limit, **DAY}}  # fmt: skip
    return await (await client.post("/uis/dataapi/v2.0", json=body)).read()


async def _requests(rounds: int, n: int) -> dict[str, tuple[float, int]]:
    state = create_state(seed=1, start=DEFAULT_START, rate=0)
    token = state.credentials.uis_access_token
    client = TestClient(TestServer(create_app(state)))
    await client.start_server()
    times: dict[str, list[float]] = {}
    sizes: dict[int, int] = {}
    try:
        for limit in (1, 1000):
            await _round(client, token, limit, 3)  # warm the rendered-row cache
            sizes[limit] = state.journal.entries().__next__().response["size"]  # type: ignore[index]
            BODIES[f"get.calls_report limit={limit}"] = await _body(client, token, limit)
            state.journal.clear()
        cases = [("off", _off), ("on", response_excerpt)]
        for i in range(rounds):
            for limit in (1, 1000):
                for name, excerpt in cases if i % 2 else cases[::-1]:  # alternate the order
                    app_module.response_excerpt = excerpt  # type: ignore[assignment]
                    times.setdefault(f"{limit}:{name}", []).append(
                        await _round(client, token, limit, n)
                    )
                    state.journal.clear()
    finally:
        app_module.response_excerpt = response_excerpt
        await client.close()
    return {k: (statistics.median(v), sizes[int(k.split(":")[0])]) for k, v in times.items()}


def _micro(body: bytes, runs: int = 2000) -> float:
    """Microseconds of response_excerpt on a JSON `body`."""
    resp = web.Response(body=body, content_type="application/json")
    started = time.perf_counter()
    for _ in range(runs):
        response_excerpt(resp)
    return (time.perf_counter() - started) / runs * 1e6


def _memory(text: str) -> float:
    """MiB a full journal (5000 entries) holds in maximal excerpts starting with `text`."""
    body = (text + "x" * RESPONSE_EXCERPT).encode()[:RESPONSE_EXCERPT]
    resp = web.Response(body=body + b"tail", content_type="application/json")
    journal = Journal()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for _ in range(5000):
        journal.record(time="", face="uis", method="m", http_method="POST", path="/",
                       status=200, duration_ms=0.0, response=response_excerpt(resp))  # fmt: skip
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return used / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds, n = (3, 50) if args.quick else (9, 200)
    result = asyncio.run(_requests(rounds, n))
    print(f"\nper request, median of {rounds} rounds of {n} sequential requests")
    print(f"{'case':<36}{'body':>12}{'ms/request':>12}{'ratio':>8}")
    for limit in (1, 1000):
        off, size = result[f"{limit}:off"]
        on, _ = result[f"{limit}:on"]
        label = f"get.calls_report limit={limit}"
        print(f"{label + ', excerpt off':<36}{size:>12,}{off:>12.3f}{1:>8.2f}")
        print(f"{label + ', excerpt on':<36}{size:>12,}{on:>12.3f}{on / off:>8.2f}")
    rows: list[tuple[str, Callable[[], float], str]] = [
        *[(f"excerpt of {k}", lambda b=b: _micro(b), "us") for k, b in BODIES.items()],
        ("excerpt of 1 MiB JSON, no secret", lambda: _micro(b"[" + b"1," * 2**19 + b"1]"), "us"),
        ("full journal, ASCII excerpts", lambda: _memory(""), "MiB"),
        ("full journal, one Cyrillic letter", lambda: _memory("ж"), "MiB"),
        ("full journal, all Cyrillic", lambda: _memory("ж" * RESPONSE_EXCERPT), "MiB"),
    ]
    print(f"\n{'measure':<36}{'value':>12}")
    for label, run, unit in rows:
        print(f"{label:<44}{run():>12.2f} {unit}")


if __name__ == "__main__":
    main()
