"""Prometheus metrics, `/healthz` and `/readyz` of `pbx-adapter worker` and `sync --every`.

Two kinds of series, all with an `account` label:

- this process's counters: provider errors and retried provider requests by
  kind (`RateLimitedError`, `UnavailableError`, ...), runs by status, run
  durations. Prometheus sums them over the workers it scrapes;
- the fleet's state, read from the store at each scrape (`StoreCollector`),
  so every worker shows every account however the runs were shared: the last
  successful sync, the age of the newest cached day, calls cached, failed runs
  and retried requests recorded per run (`fleet_runs`).

Retries are counted from the provider clients' own retry log line
(`adapter.providers`: "retrying after attempt N: <error>"), for the account
of the job that logged it (`adapter.worker_logs.current_account`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from sqlalchemy import Engine, case, func, select

from adapter.accounts import lag
from adapter.store.schema import accounts, calls, fleet_runs, sync_state
from adapter.worker_logs import current_account, run_retries

__all__ = [
    "Daemon",
    "FleetMetrics",
    "HealthServer",
    "RetryCounter",
    "StoreCollector",
    "daemon_health",
    "error_kind",
]

PREFIX = "pbx_adapter"
log = logging.getLogger("adapter.metrics")


def error_kind(exc: BaseException) -> str:
    """The label of an error: its class name (AuthError, RateLimitedError, ...)."""
    return type(exc).__name__


@dataclass
class FleetMetrics:
    """This process's metrics on their own registry (one per process, or per test)."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.errors = Counter(
            f"{PREFIX}_provider_errors", "Failed runs by account and error kind",
            ["account", "kind"], registry=r,
        )  # fmt: skip
        self.retries = Counter(
            f"{PREFIX}_provider_retries", "Provider requests retried, by account and kind",
            ["account", "kind"], registry=r,
        )  # fmt: skip
        self.runs = Counter(
            f"{PREFIX}_runs", "Sync runs by account and status", ["account", "status"], registry=r
        )
        self.duration = Histogram(
            f"{PREFIX}_run_duration_seconds", "Sync run durations", ["account"], registry=r,
            buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
        )  # fmt: skip

    def render(self) -> bytes:
        return generate_latest(self.registry)


class RetryCounter(logging.Handler):
    """Counts the provider clients' retries (their log line) for the current account."""

    def __init__(self, metrics: FleetMetrics) -> None:
        super().__init__(logging.DEBUG)
        self.metrics = metrics

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if not str(record.msg).startswith("retrying after attempt") or not isinstance(args, tuple):
            return
        exc = args[1] if len(args) > 1 else None
        kind = error_kind(exc) if isinstance(exc, BaseException) else "unknown"
        self.metrics.retries.labels(current_account.get() or "-", kind).inc()
        counter = run_retries.get()
        if counter is not None:
            counter[0] += 1

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        logger = logging.getLogger("adapter.providers")
        logger.addHandler(self)
        try:
            yield
        finally:
            logger.removeHandler(self)


class StoreCollector(Collector):
    """The fleet's per-account state from the store, read at each scrape (cached briefly)."""

    def __init__(self, engine: Engine, now: Callable[[], datetime], *, ttl: float = 10.0) -> None:
        self.engine = engine
        self.now = now
        self.ttl = ttl
        self._cached: tuple[float, list[Metric]] | None = None

    def collect(self) -> Iterator[Metric]:
        cached = self._cached
        if cached is None or time.monotonic() - cached[0] > self.ttl:
            cached = self._cached = (time.monotonic(), self._read())
        yield from cached[1]

    def _read(self) -> list[Metric]:
        with self.engine.connect() as conn:
            names = {
                r.provider_key: r.name for r in conn.execute(select(accounts)) if r.provider_key
            }
            states = conn.execute(select(sync_state)).all()
            counts = conn.execute(select(calls.c.account, func.count()).group_by(calls.c.account))
            cached_calls = {names.get(k, k): n for k, n in counts}
            runs = conn.execute(_runs_query()).all()
        return self._families(names, states, cached_calls, runs)

    def _families(
        self, names: dict[str, str], states: Any, cached_calls: dict[str, int], runs: Any
    ) -> list[Metric]:
        age = _gauge(
            "newest_cached_day_age_seconds", "From 00:00 after the newest cached day to now"
        )
        count = _gauge("calls_cached", "Calls in the cache")
        ok = _gauge("last_success_timestamp_seconds", "End of the last successful run (epoch)")
        failed = _gauge("account_failed_runs", "Runs that ended in an error (fleet_runs)")
        retried = _gauge("account_retried_requests", "Provider requests retried (fleet_runs)")
        last_failed = _gauge("last_run_failed", "1 when the account's last run failed")
        now = self.now()
        for s in states:
            name = names.get(s.account, s.account)
            behind = lag(s.loaded_until, s.timezone, now)
            if behind is not None:
                age.add_metric([name], behind.total_seconds())
            last_failed.add_metric([name], 1.0 if s.last_status == "error" else 0.0)
            if s.last_status == "ok" and s.last_run_finished is not None and not runs:
                ok.add_metric([name], float(s.last_run_finished))
        for name, n in cached_calls.items():
            count.add_metric([name], float(n))
        for r in runs:
            if r.last_ok is not None:
                ok.add_metric([r.account], r.last_ok / 1e6)
            failed.add_metric([r.account], float(r.failed or 0))
            retried.add_metric([r.account], float(r.retries or 0))
        return [age, count, ok, failed, retried, last_failed]


def _runs_query() -> Any:
    f = fleet_runs.c
    done = f.status.in_(("ok", "nothing"))
    return select(
        f.account,
        func.max(case((done, f.finished_us))).label("last_ok"),
        func.sum(case((f.status == "error", 1), else_=0)).label("failed"),
        func.sum(f.retries).label("retries"),
    ).group_by(f.account)


def _gauge(name: str, doc: str) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", doc, labels=["account"])


Readiness = Callable[[], tuple[bool, str]]


class HealthServer:
    """`/healthz` (the process answers), `/readyz` (it can work), `/metrics` on one port."""

    def __init__(self, metrics: FleetMetrics, ready: Readiness, host: str, port: int) -> None:
        self.metrics, self.ready, self.host, self.port = metrics, ready, host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        app = web.Application()
        app.router.add_get("/healthz", self._health)
        app.router.add_get("/readyz", self._ready)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        log.info("health and metrics on http://%s:%d/metrics", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "time": datetime.now(UTC).isoformat()})

    async def _ready(self, _request: web.Request) -> web.Response:
        ok, reason = await asyncio.to_thread(self.ready)
        return web.json_response({"ready": ok, "reason": reason}, status=200 if ok else 503)

    async def _metrics(self, _request: web.Request) -> web.Response:
        body = await asyncio.to_thread(self.metrics.render)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


Observer = Callable[[Any, BaseException | None], None]


@dataclass
class Daemon:
    """What `daemon_health` yields: the run observer and the port it serves on."""

    observe: Observer
    port: int | None


@contextlib.asynccontextmanager
async def daemon_health(
    engine: Engine, host: str, port: int | None, account: str
) -> AsyncIterator[Daemon]:
    """`sync --every`: the same server and metrics as a worker's, for one account.

    `observe` counts each run (a `SyncReport` or an error) for `on_run`.
    """
    metrics = FleetMetrics()
    now = [datetime.now(UTC)]
    metrics.registry.register(StoreCollector(engine, lambda: now[0]))
    current_account.set(account)

    def observe(report: Any, error: BaseException | None) -> None:
        now[0] = datetime.now(UTC)
        if report is not None:
            current_account.set(report.account)
            metrics.runs.labels(report.account, report.status).inc()
        if error is not None:
            name = current_account.get() or account
            metrics.errors.labels(name, error_kind(error)).inc()
            metrics.runs.labels(name, "error").inc()

    def ready() -> tuple[bool, str]:
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except Exception as exc:  # any failure to reach the store means not ready
            return False, f"store unreachable: {type(exc).__name__}"
        return True, "ok"

    server = None if port is None else HealthServer(metrics, ready, host, port)
    if server is not None:
        port = await server.start()
    try:
        with RetryCounter(metrics).installed():
            yield Daemon(observe, port)
    finally:
        if server is not None:
            await server.stop()
