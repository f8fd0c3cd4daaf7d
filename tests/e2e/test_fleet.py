"""A fleet over TCP: a mock with 50 accounts, 3 worker processes on one PostgreSQL.

Some accounts are faulted (rate limits, 503s, a provider error, a slow one);
the worker running the slow account is killed with SIGKILL mid-run. The
other workers take its job once its heartbeat stops, and in the end every
account's cache equals the mock's truth, no account was run by two workers
at once, and every worker's metrics show the faulted accounts.
"""

from __future__ import annotations

import contextlib
import itertools
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from adapter.accounts import AccountRegistry
from adapter.mockpbx_plane import accounts_from_mock
from adapter.store.schema import fleet_runs
from adapter.store.sql import SqlStore
from mockpbx.accounts import install_accounts
from mockpbx.testing import MockPBXServer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ACCOUNTS = 50
MANGO_FROM = 41  # accounts 41..50 are synced over the Mango face, the others over UIS
BACKFILL = 2
SLOW = "a-7"  # its run is slow (latency): its worker is killed during it
SECOND_WAVE = 26  # accounts 26..50 are added after the kill: their faults meet survivors only
RETRIED = ("a-35", "a-39")  # rate limits and 503s, retried inside a run
FAILED = "a-32"  # a provider error fails its first run; the job retry succeeds


@pytest.fixture
def mock() -> Iterator[MockPBXServer]:
    server = MockPBXServer(configure=lambda s: install_accounts(s, ACCOUNTS)).start()
    try:
        yield server
    finally:
        server.stop()


def control(pbx: MockPBXServer, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(method, f"{pbx.url}/_mockpbx/{path}", json=body, timeout=30)
    assert response.status_code < 300, response.text
    return response.json()


def add_accounts(pbx: MockPBXServer, store_url: str, first: int, last: int) -> None:
    """Accounts first..last of the mock (1..40 over UIS, 41..50 over Mango)."""
    doc = control(pbx, "GET", "credentials")
    uis = accounts_from_mock(doc, "uis", prefix="a-")[: MANGO_FROM - 1]
    mango = accounts_from_mock(doc, "mango", prefix="a-")[MANGO_FROM - 1 :]
    store = SqlStore(store_url)
    try:
        AccountRegistry(store.engine).add((uis + mango)[first - 1 : last])
    finally:
        store.close()


def inject_faults(pbx: MockPBXServer) -> None:
    def fault(account: str, **spec: Any) -> None:
        control(pbx, "POST", f"accounts/{account.removeprefix('a-')}/faults", spec)

    fault(SLOW, face="uis", kind="latency", seconds=1.2)
    fault(RETRIED[0], face="uis", kind="rate_limit", retry_after=0, count=3)
    fault(RETRIED[1], face="uis", kind="http_status", status=503, count=2)
    fault(FAILED, face="uis", kind="provider_error", code=-32602, count=1)  # not retried
    control(pbx, "POST", "mango/options", {"rate_limits": False})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_worker(
    pbx: MockPBXServer, store_url: str, name: str, port: int, log: IO[bytes]
) -> subprocess.Popen[bytes]:
    args = [
        sys.executable, "-m", "adapter.cli", "worker", "--store", store_url,
        "--mockpbx", pbx.url, "--name", name, "--metrics-port", str(port),
        "--tick", "1", "--heartbeat", "0.5", "--stalled-after", "5", "--poll", "0.3",
        "--attempts", "3", "--retry-wait", "1", "--concurrency", "4",
        "--backfill-days", str(BACKFILL), "--retries", "6", "--backoff", "0.05",
        "--backoff-max", "0.2", "--mango-poll-interval", "0.1", "--log-json",
    ]  # fmt: skip
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log)


def runs(store_url: str) -> list[Any]:
    store = SqlStore(store_url)
    try:
        with store.engine.connect() as conn:
            return list(conn.execute(select(fleet_runs).order_by(fleet_runs.c.id)).all())
    finally:
        store.close()


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def open_run(store_url: str, account: str) -> Any:
    return next(
        (r for r in runs(store_url) if r.account == account and r.finished_us is None), None
    )


def all_synced(store_url: str) -> bool:
    done = {r.account for r in runs(store_url) if r.status == "ok"}
    return len(done) == ACCOUNTS


def truth_ids(pbx: MockPBXServer, number: int, first: date, end: date) -> list[str]:
    body = control(pbx, "GET", f"truth/calls?account={number}&from={first}&to={end}")
    face = "mango" if number >= MANGO_FROM else "uis"
    key = "entry_id" if face == "mango" else "call_session_id"
    assert all(c["in_history"] for c in body["calls"])
    return sorted(str(c["ids"][face][key]) for c in body["calls"])


def cached_ids(store: SqlStore, key: str, tz: ZoneInfo, first: date, end: date) -> list[str]:
    lo, hi = (datetime.combine(d, dtime(0), tz) for d in (first, end))
    return sorted(r.provider_call_id for r in store.iter_calls(lo, hi, account=key))


def assert_cache_equals_truth(pbx: MockPBXServer, store_url: str) -> None:
    doc = control(pbx, "GET", "accounts")["accounts"]
    store = SqlStore(store_url)
    try:
        keys = {a.name: a.provider_key for a in AccountRegistry(store.engine).all()}
        for entry in doc:
            number, tz = entry["account"], ZoneInfo(entry["timezone"])
            today = pbx.clock.now().astimezone(tz).date()
            first = today - timedelta(days=BACKFILL)
            key = keys[f"a-{number}"]
            assert key is not None, number
            expected = truth_ids(pbx, number, first, today)
            assert expected, f"account {number} has calls to sync"
            assert cached_ids(store, key, tz, first, today) == expected, f"account {number}"
    finally:
        store.close()


def assert_no_overlap(store_url: str, killed: str, killed_at: int) -> None:
    by_account: dict[str, list[tuple[int, int]]] = {}
    for r in runs(store_url):
        end = r.finished_us
        if end is None:
            assert r.worker == killed, f"only the killed worker leaves a run open: {r}"
            end = killed_at
        by_account.setdefault(r.account, []).append((r.started_us, end))
    for account, spans in by_account.items():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start, f"{account}: two runs at once"


def metric(text: str, name: str, account: str) -> float:
    prefix = f'{name}{{account="{account}"}} '
    values = [float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix)]
    return values[0] if values else 0.0


def run_fleet(
    mock: MockPBXServer, pg_url: str, logs: list[IO[bytes]]
) -> tuple[str, int, str, httpx.Response]:
    """Start three workers, kill the slow account's, wait for every account; metrics."""
    ports = [free_port() for _ in range(3)]
    workers = {f"w{i}": start_worker(mock, pg_url, f"w{i}", ports[i], logs[i]) for i in range(3)}
    try:
        slow = wait_for(lambda: open_run(pg_url, SLOW), 60, "the slow account's run")
        victim = slow.worker
        workers[victim].send_signal(signal.SIGKILL)
        workers[victim].wait(timeout=10)
        killed_at = time.time_ns() // 1000
        add_accounts(mock, pg_url, SECOND_WAVE, ACCOUNTS)
        wait_for(lambda: all_synced(pg_url), 60, "every account synced")
        survivors = [ports[int(w[1:])] for w in workers if w != victim]
        text = "\n".join(
            httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text for port in survivors
        )
        ready = httpx.get(f"http://127.0.0.1:{survivors[0]}/readyz", timeout=10)
    finally:
        for proc in workers.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in workers.values():
            proc.wait(timeout=30)
    return victim, killed_at, text, ready


def test_fleet__killed_worker_is_replaced_and_every_cache_equals_the_truth(
    mock: MockPBXServer, pg_url: str, tmp_path: Path
) -> None:
    """Three workers sync 50 accounts; SIGKILL on one mid-run loses nothing."""
    add_accounts(mock, pg_url, 1, SECOND_WAVE - 1)
    inject_faults(mock)
    with contextlib.ExitStack() as files:
        logs = [files.enter_context((tmp_path / f"w{i}.log").open("wb")) for i in range(3)]
        victim, killed_at, text, ready = run_fleet(mock, pg_url, logs)
    assert_cache_equals_truth(mock, pg_url)
    assert_no_overlap(pg_url, victim, killed_at)
    taken_over = [r for r in runs(pg_url) if r.account == SLOW and r.status == "ok"]
    assert taken_over, "the killed run was taken over"
    assert taken_over[0].worker != victim, "by another worker"
    assert ready.status_code == 200
    for account in RETRIED:
        assert metric(text, "pbx_adapter_account_retried_requests", account) > 0, account
    assert metric(text, "pbx_adapter_account_failed_runs", FAILED) >= 1
    assert metric(text, "pbx_adapter_account_failed_runs", "a-2") == 0
    assert metric(text, "pbx_adapter_calls_cached", "a-2") > 0
    assert ready.json()["ready"] is True
    # this process's counters, by kind: the survivors ran every second-wave account
    assert f'provider_errors_total{{account="{FAILED}",kind="ProtocolError"}}' in text
    assert f'provider_retries_total{{account="{RETRIED[0]}",kind="RateLimitedError"}}' in text
    assert f'provider_retries_total{{account="{RETRIED[1]}",kind="UnavailableError"}}' in text
