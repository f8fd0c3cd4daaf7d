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
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import bindparam, delete, insert, select, text
from sqlalchemy.exc import IntegrityError

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
    first, last = days
    version = _version(window)
    stale = _stale(window, kind, first, last, version, depends)
    if stale:
        _rebuild(window, kind, stale, version, build)
    query = select(report_rollup).where(
        report_rollup.c.kind == kind,
        report_rollup.c.local_date >= first,
        report_rollup.c.local_date <= last,
    )
    out: list[RollupRow] = []
    for r in window.conn.execute(query).all():
        extra = orjson.loads(r.contacts) if r.contacts else None
        out.append((r.local_date, r.key, int(r.n), int(r.m), extra))
    return out


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


def _version(window: CallWindow) -> str:
    query = select(clinic_meta.c.value).where(clinic_meta.c.key == "version")
    return f"{FORMAT}:{window.conn.execute(query).scalar() or 'none'}"


def _stale(
    window: CallWindow, kind: str, first: date, last: date, version: str, depends: int = 0
) -> dict[date, str]:
    """Days whose rollup is missing or out of date -> their current fingerprint.

    A day's fingerprint is its change stamp in `call_days` (every write of the
    day's calls gives it a new one); with `depends`, it also covers the
    `depends` days after it.
    """
    stop = last + timedelta(days=max(depends, 31))  # one query serves every kind
    day_fp = window.memo.get("stamps")
    if day_fp is None or day_fp[0] > first or day_fp[1] < stop:
        query = select(call_days.c.local_date, call_days.c.stamp).where(
            call_days.c.local_date >= first, call_days.c.local_date <= stop
        )
        stamps = {_day(d): str(fp) for d, fp in window.conn.execute(query)}
        day_fp = window.memo["stamps"] = (first, stop, stamps)
    stamps = day_fp[2]
    now = {d: fp for d, fp in stamps.items() if first <= d <= last}
    if depends:
        now = {}
        for i in range((last - first).days + 1):
            d = first + timedelta(days=i)
            later = [stamps.get(d + timedelta(days=k), "0") for k in range(depends + 1)]
            if any(fp != "0" for fp in later):
                now[d] = _digest(later)
    query = select(report_rollup_days).where(
        report_rollup_days.c.kind == kind,
        report_rollup_days.c.local_date >= first,
        report_rollup_days.c.local_date <= last,
    )
    built = {_day(r.local_date): (r.fingerprint, r.version) for r in window.conn.execute(query)}
    stale = {d: fp for d, fp in now.items() if built.get(d) != (fp, version)}
    stale |= {d: "0" for d in built if d not in now and built[d] != ("0", version)}
    return stale


def _digest(parts: list[str]) -> str:
    return hashlib.sha1("|".join(parts).encode()).hexdigest()


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
