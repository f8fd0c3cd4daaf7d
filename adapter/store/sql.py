"""`SqlStore`: the cache in SQLite (a file, zero setup) or PostgreSQL (a DSN).

One implementation over SQLAlchemy Core; the dialects differ only in the
upsert statement and connection pragmas. The schema is brought to the
newest migration when the store opens (alembic, version table
`adapter_schema_version`); a database migrated by a newer adapter is refused.
Every write of calls also gives their days a new stamp in `call_days`
(`mark_days`, same transaction): the report rollups' change markers.
Tables come from `adapter.store.schema`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from adapter.errors import ConfigError, StoreError
from adapter.model import CallRecord, Direction
from adapter.store.base import RunSummary, SyncState, batched
from adapter.store.schema import calls, metadata, sync_runs, sync_state

__all__ = [
    "DEFAULT_STORE",
    "SqlStore",
    "normalize_url",
    "open_store",
    "record_from_row",
    "row_dict",
]

log = logging.getLogger("adapter.store")

DEFAULT_STORE = "sqlite:///pbx-adapter.sqlite3"
MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "adapter_schema_version"
READ_CACHE_KIB = 32 * 1024  # reports: the rollup builds' index pages of a year stay cached
DEFAULT_CACHE_SIZE = -2000  # SQLite's own default (KiB when negative)
BATCH = 5000
_CALL_KEY = ("provider", "provider_call_id", "account")  # the calls' primary key


def normalize_url(url: str) -> str:
    """`sqlite:///PATH`, a bare file path, or a PostgreSQL DSN -> a SQLAlchemy URL."""
    text = url.strip()
    if not text:
        raise ConfigError("the store URL is empty", setting="store")
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    if "://" not in text:
        return f"sqlite:///{text}"
    return text


def open_store(url: str) -> SqlStore:
    return SqlStore(url)


class SqlStore:
    """The call cache and sync state in one SQL database."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        try:
            parsed = make_url(self.url)
        except ArgumentError as exc:
            raise ConfigError(f"the store URL is not valid: {url!r}", setting="store") from exc
        if parsed.get_backend_name() not in ("sqlite", "postgresql"):
            raise ConfigError(
                f"the store must be sqlite:///PATH or a PostgreSQL DSN, not {url!r}",
                setting="store",
            )
        self.dialect = parsed.get_backend_name()
        self.engine = self._engine(parsed.database or "")
        try:
            self.migrate()
        except BaseException:
            self.engine.dispose()
            raise

    def _engine(self, database: str) -> Engine:
        if self.dialect == "sqlite":
            if database and database != ":memory:":
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(self.url)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(self.url, pool_pre_ping=True)

    def migrate(self) -> None:
        """Bring the schema to the newest migration (no-op when it is there), atomically.

        The whole upgrade is one transaction on both databases, so a crash
        leaves the old schema or the new one, never half of it: PostgreSQL
        has transactional DDL; on SQLite pysqlite would commit each CREATE
        on its own, so the driver's transaction handling is switched off and
        the upgrade runs inside our own `BEGIN IMMEDIATE` (which also makes
        two processes opening a new store migrate one after the other).
        A half-made store left by an older adapter is repaired (`_repair`).
        """
        from alembic import command
        from alembic.config import Config
        from alembic.util.exc import CommandError

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            if self._at_head():
                return  # the usual case: no lock taken, no migration script loaded
            with self._ddl_transaction() as conn:
                before = _revision(conn)  # again: another process may have migrated meanwhile
                if before is None:
                    _repair(conn, self.display_url)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                after = _revision(conn)
        except CommandError as exc:
            raise StoreError(
                f"the store's schema is not one this adapter knows (newer adapter?): {exc}"
            ) from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open the store {self.display_url}: {exc}") from exc
        if after != before:
            log.info("store %s: schema %s -> %s", self.display_url, before or "(empty)", after)

    def _at_head(self) -> bool:
        with self.engine.connect() as conn:
            current = _revision(conn)
        return current is not None and current == _head()

    @contextmanager
    def _ddl_transaction(self) -> Iterator[Connection]:
        """A connection inside one transaction that covers DDL too (see `migrate`)."""
        if self.dialect != "sqlite":
            with self.engine.begin() as conn:
                yield conn
            return
        with self.engine.connect() as plain:
            conn = plain.execution_options(isolation_level="AUTOCOMMIT")  # pysqlite: hands off
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                with contextlib.suppress(SQLAlchemyError):  # SQLite may have rolled back already
                    conn.exec_driver_sql("ROLLBACK")
                raise
            conn.exec_driver_sql("COMMIT")

    @property
    def display_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def read_cache(self, conn: Connection) -> Iterator[None]:
        """A big page cache on `conn` while a report scans a year (SQLite; the
        connection goes back to the pool with the default)."""
        if self.dialect != "sqlite":
            yield
            return
        conn.exec_driver_sql(f"PRAGMA cache_size=-{READ_CACHE_KIB}")
        try:
            yield
        finally:
            conn.exec_driver_sql(f"PRAGMA cache_size={DEFAULT_CACHE_SIZE}")

    # -- writes ------------------------------------------------------------------
    def replace_day(
        self, account: str, day: date, tz: ZoneInfo, records: Sequence[CallRecord]
    ) -> int:
        return self.replace_days(account, [(day, records)], tz)[0]

    def replace_days(
        self, account: str, days: Sequence[tuple[date, Sequence[CallRecord]]], tz: ZoneInfo
    ) -> list[int]:
        """`replace_day` for several days in one transaction (one commit: on a large
        cache each commit copies every index page the day touched into the WAL)."""
        loaded = _epoch(datetime.now(UTC))
        written: list[int] = []
        with self._begin() as conn:
            for day, records in days:
                lo, hi = _day_bounds(day, tz)
                conn.execute(
                    delete(calls).where(
                        calls.c.account == account,
                        calls.c.started_at >= lo,
                        calls.c.started_at < hi,
                    )
                )
                written.append(self._write(conn, records, tz, loaded))
            mark_days(conn, [day for day, _ in days])  # the reports' rollups are stale
        return written

    def upsert(self, records: Sequence[CallRecord], tz: ZoneInfo | None = None) -> int:
        loaded = _epoch(datetime.now(UTC))
        with self._begin() as conn:
            mark_records(conn, records, tz)  # the reports' rollups of their days are stale
            return self._write(conn, records, tz, loaded)

    def _write(
        self, conn: Connection, records: Sequence[CallRecord], tz: ZoneInfo | None, loaded: int
    ) -> int:
        """Bulk upsert through the driver's executemany (SQLAlchemy's per-row parameter
        processing would cost more than the database itself)."""
        unique = list({(r.account, *r.key): r for r in records}.values())  # one row per key
        if self.dialect == "postgresql":
            return self._copy_pg(conn, unique, tz, loaded)
        sql = self._upsert_sql
        written = 0
        for batch in batched(unique, BATCH):
            rows = [_values(r, tz, loaded, True) for r in batch]  # SQLite dates are ISO text
            conn.exec_driver_sql(sql, rows)
            written += len(rows)
        return written

    def _copy_pg(
        self, conn: Connection, records: Sequence[CallRecord], tz: ZoneInfo | None, loaded: int
    ) -> int:
        """PostgreSQL: COPY into a session-local staging table, then one upserting INSERT."""
        if not records:
            return 0
        names = ", ".join(_COLUMNS)
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cur:
            cur.execute(
                "CREATE TEMP TABLE IF NOT EXISTS calls_load "
                "(LIKE calls INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
            with cur.copy(f"COPY calls_load ({names}) FROM STDIN") as copy:
                for record in records:
                    copy.write_row(_values(record, tz, loaded, False))
            cur.execute(_upsert(f"SELECT {names} FROM calls_load"))
            cur.execute("DELETE FROM calls_load")
        return len(records)

    @functools.cached_property
    def _upsert_sql(self) -> str:
        mark = "?" if self.dialect == "sqlite" else "%s"
        return _upsert(f"VALUES ({', '.join([mark] * len(_COLUMNS))})")

    def _begin(self) -> Any:
        try:
            return self.engine.begin()
        except SQLAlchemyError as exc:  # pragma: no cover - connection failures
            raise StoreError(f"store {self.display_url}: {exc}") from exc

    # -- sync state ----------------------------------------------------------------
    def last_call_at(self, account: str) -> datetime | None:
        query = (
            select(calls.c.started_at, calls.c.utc_offset)
            .where(calls.c.account == account)
            .order_by(calls.c.started_at.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _aware(row[0], row[1])

    def begin_run(
        self,
        account: str,
        provider: str,
        timezone: str,
        now: datetime,
        day_from: date,
        day_to: date,
    ) -> int:
        ts = _epoch(now)
        with self._begin() as conn:
            exists = conn.execute(
                select(sync_state.c.runs).where(sync_state.c.account == account)
            ).first()
            values = {
                "provider": provider,
                "timezone": timezone,
                "last_run_started": ts,
                "last_run_finished": None,
                "last_status": "running",
                "last_error": None,
            }
            if exists is None:
                conn.execute(insert(sync_state).values(account=account, runs=1, **values))
            else:
                conn.execute(
                    update(sync_state)
                    .where(sync_state.c.account == account)
                    .values(runs=sync_state.c.runs + 1, **values)
                )
            result = conn.execute(
                insert(sync_runs).values(
                    account=account,
                    started_at=ts,
                    date_from=day_from,
                    date_to=day_to,
                    status="running",
                    days=0,
                    calls=0,
                )
            )
            key = result.inserted_primary_key
            return int(key[0]) if key else 0

    def finish_run(
        self,
        run_id: int,
        now: datetime,
        *,
        status: str,
        days: int,
        calls: int,
        error: str | None = None,
        loaded_until: date | None = None,
        late_calls: int = 0,
    ) -> None:
        ts = _epoch(now)
        with self._begin() as conn:
            account = conn.execute(
                select(sync_runs.c.account).where(sync_runs.c.id == run_id)
            ).scalar_one()
            conn.execute(
                update(sync_runs)
                .where(sync_runs.c.id == run_id)
                .values(
                    finished_at=ts,
                    status=status,
                    days=days,
                    calls=calls,
                    error=error,
                    late_calls=late_calls,
                )
            )
            values: dict[str, Any] = {
                "last_run_finished": ts,
                "last_status": status,
                "last_error": error,
                "last_run_calls": calls,
                "last_call_at": self._last_ts(conn, account),
                "late_calls": sync_state.c.late_calls + late_calls,
            }
            if loaded_until is not None:
                values["loaded_until"] = loaded_until
            conn.execute(update(sync_state).where(sync_state.c.account == account).values(**values))

    def call_keys(self, account: str, start: datetime, end: datetime) -> set[tuple[str, str]]:
        query = select(calls.c.provider, calls.c.provider_call_id).where(
            calls.c.account == account,
            calls.c.started_at >= _epoch(start),
            calls.c.started_at < _epoch(end),
        )
        with self.engine.connect() as conn:
            return {(str(p), str(c)) for p, c in conn.execute(query)}

    def _last_ts(self, conn: Connection, account: str) -> int | None:
        query = select(func.max(calls.c.started_at)).where(calls.c.account == account)
        value = conn.execute(query).scalar()
        return None if value is None else int(value)

    def state(self, account: str) -> SyncState | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(sync_state).where(sync_state.c.account == account)).first()
        return None if row is None else _state(row._mapping)

    def states(self) -> list[SyncState]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(sync_state).order_by(sync_state.c.account)).all()
        return [_state(row._mapping) for row in rows]

    def runs(self, account: str | None = None, limit: int = 10) -> list[RunSummary]:
        query = select(sync_runs).order_by(sync_runs.c.id.desc()).limit(limit)
        if account is not None:
            query = query.where(sync_runs.c.account == account)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [_run(row._mapping) for row in rows]

    # -- reads ---------------------------------------------------------------------
    def iter_calls(
        self,
        start: datetime,
        end: datetime,
        *,
        account: str | None = None,
        phone: str | None = None,
    ) -> Iterator[CallRecord]:
        query = (
            select(calls)
            .where(calls.c.started_at >= _epoch(start), calls.c.started_at < _epoch(end))
            .order_by(calls.c.started_at, calls.c.provider, calls.c.provider_call_id)
        )
        if account is not None:
            query = query.where(calls.c.account == account)
        if phone is not None:
            query = query.where(calls.c.contact_number == phone)
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(query)
            for row in result:
                yield record_from_row(row._mapping)

    def count_calls(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        account: str | None = None,
    ) -> int:
        query = select(func.count()).select_from(calls)
        if start is not None:
            query = query.where(calls.c.started_at >= _epoch(start))
        if end is not None:
            query = query.where(calls.c.started_at < _epoch(end))
        if account is not None:
            query = query.where(calls.c.account == account)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())


# -- day stamps: the report rollups' change markers (`schema.call_days`) ----------------
def mark_days(conn: Connection, days: Iterable[date]) -> None:
    """Give each day a new change stamp, in the caller's transaction (see `schema.call_days`).

    Through the driver (one statement per sync'd day, kept cheap for the sync job)."""
    stamp = uuid.uuid4().hex
    pg = conn.dialect.name == "postgresql"
    rows = [(d if pg else d.isoformat(), stamp) for d in sorted(set(days))]
    if rows:
        conn.exec_driver_sql(_MARK_PG if pg else _MARK_SQLITE, rows)


_MARK_SQLITE = (
    "INSERT INTO call_days (local_date, stamp) VALUES (?, ?) "
    "ON CONFLICT (local_date) DO UPDATE SET stamp = excluded.stamp"
)
_MARK_PG = _MARK_SQLITE.replace("?", "%s")


def mark_records(conn: Connection, records: Sequence[CallRecord], tz: ZoneInfo | None) -> None:
    """Stamp the days of `records` (`CallRecord`s, their day in `tz` or their own offset)
    and the days the same calls were on before (an upsert may move a call)."""
    days = {(r.started_at if tz is None else r.started_at.astimezone(tz)).date() for r in records}
    by_provider: dict[str, list[str]] = {}
    for r in records:
        by_provider.setdefault(r.provider, []).append(r.provider_call_id)
    for provider, ids in by_provider.items():
        for start in range(0, len(ids), 500):
            query = (
                select(calls.c.local_date)
                .distinct()
                .where(
                    calls.c.provider == provider,
                    calls.c.provider_call_id.in_(ids[start : start + 500]),
                )
            )
            days.update(_as_day(d) for d in conn.execute(query).scalars())
    mark_days(conn, days)


def _as_day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# -- helpers ---------------------------------------------------------------------------
def _repair(conn: Connection, display_url: str) -> None:
    """A store with some of our tables but no schema version: drop them if all are empty.

    Earlier adapters migrated SQLite without a transaction, and a kill
    in its first run left tables without a version (every later open then
    failed with "table calls already exists"). Empty tables hold nothing to
    lose, so they are dropped and the migrations run afresh; a store whose
    tables hold rows is refused instead, never dropped.
    """
    from sqlalchemy import inspect, table

    present = set(inspect(conn).get_table_names()) & set(metadata.tables)
    if not present:
        return
    holding = sorted(
        name
        for name in present
        if conn.execute(select(func.count()).select_from(table(name))).scalar_one()
    )
    if holding:
        raise StoreError(
            f"the store {display_url} has tables ({', '.join(holding)}) with rows but no "
            f"schema version ({VERSION_TABLE}): not an adapter store this adapter can migrate"
        )
    log.warning(
        "store %s: repairing a half-made schema (%s)", display_url, ", ".join(sorted(present))
    )
    for name in [t.name for t in reversed(metadata.sorted_tables) if t.name in present]:
        conn.exec_driver_sql(f'DROP TABLE "{name}"')


@functools.cache
def _head() -> str | None:
    """The newest migration's revision (read once per process)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def _revision(conn: Connection) -> str | None:
    from alembic.migration import MigrationContext

    context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # The page cache stays at SQLite's default (~2 MB) for the sync: a bigger one buys it
    # nothing and its memory would grow with the cache file; reports' scans take
    # `READ_CACHE_KIB` on their own connection (`SqlStore.read_cache`).
    cursor.execute("PRAGMA temp_store=MEMORY")
    # Checkpoint the WAL every ~40 MiB instead of 4 MiB: an index page rewritten by
    # several days' loads is copied (and fsynced) into the file once, not each time.
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


def _epoch(when: datetime) -> int:
    if when.tzinfo is None:
        raise ValueError(f"naive datetime {when!r}")
    return int(when.timestamp())


def _aware(ts: int, offset_minutes: int) -> datetime:
    return datetime.fromtimestamp(ts, timezone(timedelta(minutes=offset_minutes)))


def _day_bounds(day: date, tz: ZoneInfo) -> tuple[int, int]:
    lo = datetime.combine(day, time(0), tz)
    hi = datetime.combine(day + timedelta(days=1), time(0), tz)
    return _epoch(lo), _epoch(hi)


def _values(r: CallRecord, tz: ZoneInfo | None, loaded: int, date_as_text: bool) -> tuple[Any, ...]:
    """One `calls` row, in column order (see `schema.calls`)."""
    started = r.started_at if tz is None else r.started_at.astimezone(tz)
    offset = started.utcoffset() or timedelta(0)
    day = started.date()
    urls = r.recording_urls
    return (
        r.provider,
        r.provider_call_id,
        r.account,
        int(started.timestamp()),
        int(offset.total_seconds()) // 60,
        day.isoformat() if date_as_text else day,
        None if r.finished_at is None else int(r.finished_at.timestamp()),
        r.direction.value,
        r.contact_number,
        r.virtual_number,
        r.answered,
        r.wait_seconds,
        r.talk_seconds,
        r.employee_id,
        r.employee_name,
        r.sip_line,
        r.line_description,
        orjson.dumps(urls).decode() if urls else None,
        r.utm_source,
        r.utm_medium,
        r.utm_campaign,
        r.utm_term,
        r.utm_content,
        r.referrer,
        r.finish_reason,
        loaded,
    )


_COLUMNS = tuple(c.name for c in calls.c)


def row_dict(r: CallRecord, tz: ZoneInfo | None, loaded: int) -> dict[str, Any]:
    """One `calls` row as a mapping, for SQLAlchemy Core statements (dates as `date`)."""
    return dict(zip(_COLUMNS, _values(r, tz, loaded, False), strict=True))


def _upsert(source: str) -> str:
    """INSERT INTO calls from `source` (VALUES or SELECT), updating rows that exist."""
    updates = ", ".join(f"{n} = excluded.{n}" for n in _COLUMNS if n not in _CALL_KEY)
    return (
        f"INSERT INTO calls ({', '.join(_COLUMNS)}) {source} "
        f"ON CONFLICT ({', '.join(_CALL_KEY)}) DO UPDATE SET {updates}"
    )


def record_from_row(m: Any) -> CallRecord:
    """A `calls` row (mapping) back to a CallRecord, times in the stored offset."""
    offset = m["utc_offset"]
    urls = m["recording_urls"]
    return CallRecord(
        provider=m["provider"],
        provider_call_id=m["provider_call_id"],
        account=m["account"],
        started_at=_aware(m["started_at"], offset),
        finished_at=None if m["finished_at"] is None else _aware(m["finished_at"], offset),
        direction=Direction(m["direction"]),
        contact_number=m["contact_number"],
        virtual_number=m["virtual_number"],
        answered=bool(m["answered"]),
        wait_seconds=m["wait_seconds"],
        talk_seconds=m["talk_seconds"],
        employee_id=m["employee_id"],
        employee_name=m["employee_name"],
        sip_line=m["sip_line"],
        line_description=m["line_description"],
        recording_urls=tuple(orjson.loads(urls)) if urls else (),
        utm_source=m["utm_source"],
        utm_medium=m["utm_medium"],
        utm_campaign=m["utm_campaign"],
        utm_term=m["utm_term"],
        utm_content=m["utm_content"],
        referrer=m["referrer"],
        finish_reason=m["finish_reason"],
    )


def _ts(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _state(m: Any) -> SyncState:
    tz = ZoneInfo(m["timezone"])
    last = m["last_call_at"]
    return SyncState(
        account=m["account"],
        provider=m["provider"],
        timezone=m["timezone"],
        last_call_at=None if last is None else datetime.fromtimestamp(last, tz),
        loaded_until=m["loaded_until"],
        last_run_started=_ts(m["last_run_started"]),
        last_run_finished=_ts(m["last_run_finished"]),
        last_status=m["last_status"],
        last_error=m["last_error"],
        last_run_calls=m["last_run_calls"],
        runs=m["runs"] or 0,
        late_calls=m["late_calls"] or 0,
    )


def _run(m: Any) -> RunSummary:
    started = _ts(m["started_at"])
    assert started is not None
    return RunSummary(
        account=m["account"],
        started_at=started,
        finished_at=_ts(m["finished_at"]),
        date_from=m["date_from"],
        date_to=m["date_to"],
        status=m["status"],
        days=m["days"],
        calls=m["calls"],
        error=m["error"],
        late_calls=m["late_calls"] or 0,
    )
