"""The worker fleet: N accounts x D days synced by 1, 2 and 4 workers on one PostgreSQL.

Each case gets a fresh PostgreSQL database and a fresh mock (`mockpbx serve
--accounts N`, clock frozen, its own process), registers every account over
the UIS face (`pbx-adapter accounts add --from-mockpbx`) once W worker
processes, waits until each answers /readyz, registers the accounts, and
times from then until every account has a finished run (worker start-up is
not timed). calls/s is the calls cached over that time; the ratio is against one
worker, measured in the same run. Peak RSS is each worker's high-water mark
(VmHWM) read just before it is stopped.

The mock is one process: on a small machine it is the shared bottleneck, so
the ratio says how far the fleet scales before the provider does.

    python bench/bench_fleet.py                       # 200 accounts x 30 days, 1/2/4 workers
    python bench/bench_fleet.py --accounts 50 --days 7 --workers 1 2
    python bench/bench_fleet.py --quick               # 20 accounts x 3 days, 1 and 2 workers
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
START = "2026-05-14T10:30:00+03:00"
BIN = Path(sys.executable).parent


@dataclass
class Result:
    workers: int
    seconds: float
    calls: int
    peak_rss_mib: list[float]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def database(admin: str) -> Iterator[str]:
    import psycopg

    name = f"bench_fleet_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def mock(accounts: int) -> Iterator[str]:
    port = free_port()
    args = [str(BIN / "mockpbx"), "serve", "--port", str(port), "--clock-rate", "0",
            "--start", START, "--accounts", str(accounts)]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/_mockpbx/health", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def peak_rss_mib(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def synced(store_url: str) -> tuple[int, int]:
    """(accounts with a finished ok run, calls cached)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(store_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            done = conn.execute(
                text("SELECT count(DISTINCT account) FROM fleet_runs WHERE status = 'ok'")
            ).scalar_one()
            calls = conn.execute(text("SELECT count(*) FROM calls")).scalar_one()
    finally:
        engine.dispose()
    return int(done), int(calls)


def wait_ready(ports: list[int], timeout: float = 120) -> None:
    """Until every worker answers /readyz with 200 (its start-up is not timed)."""
    deadline = time.monotonic() + timeout
    for port in ports:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)


def run_case(admin: str, accounts: int, days: int, workers: int, timeout: float) -> Result:
    log_path = os.environ.get("BENCH_FLEET_LOG")  # the workers' JSON logs, for a look
    with (
        database(admin) as store,
        mock(accounts) as url,
        open(log_path or os.devnull, "ab") as log,
    ):
        adapter = str(BIN / "pbx-adapter")
        args = [adapter, "worker", "--store", store, "--mockpbx", url, "--tick", "1",
                "--poll", "0.5", "--concurrency", "4", "--backfill-days", str(days),
                "--log-level", "info", "--log-json"]  # fmt: skip
        # the store's schema first: workers starting together on an empty database race
        subprocess.run([adapter, "accounts", "list", "--store", store], check=True,
                       capture_output=True)  # fmt: skip
        ports = [free_port() for _ in range(workers)]
        procs = [
            subprocess.Popen(
                [*args, "--name", f"w{i}", "--metrics-port", str(port)],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            for i, port in enumerate(ports)
        ]
        wait_ready(ports)
        subprocess.run([adapter, "accounts", "add", "--store", store, "--from-mockpbx", url],
                       check=True, capture_output=True)  # fmt: skip
        started = time.perf_counter()
        try:
            done, calls = 0, 0
            while done < accounts and time.perf_counter() - started < timeout:
                time.sleep(0.5)
                done, calls = synced(store)
            seconds = time.perf_counter() - started
            if done < accounts:
                print(f"  ({workers} worker(s): {done}/{accounts} accounts after {timeout:.0f} s)")
            peaks = [peak_rss_mib(p.pid) for p in procs]
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
            for p in procs:
                p.wait(timeout=60)
    return Result(workers, seconds, calls, peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per case")
    parser.add_argument("--pg", default=os.environ.get("PBX_ADAPTER_TEST_PG", DEFAULT_PG))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.accounts, args.days, args.workers = 20, 3, [1, 2]
    print(f"fleet: {args.accounts} accounts x {args.days} days over UIS, workers {args.workers}")
    results = []
    for w in args.workers:
        results.append(run_case(args.pg, args.accounts, args.days, w, args.timeout))
        r = results[-1]
        print(f"  {w} worker(s): {r.seconds:.1f} s, {r.calls} calls", flush=True)
    base = results[0].calls / results[0].seconds
    print(f"{'workers':>7} {'seconds':>8} {'calls':>8} {'calls/s':>8} {'x 1 worker':>10} "
          f"{'peak RSS MiB per worker':>24}")  # fmt: skip
    for r in results:
        rate = r.calls / r.seconds
        peaks = " ".join(f"{p:.0f}" for p in r.peak_rss_mib)
        print(f"{r.workers:>7} {r.seconds:>8.1f} {r.calls:>8} {rate:>8.0f} {rate / base:>10.2f} "
              f"{peaks:>24}")  # fmt: skip


if __name__ == "__main__":
    main()
