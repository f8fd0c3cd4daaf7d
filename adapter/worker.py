"""`pbx-adapter worker`: sync jobs of every account, shared by workers on one PostgreSQL.

Built on procrastinate (a PostgreSQL job queue); nothing here schedules or
locks by hand:

- `schedule` (a periodic task, every `tick` seconds; procrastinate defers one
  job per tick whatever the number of workers) queues a `sync_account` job for
  each account whose last job started `every` or more ago by the sync clock
  (`--every`, 3h by default, per account), unless one is queued or running;
- `sync_account` runs `adapter.sync.run_once` for one account. Its jobs carry
  `lock=account:<name>` (no two run at once, on any machine) and
  `queueing_lock=account:<name>` (at most one waits); a failure is retried by
  procrastinate's retry strategy (`attempts`, `retry_wait`), never delaying
  other accounts: each job is its own task on a worker with `concurrency` slots;
- `recover_stalled` (periodic) puts back the jobs of workers whose heartbeat
  stopped (killed, machine lost) for `stalled_after` seconds; another worker
  takes them, and the sync resumes from the last whole day cached.

Each run is recorded in `fleet_runs` (worker, real-time interval, days,
status, error, retried requests): `pbx-adapter status` and the metrics read it.

The store must be PostgreSQL: the queue and its locks live in the same
database. With SQLite (one process, one machine) the worker refuses and says
to run `pbx-adapter sync --every` instead.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from procrastinate import App, BaseRetryStrategy, JobContext, PsycopgConnector, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Job
from procrastinate.retry import RetryDecision
from procrastinate.schema import SchemaManager
from sqlalchemy import Connection, insert, text, update
from sqlalchemy.engine import make_url

from adapter.accounts import AccountRegistry, account_settings
from adapter.clock import Clock, SystemClock
from adapter.config import Settings
from adapter.errors import AuthError, CapabilityError, ConfigError
from adapter.metrics import FleetMetrics, HealthServer, RetryCounter, StoreCollector, error_kind
from adapter.mockpbx_plane import MockClock
from adapter.runtime import build_source
from adapter.store.schema import fleet_runs
from adapter.store.sql import SqlStore
from adapter.sync import SyncOptions, SyncReport, run_once
from adapter.worker_logs import current_account, run_retries

__all__ = ["SYNC_TASK", "Fleet", "WorkerOptions", "ensure_queue_schema", "libpq_dsn"]

log = logging.getLogger("adapter.worker")

SYNC_TASK = "pbx_adapter.sync_account"
_SCHEMA_LOCK = 7_240_017  # advisory lock id: one worker installs the queue's schema


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    name: str = f"{socket.gethostname()}-{os.getpid()}"
    every: timedelta = timedelta(hours=3)  # per account, by the sync clock
    tick: int = 60  # seconds between scheduling passes (and stalled-job checks)
    concurrency: int = 4  # jobs (accounts) one worker runs at once
    heartbeat: float = 10.0  # seconds between the worker's heartbeats
    stalled_after: float = 30.0  # a worker silent this long is dead: its jobs go back
    attempts: int = 3  # retries of a failed job (procrastinate), per account
    retry_wait: int = 30  # seconds before a failed job is retried
    poll: float = 5.0  # seconds between polls for jobs (LISTEN/NOTIFY wakes it sooner)
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = 9464  # None: no health/metrics server


def libpq_dsn(store_url: str) -> str:
    """The store's SQLAlchemy URL as a libpq connection string for the queue."""
    url = make_url(store_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def ensure_queue_schema(store: SqlStore) -> bool:
    """Install procrastinate's tables once (under an advisory lock); True if it did."""
    with store.engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _SCHEMA_LOCK})
        if conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is not None:
            return False
        raw: Any = conn.connection.driver_connection
        raw.execute(SchemaManager.get_schema())
    log.info("installed the job queue's schema in %s", store.display_url)
    return True


class _Retry(BaseRetryStrategy):
    """procrastinate's RetryStrategy, except for errors a retry cannot mend."""

    def __init__(self, attempts: int, wait: int) -> None:
        self._inner = RetryStrategy(max_attempts=attempts, wait=wait)

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, ConfigError | CapabilityError | AuthError):
            return None
        return self._inner.get_retry_decision(exception=exception, job=job)


class Fleet:
    """One worker process: the queue app, its tasks, the store, metrics and health."""

    def __init__(self, settings: Settings, options: WorkerOptions) -> None:
        self.settings = settings
        self.options = options
        self.store = SqlStore(settings.store)
        if self.store.dialect != "postgresql":
            self.store.close()
            raise ConfigError(
                "pbx-adapter worker needs a PostgreSQL store (--store postgresql://...): the "
                "job queue and the per-account locks live there. With SQLite run "
                "`pbx-adapter sync --every 3h` (one process, one account)",
                setting="store",
            )
        self.accounts = AccountRegistry(self.store.engine)
        self.metrics = FleetMetrics()
        self._now = datetime.now(UTC)  # the sync clock's last reading (metrics' "now")
        collector = StoreCollector(self.store.engine, lambda: self._now, ttl=2.0)
        self.metrics.registry.register(collector)
        self.app = App(connector=PsycopgConnector(conninfo=libpq_dsn(self.store.url)))
        self._ready = False
        self.metrics_port: int | None = None
        self._http: httpx.AsyncClient | None = None
        self._clock: Clock | None = None
        self._register()

    # -- tasks -------------------------------------------------------------------
    def _register(self) -> None:
        app, opts = self.app, self.options
        retry = _Retry(opts.attempts, opts.retry_wait)
        self.sync_task = app.task(name=SYNC_TASK, pass_context=True, retry=retry)(self._sync_job)
        cron = _cron(opts.tick)
        schedule = app.task(name="pbx_adapter.schedule")(self._schedule)
        app.periodic(cron=cron, periodic_id="schedule")(schedule)
        recover = app.task(name="pbx_adapter.recover_stalled", pass_context=True)(self._recover)
        app.periodic(cron=cron, periodic_id="recover")(recover)

    async def _schedule(self, timestamp: int) -> int:
        """Queue a job for every account that is due and has none queued or running."""
        now = await self._clock_now()
        due = await asyncio.to_thread(self.accounts.due, now, self.options.every)
        busy = await self._busy_accounts()
        queued = 0
        for name in due:
            if name in busy:
                continue
            queued += await self.defer(name)
        if queued:
            log.info("scheduled %d account(s)", queued)
        return queued

    async def defer(self, name: str) -> int:
        """Queue `name`'s sync job (0 when one is already waiting)."""
        lock = f"account:{name}"
        try:
            await self.sync_task.configure(lock=lock, queueing_lock=lock).defer_async(account=name)
        except AlreadyEnqueued:
            return 0
        return 1

    async def _busy_accounts(self) -> set[str]:
        manager = self.app.job_manager
        busy: set[str] = set()
        for status in ("todo", "doing"):
            for job in await manager.list_jobs_async(task=SYNC_TASK, status=status):
                busy.add(str(job.task_kwargs.get("account")))
        return busy

    async def _recover(self, context: JobContext, timestamp: int) -> int:
        """Put back the running jobs of workers whose heartbeat stopped."""
        manager = context.app.job_manager
        stalled = await manager.get_stalled_jobs(seconds_since_heartbeat=self.options.stalled_after)
        for job in stalled:
            log.warning("job %s (%s) lost its worker: retrying it", job.id, job.task_kwargs)
            await manager.retry_job(job)
        return len(list(stalled))

    async def _sync_job(self, context: JobContext, account: str) -> str:
        """One account's run, recorded in `fleet_runs`; errors go up for the retry strategy."""
        async with self._exclusive(account):
            with _account_context(account):
                return await self._recorded(account, context.job.id)

    async def _recorded(self, account: str, job_id: int | None) -> str:
        run_id = await asyncio.to_thread(self._begin, account, job_id)
        started = time.perf_counter()
        try:
            report = await self._run(account)
        except Exception as exc:
            await self._failed(run_id, account, exc)
            raise
        finally:
            self.metrics.duration.labels(account).observe(time.perf_counter() - started)
        await asyncio.to_thread(self._end, run_id, report, None, None)
        self.metrics.runs.labels(account, report.status).inc()
        return report.status

    @asynccontextmanager
    async def _exclusive(self, account: str) -> AsyncIterator[None]:
        """Hold a PostgreSQL session lock on `account` while its run lasts.

        procrastinate's `lock` keeps two jobs of an account apart while the queue
        knows who runs them; a worker whose heartbeat stalls (slow, not dead)
        would still have its job handed to another. This lock goes with the
        holder's connection, so it is free exactly when the holder is gone.
        """
        conn = await asyncio.to_thread(self.store.engine.connect)
        try:
            await asyncio.to_thread(_advisory, conn, "pg_advisory_lock", account)
            try:
                yield
            finally:
                await asyncio.to_thread(_advisory, conn, "pg_advisory_unlock", account)
        finally:
            await asyncio.to_thread(conn.close)

    async def _run(self, name: str) -> SyncReport:
        account = await asyncio.to_thread(self.accounts.get, name)
        if account is None:
            raise ConfigError(f"account {name!r} was removed", setting="account")
        settings = account_settings(self.settings, account)
        clock = self._require_clock()
        now = await self._clock_now()
        await asyncio.to_thread(self.accounts.started, name, now)
        source = build_source(settings, self._require_http())
        try:
            info = await source.account()
            await asyncio.to_thread(self.accounts.started, name, now, info.key)
            options = SyncOptions(backfill_days=settings.backfill_days, every=self.options.every)
            return await run_once(source, self.store, clock, options)
        finally:
            await source.aclose()

    async def _failed(self, run_id: int, account: str, exc: Exception) -> None:
        kind = error_kind(exc)
        self.metrics.errors.labels(account, kind).inc()
        self.metrics.runs.labels(account, "error").inc()
        log.error("sync failed (%s): %s", kind, exc)
        await asyncio.to_thread(self._end, run_id, None, f"{kind}: {exc}", kind)

    # -- fleet_runs ---------------------------------------------------------------
    def _begin(self, account: str, job_id: int | None) -> int:
        row = {
            "account": account,
            "worker": self.options.name,
            "job_id": job_id,
            "started_us": _micros(),
            "status": "running",
        }
        with self.store.engine.begin() as conn:
            key = conn.execute(insert(fleet_runs).values(**row)).inserted_primary_key
        return int(key[0]) if key else 0

    def _end(
        self, run_id: int, report: SyncReport | None, error: str | None, kind: str | None
    ) -> None:
        retries = run_retries.get() or [0]
        values: dict[str, Any] = {
            "finished_us": _micros(),
            "status": "error" if report is None else report.status,
            "error": error,
            "error_kind": kind,
            "retries": retries[0],
        }
        if report is not None:
            values.update(
                date_from=report.date_from, date_to=report.date_to, days=report.days,
                calls=report.calls,
            )  # fmt: skip
        with self.store.engine.begin() as conn:
            conn.execute(update(fleet_runs).where(fleet_runs.c.id == run_id).values(**values))

    # -- running -----------------------------------------------------------------
    def _require_http(self) -> httpx.AsyncClient:
        if self._http is None:
            raise RuntimeError("the worker is not running")
        return self._http

    def _require_clock(self) -> Clock:
        if self._clock is None:
            raise RuntimeError("the worker is not running")
        return self._clock

    async def _clock_now(self) -> datetime:
        self._now = await self._require_clock().now()
        return self._now

    def ready(self) -> tuple[bool, str]:
        """Readiness: the worker takes jobs and the store answers."""
        if not self._ready:
            return False, "starting"
        try:
            with self.store.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # any failure to reach the store means not ready
            return False, f"store unreachable: {type(exc).__name__}"
        return True, "ok"

    async def run(self) -> None:
        """Work until stopped (SIGINT/SIGTERM finish the running jobs first)."""
        await asyncio.to_thread(ensure_queue_schema, self.store)
        timeout = httpx.Timeout(self.settings.timeout)
        opts = self.options
        health: HealthServer | None = None
        async with httpx.AsyncClient(timeout=timeout) as http, self.app.open_async():
            self._http = http
            mock = self.settings.mockpbx
            self._clock = MockClock(http, mock) if mock else SystemClock()
            port = opts.metrics_port
            if port is not None:
                health = HealthServer(self.metrics, self.ready, opts.metrics_host, port)
                self.metrics_port = await health.start()
            try:
                with RetryCounter(self.metrics).installed():
                    self._ready = True
                    log.info("worker %s started (concurrency %d)", opts.name, opts.concurrency)
                    await self.app.run_worker_async(
                        name=opts.name,
                        concurrency=opts.concurrency,
                        update_heartbeat_interval=opts.heartbeat,
                        stalled_worker_timeout=opts.stalled_after,
                        fetch_job_polling_interval=opts.poll,
                        delete_jobs="successful",
                    )
            finally:
                self._ready = False
                if health is not None:
                    await health.stop()

    def close(self) -> None:
        self.store.close()


@contextmanager
def _account_context(account: str) -> Iterator[None]:
    """The account (and a retry counter) for every log line of the job's tasks."""
    token = current_account.set(account)
    retries = run_retries.set([0])
    try:
        yield
    finally:
        run_retries.reset(retries)
        current_account.reset(token)


def _advisory(conn: Connection, function: str, account: str) -> None:
    conn.execute(text(f"SELECT {function}(hashtextextended(:a, 17))"), {"a": account})
    conn.commit()


def _cron(tick: int) -> str:
    """A cron line for every `tick` seconds (seconds are croniter's sixth field)."""
    if tick < 60:
        return f"* * * * * */{max(1, tick)}"
    return f"*/{max(1, tick // 60)} * * * *"


def _micros() -> int:
    return time.time_ns() // 1000
