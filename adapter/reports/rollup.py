"""Daily rollups: the per-call work of a report done once per cached day, then summed.

A cached day never changes unless the sync re-loads it, so the per-call
part of a report (which channel, new caller or not, who took it) is kept per
day in `report_rollup` (kind `ch`: calls and distinct callers per channel
row; kind `adm`: new-caller calls and answered ones per administrator).

A day's rollup is valid while its *fingerprint* (`<calls>:<max loaded_at>`
of the day's cached calls; a re-load changes `loaded_at`) and the clinic
data *version* (changed by every import and saved comment, since both
decide channels, new callers and who took a call) are the ones it was
built with; stale or missing days are rebuilt, in one pass, before the
report reads them. Only the cache part of a report uses rollups, and only
when the cache's days (`calls.local_date`, the account's timezone) are the
report's days; the provider's part is always computed from its calls.

The rollup of a day holds exactly what the direct SQL over that day's calls
gives, so a report is the same with or without it (tests compare both).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import bindparam, delete, insert, select, text
from sqlalchemy.exc import IntegrityError

from adapter.reports.base import CallWindow
from adapter.store.clinic import clinic_meta, report_rollup, report_rollup_days

__all__ = ["RollupRow", "cached_days", "read_rollup"]

RollupRow = tuple[date, str, int, int, set[str] | None]  # day, key (JSON), n, m, contacts
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


def read_rollup(window: CallWindow, kind: str, build: Builder) -> list[RollupRow] | None:
    """The kind's rollup rows over the cache part, rebuilt where stale; None: not usable."""
    days = cached_days(window)
    if days is None:
        return None
    first, last = days
    version = _version(window)
    stale = _stale(window, kind, first, last, version)
    if stale:
        _rebuild(window, kind, stale, version, build)
    query = select(report_rollup).where(
        report_rollup.c.kind == kind,
        report_rollup.c.local_date >= first,
        report_rollup.c.local_date <= last,
    )
    out: list[RollupRow] = []
    for r in window.conn.execute(query):
        contacts = set(orjson.loads(r.contacts)) if r.contacts else None
        out.append((r.local_date, r.key, int(r.n), int(r.m), contacts))
    return out


def _version(window: CallWindow) -> str:
    query = select(clinic_meta.c.value).where(clinic_meta.c.key == "version")
    return str(window.conn.execute(query).scalar() or "none")


def _stale(window: CallWindow, kind: str, first: date, last: date, version: str) -> dict[date, str]:
    """Days whose rollup is missing or out of date -> their current fingerprint."""
    sql = text(
        "SELECT local_date, COUNT(*), MAX(loaded_at) FROM calls "
        "WHERE local_date >= :a AND local_date <= :b GROUP BY local_date"
    )
    now = {_day(d): f"{n}:{m}" for d, n, m in window.conn.execute(sql, {"a": first, "b": last})}
    query = select(report_rollup_days).where(
        report_rollup_days.c.kind == kind,
        report_rollup_days.c.local_date >= first,
        report_rollup_days.c.local_date <= last,
    )
    built = {_day(r.local_date): (r.fingerprint, r.version) for r in window.conn.execute(query)}
    stale = {d: fp for d, fp in now.items() if built.get(d) != (fp, version)}
    stale |= {d: "0:0" for d in built if d not in now and built[d] != ("0:0", version)}
    return stale


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _rebuild(
    window: CallWindow, kind: str, stale: dict[date, str], version: str, build: Builder
) -> None:
    first, last = min(stale), max(stale)
    rows = [r for r in build(window, first, last) if r[0] in stale]
    conn = window.conn
    days = list(stale)
    try:
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
        conn.commit()
    except IntegrityError:  # another report built the same days at the same time
        conn.rollback()


def _row(kind: str, r: RollupRow) -> dict[str, Any]:
    day, key, n, m, contacts = r
    return {
        "local_date": day,
        "kind": kind,
        "key": key,
        "n": n,
        "m": m,
        "contacts": None if contacts is None else orjson.dumps(sorted(contacts)).decode(),
    }
