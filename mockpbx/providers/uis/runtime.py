"""Per-world runtime state of the UIS face: sessions, point limits, rendered-row cache.

Kept in `state.extras["uis"]`, which a reset clears, so a new world never
sees the old one's sessions, spent points or cached rows.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mockpbx.providers.uis.errors import err
from mockpbx.providers.uis.options import UisOptions, options_of
from mockpbx.state import ServerState

__all__ = ["Limits", "RowCache", "Runtime", "runtime_of"]


class Limits:
    """Day and minute points per (api, token), counted on the virtual clock."""

    def __init__(self) -> None:
        self._day: dict[tuple[str, str], tuple[int, int]] = {}
        self._minute: dict[tuple[str, str], tuple[int, int]] = {}

    def _used(self, key: tuple[str, str], now: int, local: datetime) -> tuple[int, int]:
        day_no, day_used = self._day.get(key, (0, 0))
        minute_no, minute_used = self._minute.get(key, (0, 0))
        today = local.toordinal()
        return (day_used if day_no == today else 0), (minute_used if minute_no == now // 60 else 0)

    def check(self, key: tuple[str, str], now: int, local: datetime, opts: UisOptions) -> None:
        """Raise limit_exceeded when the day's or the minute's points are spent."""
        day_used, minute_used = self._used(key, now, local)
        if day_used >= opts.day_limit:
            raise err("limit_exceeded", limit_type="day", limit_max_value=opts.day_limit)
        if minute_used >= opts.minute_limit:
            raise err("limit_exceeded", limit_type="minute", limit_max_value=opts.minute_limit)

    def charge(self, key: tuple[str, str], now: int, local: datetime) -> None:
        day_used, minute_used = self._used(key, now, local)
        self._day[key] = (local.toordinal(), day_used + 1)
        self._minute[key] = (now // 60, minute_used + 1)

    def snapshot(
        self, key: tuple[str, str], now: int, local: datetime, opts: UisOptions
    ) -> dict[str, int]:
        day_used, minute_used = self._used(key, now, local)
        midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time())
        day_reset = int((midnight - local.replace(tzinfo=None)).total_seconds())
        return {
            "day_limit": opts.day_limit,
            "day_remaining": max(opts.day_limit - day_used, 0),
            "day_reset": day_reset,
            "minute_limit": opts.minute_limit,
            "minute_remaining": max(opts.minute_limit - minute_used, 0),
            "minute_reset": 60 - now % 60,
        }


class RowCache:
    """Rendered JSON of rows that can no longer change, bounded by total bytes.

    Keys are `row_id << 10 | slot`, where a slot stands for one (field list,
    origin) pair, so a page lookup is one int-keyed `get` per row. Eviction
    is first-in first-out (cheaper than LRU on the hot path, as good for
    pages that are read again and again).
    """

    SLOTS = 1 << 10

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.size = 0
        self._rows: OrderedDict[int, bytes] = OrderedDict()
        self._slots: dict[tuple[int, int], int] = {}
        self.get = self._rows.get

    @property
    def enabled(self) -> bool:
        """Whether rows are kept at all (a budget of 0 turns the cache off)."""
        return self.budget > 0

    def slot(self, fields_id: int, origin_id: int) -> int:
        key = (fields_id, origin_id)
        found = self._slots.get(key)
        if found is None:
            if len(self._slots) >= self.SLOTS:
                self.clear()
            found = self._slots[key] = len(self._slots)
        return found

    def put(self, key: int, row: bytes) -> None:
        if self.budget <= 0 or len(row) > self.budget:
            return
        old = self._rows.pop(key, None)
        if old is not None:
            self.size -= len(old)
        self._rows[key] = row
        self.size += len(row)
        while self.size > self.budget:
            _, dropped = self._rows.popitem(last=False)
            self.size -= len(dropped)

    def resize(self, budget: int) -> None:
        """A new byte budget; rows beyond it are dropped (all of them for 0)."""
        self.budget = budget
        while self._rows and self.size > max(budget, 0):
            _, dropped = self._rows.popitem(last=False)
            self.size -= len(dropped)

    def clear(self) -> None:
        self._rows.clear()
        self._slots.clear()
        self.size = 0

    def __len__(self) -> int:
        return len(self._rows)


@dataclass(slots=True)
class Runtime:
    sessions: dict[str, int] = field(default_factory=dict)  # session key -> expires at (epoch)
    session_seq: int = 0
    limits: Limits = field(default_factory=Limits)
    rows: RowCache = field(default_factory=lambda: RowCache(0))
    origins: dict[str, int] = field(default_factory=dict)  # request origin -> small id
    request_seq: int = 0  # Call API request ids (call_api_request_id)

    def origin_id(self, origin: str) -> int:
        return self.origins.setdefault(origin, len(self.origins))


def runtime_of(state: ServerState) -> Runtime:
    rt = state.extras.get("uis")
    if not isinstance(rt, Runtime):
        rt = state.extras["uis"] = Runtime()
    budget = options_of(state).row_cache_bytes
    if rt.rows.budget != budget:
        rt.rows.resize(budget)
    return rt
