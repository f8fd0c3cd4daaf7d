"""Many accounts on one mock: start-up time and memory, and the cost of the days queried.

Each case runs in a fresh child process (its RSS is its own): it starts a
server with N accounts (`MockPBXServer` + `install_accounts`, listening on
TCP) and reports the start-up time and RSS growth; then it reads D days of
the truth of K accounts spread over the range (over TCP, which builds those
accounts' worlds and days) and reports the RSS growth again. The
baseline is one account (the plain server), measured in the same run.

    python bench/bench_accounts.py            # 1, 100, 1000, 5000 accounts; 10 accounts x 7 days
    python bench/bench_accounts.py --quick    # 1, 1000 accounts; 3 accounts x 2 days
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from typing import Any

ROOT_CASE = "--case"


def case(accounts: int, query_accounts: int, days: int) -> dict[str, Any]:
    """One child process: start N accounts, then query `days` of `query_accounts`."""
    import psutil

    from mockpbx.accounts import install_accounts
    from mockpbx.testing import MockPBXServer

    proc = psutil.Process()
    imported = proc.memory_info().rss
    started = time.perf_counter()
    server = MockPBXServer(configure=lambda s: install_accounts(s, accounts)).start()
    startup = time.perf_counter() - started
    after_start = proc.memory_info().rss
    try:
        queried = asyncio.run(_query(server.url, query_accounts, days))
    finally:
        server.stop()
    after_query = proc.memory_info().rss
    return {
        "accounts": accounts,
        "startup_s": startup,
        "start_mib": (after_start - imported) / 2**20,
        "query_mib": (after_query - after_start) / 2**20,
        "calls": queried,
    }


async def _query(url: str, query_accounts: int, days: int) -> int:
    """Read `days` of history of `query_accounts` accounts spread over the range."""
    import httpx

    calls = 0
    async with httpx.AsyncClient(timeout=60) as http:
        doc = (await http.get(f"{url}/_mockpbx/credentials")).json()
        entries = doc.get("accounts") or [{**doc, "account": 1}]
        step = max(1, len(entries) // max(1, query_accounts))
        for entry in entries[::step][:query_accounts]:
            params = {"from": f"2026-05-{14 - days:02d}"}
            if "accounts" in doc:
                params["account"] = str(entry["account"])
            body = (await http.get(f"{url}/_mockpbx/truth/calls", params=params)).json()
            calls += body["count"]
    return calls


def run_case(accounts: int, query_accounts: int, days: int) -> dict[str, Any]:
    args = [sys.executable, __file__, ROOT_CASE, str(accounts), str(query_accounts), str(days)]
    out = subprocess.run(args, check=True, capture_output=True, text=True, timeout=600)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    counts = [1, 1000] if args.quick else [1, 100, 1000, 5000]
    query_accounts, days = (3, 2) if args.quick else (10, 7)
    rows = [run_case(n, min(n, query_accounts), days) for n in counts]
    base = rows[0]
    print(f"accounts: start-up and memory; then {query_accounts} account(s) x {days} day(s) read")
    print(f"{'accounts':>9} {'start s':>8} {'x base':>7} {'start MiB':>10} "
          f"{'calls read':>11} {'read MiB':>9} {'MiB/1k calls':>13}")  # fmt: skip
    for r in rows:
        ratio = r["startup_s"] / base["startup_s"] if base["startup_s"] else float("nan")
        per_k = r["query_mib"] / (r["calls"] / 1000) if r["calls"] else float("nan")
        print(f"{r['accounts']:>9} {r['startup_s']:>8.3f} {ratio:>7.1f} {r['start_mib']:>10.1f} "
              f"{r['calls']:>11} {r['query_mib']:>9.1f} {per_k:>13.2f}")  # fmt: skip
    worst = max(r["startup_s"] for r in rows if r["accounts"] <= 1000)
    print(f"1,000 accounts start in under 2 s: {'yes' if worst < 2 else 'NO'} ({worst:.2f} s)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == ROOT_CASE:
        n, k, d = (int(v) for v in sys.argv[2:5])
        print(json.dumps(case(n, k, d)))
    else:
        main()
