"""The calls a report reads: its period, its sources and the window over both parts.

`CallWindow` is what `adapter.reports.base.open_window` yields and what the
rollups (`adapter.reports.rollup`) and every report query; see
`adapter.reports.base` for how the parts are chosen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, text

from adapter.errors import ConfigError

__all__ = ["CallWindow", "Part", "Period", "Sources", "period_of"]


@dataclass(frozen=True, slots=True)
class Period:
    first: date
    last: date  # inclusive
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), self.tz)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), self.tz)

    def as_json(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}


def period_of(first: date, last: date, tz: ZoneInfo) -> Period:
    if last < first:
        raise ConfigError(f"--to {last} is before --from {first}", setting="to")
    return Period(first, last, tz)


@dataclass(slots=True)
class Sources:
    cache_until: datetime | None = None
    live_from: datetime | None = None
    cache_synced_at: datetime | None = None
    cache_calls: int = 0
    live_calls: int = 0
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "cache_until": _iso(self.cache_until),
            "live_from": _iso(self.live_from),
            "cache_synced_at": _iso(self.cache_synced_at),
            "cache_calls": self.cache_calls,
            "live_calls": self.live_calls,
            "notes": list(self.notes),
        }


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


@dataclass(frozen=True, slots=True)
class Part:
    """One source of calls: a table and the start-time range read from it."""

    table: str
    lo: int  # epoch, inclusive
    hi: int  # epoch, exclusive

    def where(self, alias: str = "") -> str:
        col = f"{alias}.started_at" if alias else "started_at"
        return f"{col} >= {self.lo} AND {col} < {self.hi}"


@dataclass(slots=True)
class CallWindow:
    """The loaded calls of a report, on one connection: cache part + provider part."""

    conn: Connection
    period: Period
    parts: list[Part]
    sources: Sources
    now: datetime
    live_keys: frozenset[tuple[str, str]] = frozenset()  # the provider part's calls
    rollups: bool = False  # the cache part may be read from daily rollups
    lo: int = 0  # period start, epoch
    hi: int = 0  # period end, epoch

    def __post_init__(self) -> None:
        self.lo = int(self.period.start.timestamp())
        self.hi = int(self.period.end.timestamp())

    def union(
        self,
        columns: str,
        *,
        lo: int | None = None,
        hi: int | None = None,
        cond: str = "",
        live_only: bool = False,
    ) -> str:
        """`SELECT columns FROM <part> WHERE <range> [AND cond]` per part, as one UNION ALL."""
        selects = []
        for part in self.parts[1:] if live_only else self.parts:
            clipped = Part(part.table, max(part.lo, lo or part.lo), min(part.hi, hi or part.hi))
            if clipped.lo < clipped.hi:
                where = clipped.where() + (f" AND {cond}" if cond else "")
                selects.append(f"SELECT {columns} FROM {part.table} WHERE {where}")
        if not selects:
            return f"SELECT {columns} FROM calls WHERE 1 = 0"
        return " UNION ALL ".join(selects)

    def query(self, sql: str, **params: Any) -> list[Any]:
        return list(self.conn.execute(text(sql), params))
