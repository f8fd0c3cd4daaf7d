"""Daily rollups: the per-call work of a report done once per cached day, then summed.

A cached day never changes unless the sync re-loads it, so the per-call
part of a report (which channel, new caller or not, who took it) is kept per
day in `report_rollup` (kind `ch`: calls and distinct callers per channel
row; kind `adm`: new-caller calls and answered ones per administrator).

A day's rollup is valid while its *fingerprint* (the day's change stamp in
`call_days`, renewed in the same transaction by every write of the day's
calls: `SqlStore.replace_day` / `upsert`) and the clinic
data *version* (changed by every import and saved comment, since both
decide channels, new callers and who took a call) are the ones it was
built with; stale or missing days are rebuilt, in one pass, before the
report reads them. Only the cache part of a report uses rollups, and only
when the cache's days (`calls.local_date`, the account's timezone) are the
report's days; the provider's part is always computed from its calls.

Bookings (kinds `chbk:N`, `admbk:N`, N = booking days) are rolled up by
the day of the call they are attributed to, only for days whose bookings
are settled: every call that could still take them (up to N days later)
is cached (`booking_upto`). A day's booking rollup is rebuilt with the
clinic data version or its own fingerprint; the later days it depends on
are closed days of the cache, which a re-sync only replaces with the same
history.

The rollup of a day holds exactly what the direct SQL over that day's calls
gives, so a report is the same with or without it (tests compare both).

**Other writers.** Reports in other processes, the sync and clinic imports
write at the same time. A report reads a kind's marks and the current
fingerprints and version; when nothing is stale it reads the rows without any
lock and checks the fingerprints and version again *after* them: a stamp or
version is never given twice, so equal means the rows are still the right
ones (else, and when days are stale, the rows are read under the write lock).
Stale days are built outside any lock, then written in a fresh transaction
(the report's read transaction ends first: SQLite cannot turn a read whose
snapshot another connection committed past into a write) that takes the lock
those writers wait for: SQLite `BEGIN IMMEDIATE`, PostgreSQL
`LOCK TABLE call_days, clinic_meta IN SHARE ROW EXCLUSIVE MODE` (it also
serializes the reports' rollup writes). Under it what is stale is computed
again: days another report wrote meanwhile are used as they are, rows built
for fingerprints that changed since are built again, and the rows are read
before the commit. A write that conflicts (rows another writer put in first:
IntegrityError) or does not get its lock in time (busy, deadlock) is rolled
back and tried again (`WRITE_TRIES`, tenacity), then fails as `StoreError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, delete, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from adapter.errors import StoreError
from adapter.reports.window import CallWindow
from adapter.store.schema import call_days, clinic_meta, report_rollup, report_rollup_days

__all__ = [
    "RollupRow",
    "booking_upto",
    "cached_calls",
    "cached_days",
    "read_rollup",
    "rolled_until",
    "unrolled",
]

RollupRow = tuple[date, str, int, int, Any]  # day, key (JSON), n, m, extra (JSON-able)
Builder = Callable[[CallWindow, date, date], Iterable[RollupRow]]


def cached_days(window: CallWindow) -> tuple[date, date] | None:
    """The whole days of the window's cache part (first, last), or None."""
    part = window.parts[0]
    hi = min(part.hi, window.hi)
    if part.lo >= hi or not window.rollups:
        return None
    tz = window.period.tz
    first = datetime.fromtimestamp(part.lo, tz).date()
    last = datetime.fromtimestamp(hi, tz).date() - timedelta(days=1)
    return (first, last) if first <= last else None


def read_rollup(
    window: CallWindow, kind: str, build: Builder, upto: date | None = None, depends: int = 0
) -> list[RollupRow] | None:
    """The kind's rollup rows over the cache part (days up to `upto`), rebuilt where stale.

    None when rollups cannot be used for this window.
    """
    days = rolled_days(window, upto)
    if days is None:
        return None
    span = _Span(kind, days[0], days[1], depends)
    conn = window.conn
    marks = _marks(conn, span)
    version, stamps = _stamps(conn, span)
    stale = _due(marks, version, _fingerprints(span, stamps))
    if not stale:
        rows = _rows(conn, span)
        if _stamps(conn, span) == (version, stamps):  # read after the rows: they are valid now
            return rows
        built = _Built(version, {}, [])  # changed meanwhile: settled under the write lock
    else:  # the stored rows are not read: they are read once written
        built = _Built(version, stale, _build(window, stale, build))
    try:
        return _retrying()(_write, window, span, build, built)
    except SQLAlchemyError as exc:
        raise StoreError(f"the report's {kind!r} rollups could not be written: {exc}") from exc


def cached_calls(window: CallWindow) -> int | None:
    """The number of cached calls in the period from the `calls` rollup (calls per day,
    both directions); None when rollups cannot serve the whole cache part."""
    days = cached_days(window)
    part = window.parts[0]
    if days is None or part.lo != _midnight(window, days[0]):
        return None
    if min(part.hi, window.hi) != _midnight(window, days[1] + timedelta(days=1)):
        return None
    rows = read_rollup(window, "calls", _build_calls)
    return None if rows is None else sum(r[2] for r in rows)


def _build_calls(window: CallWindow, first: date, last: date) -> list[RollupRow]:
    sql = text(
        "SELECT local_date, COUNT(*) FROM calls "
        "WHERE local_date >= :a AND local_date <= :b GROUP BY local_date"
    )
    rows = window.conn.execute(sql, {"a": first, "b": last})
    return [(_day(d), "[]", int(n), 0, None) for d, n in rows]


def _midnight(window: CallWindow, day: date) -> int:
    return int(datetime.combine(day, datetime.min.time(), window.period.tz).timestamp())


def rolled_days(window: CallWindow, upto: date | None = None) -> tuple[date, date] | None:
    days = cached_days(window)
    if days is None:
        return None
    first, last = days[0], days[1] if upto is None else min(days[1], upto)
    return (first, last) if first <= last else None


def booking_upto(window: CallWindow, booking_days: int) -> date | None:
    """The last cached day whose bookings are settled: every call that could take them
    (up to `booking_days` later) is cached too."""
    split = window.sources.cache_until
    if split is None:
        return None
    return split.date() - timedelta(days=booking_days + 1)


def unrolled(window: CallWindow, upto: date | None, rolled: bool) -> list[tuple[int, int]]:
    """The parts of the period (epoch ranges) that the rolled-up days do not cover."""
    days = rolled_days(window, upto) if rolled else None
    if days is None:
        return [(window.lo, window.hi)]
    tz = window.period.tz
    lo = int(datetime.combine(days[0], datetime.min.time(), tz).timestamp())
    hi = rolled_until(window, upto)
    return [(a, b) for a, b in ((window.lo, lo), (hi, window.hi)) if a < b]


def rolled_until(window: CallWindow, upto: date | None) -> int:
    """Epoch where the rollup's days end (the period start when there are none)."""
    days = rolled_days(window, upto)
    if days is None:
        return window.lo
    end = datetime.combine(days[1] + timedelta(days=1), datetime.min.time(), window.period.tz)
    return int(end.timestamp())


FORMAT = "3"  # bump when what a rollup row holds changes: every day is rebuilt


@dataclass(frozen=True, slots=True)
class _Span:
    """One kind's rolled-up days, and how many later days each day's rollup depends on."""

    kind: str
    first: date
    last: date
    depends: int = 0


@dataclass(slots=True)
class _Built:
    """Rows built outside the write lock, for the stale days' fingerprints and version;
    `rows` is dropped once written (a year of them need not stay alive beside the rows
    read back, and a retry after that builds again)."""

    version: str
    stale: dict[date, str]
    rows: list[RollupRow] | None


def _marks(conn: Connection, span: _Span) -> dict[date, tuple[str, str]]:
    """What each day's stored rollup was built with: (fingerprint, version)."""
    t = report_rollup_days
    query = select(t).where(t.c.kind == span.kind, t.c.local_date.between(span.first, span.last))
    return {_day(r.local_date): (r.fingerprint, r.version) for r in conn.execute(query)}


def _rows(conn: Connection, span: _Span) -> list[RollupRow]:
    t = report_rollup
    query = select(t).where(t.c.kind == span.kind, t.c.local_date.between(span.first, span.last))
    out: list[RollupRow] = []
    for r in conn.execute(query).all():
        extra = orjson.loads(r.contacts) if r.contacts else None
        out.append((r.local_date, r.key, int(r.n), int(r.m), extra))
    return out


def _current(conn: Connection, span: _Span) -> tuple[str, dict[date, str]]:
    """The clinic data version and each day's fingerprint, as they are now."""
    version, stamps = _stamps(conn, span)
    return version, _fingerprints(span, stamps)


def _stamps(conn: Connection, span: _Span) -> tuple[str, dict[date, str]]:
    """The clinic data version and the change stamps of the span's days (and the
    `depends` days after it), as they are now: what the fingerprints derive from."""
    query = select(clinic_meta.c.value).where(clinic_meta.c.key == "version")
    version = f"{FORMAT}:{conn.execute(query).scalar() or 'none'}"
    stop = span.last + timedelta(days=span.depends)
    query = select(call_days.c.local_date, call_days.c.stamp).where(
        call_days.c.local_date.between(span.first, stop)
    )
    return version, {_day(d): str(fp) for d, fp in conn.execute(query)}


def _fingerprints(span: _Span, stamps: dict[date, str]) -> dict[date, str]:
    """Each day's fingerprint: its change stamp in `call_days` (every write of the
    day's calls gives it a new one, never an old one again); with `depends`, it
    also covers the `depends` days after it."""
    if not span.depends:
        return {d: fp for d, fp in stamps.items() if d <= span.last}
    now: dict[date, str] = {}
    for i in range((span.last - span.first).days + 1):
        d = span.first + timedelta(days=i)
        later = [stamps.get(d + timedelta(days=k), "0") for k in range(span.depends + 1)]
        if any(fp != "0" for fp in later):
            now[d] = _digest(later)
    return now


def _due(marks: dict[date, tuple[str, str]], version: str, now: dict[date, str]) -> dict[date, str]:
    """Days whose rollup is missing or out of date -> their current fingerprint."""
    stale = {d: fp for d, fp in now.items() if marks.get(d) != (fp, version)}
    stale |= {d: "0" for d in marks if d not in now and marks[d] != ("0", version)}
    return stale


def _digest(parts: list[str]) -> str:
    return hashlib.sha1("|".join(parts).encode()).hexdigest()


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _build(window: CallWindow, stale: dict[date, str], build: Builder) -> list[RollupRow]:
    return [r for r in build(window, min(stale), max(stale)) if r[0] in stale]


def _write(window: CallWindow, span: _Span, build: Builder, built: _Built) -> list[RollupRow]:
    """Write the stale days' rollups under the write lock, then read the kind's rows.

    The read transaction ends first (SQLite cannot turn a read whose snapshot
    another connection has committed past into a write). Under the lock no
    one changes the calls' stamps, the version or the rollups, so what is
    stale is known exactly: days another report wrote meanwhile are not
    written again, and rows built outside the lock are written only for the
    fingerprints they were built from (else the days are built again here).
    """
    conn = window.conn
    conn.commit()
    try:
        _lock(conn)
        version, now = _current(conn, span)
        stale = _due(_marks(conn, span), version, now)
        if stale:
            rows = built.rows
            fresh = version == built.version and all(
                built.stale.get(d) == fp for d, fp in stale.items()
            )
            if rows is None or not fresh:
                rows = _build(window, stale, build)
            _replace(conn, span.kind, stale, version, [r for r in rows if r[0] in stale])
            built.rows = rows = None
        out = _rows(conn, span)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return out


def _lock(conn: Connection) -> None:
    """Begin the rollup write: the writers of calls' stamps, the clinic data version and
    rollups (the sync, imports, other reports) wait until it commits."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock now (busy timeout), not later
    else:
        conn.exec_driver_sql("LOCK TABLE call_days, clinic_meta IN SHARE ROW EXCLUSIVE MODE")


def _replace(
    conn: Connection, kind: str, stale: dict[date, str], version: str, rows: list[RollupRow]
) -> None:
    days = list(stale)
    for table in (report_rollup, report_rollup_days):
        conn.execute(
            delete(table).where(
                table.c.kind == kind, table.c.local_date.in_(bindparam("days", expanding=True))
            ),
            {"days": days},
        )
    if rows:
        conn.execute(insert(report_rollup), [_row(kind, r) for r in rows])
    marks = [
        {"local_date": d, "kind": kind, "fingerprint": fp, "version": version}
        for d, fp in stale.items()
    ]
    conn.execute(insert(report_rollup_days), marks)


def _transient(exc: BaseException) -> bool:
    """A rollup write that may succeed if tried again: rollups another writer put in
    first (IntegrityError), a lock not had in time, a deadlock or serialization failure."""
    if isinstance(exc, IntegrityError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _PG_RETRY:
        return True
    return getattr(orig, "sqlite_errorcode", 0) & 0xFF in _SQLITE_RETRY


_PG_RETRY = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available
_SQLITE_RETRY = {5, 6}  # SQLITE_BUSY (and BUSY_SNAPSHOT, ...), SQLITE_LOCKED
WRITE_TRIES = 3


def _retrying() -> Retrying:
    return Retrying(
        stop=stop_after_attempt(WRITE_TRIES),
        wait=wait_random_exponential(multiplier=0.05, max=1),
        retry=retry_if_exception(_transient),
        reraise=True,
    )


def _row(kind: str, r: RollupRow) -> dict[str, Any]:
    day, key, n, m, extra = r
    if isinstance(extra, set):
        extra = sorted(extra, key=str)
    return {
        "local_date": day,
        "kind": kind,
        "key": key,
        "n": n,
        "m": m,
        "contacts": None if extra is None else orjson.dumps(extra).decode(),
    }
