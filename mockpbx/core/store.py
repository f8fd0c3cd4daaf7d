"""The call store: calls indexed by start time, in local-day buckets.

A period query bisects the two edge days and takes whole days in between,
so it costs O(log n + k) plus one step per day of the period. Days are
materialized lazily by a loader, `(date) -> list[Call]`, the first time a
query touches them, so years of history cost nothing until asked for.
Call ids encode their local day (`CallIds`), so a call can be found by id
without scanning.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from mockpbx.core.model import Call

__all__ = ["CallIds", "CallStore", "DayLoader"]

DayLoader = Callable[[date], list[Call]]

_EPOCH = date(2000, 1, 1)


class CallIds:
    """Call ids that encode their local day: base + day_index * span + seq."""

    BASE = 3_000_000_000
    SPAN = 100_000
    DYNAMIC_FROM = 90_000  # seq numbers for calls made through the APIs

    @classmethod
    def make(cls, day: date, seq: int) -> int:
        if not 0 <= seq < cls.SPAN:
            raise ValueError(f"call sequence number out of range: {seq}")
        return cls.BASE + (day - _EPOCH).days * cls.SPAN + seq

    @classmethod
    def day_of(cls, call_id: int) -> date | None:
        index = (call_id - cls.BASE) // cls.SPAN
        if call_id < cls.BASE or index > 100_000:
            return None
        return _EPOCH + timedelta(days=index)


class _Day:
    __slots__ = ("by_id", "calls", "starts")

    def __init__(self, calls: list[Call]) -> None:
        calls.sort(key=lambda c: (c.start_ts, c.id))
        self.calls = calls
        self.starts = [c.start_ts for c in calls]
        self.by_id = {c.id: c for c in calls}

    def insert(self, call: Call) -> None:
        i = bisect.bisect_right(self.starts, call.start_ts)
        self.starts.insert(i, call.start_ts)
        self.calls.insert(i, call)
        self.by_id[call.id] = call

    def window(self, ts_from: int, ts_to: int) -> tuple[int, int]:
        """Index range of calls with ts_from <= start_ts < ts_to."""
        return bisect.bisect_left(self.starts, ts_from), bisect.bisect_left(self.starts, ts_to)


_EMPTY = _Day([])  # the bucket of a day outside the history: never written to


class CallStore:
    """Calls bucketed by local start date; lazily loaded; O(log n + k) period queries."""

    def __init__(
        self,
        timezone: str,
        loader: DayLoader | None = None,
        *,
        first_day: date | None = None,
        last_day: Callable[[], date] | None = None,
    ) -> None:
        self.tz = ZoneInfo(timezone)
        self._loader = loader
        self._days: dict[date, _Day] = {}
        self._first_day = first_day
        self._last_day = last_day
        self._total = 0
        self._stored_span: tuple[date, date] | None = None  # first and last stored day

    # -- days ----------------------------------------------------------------
    def local_date(self, ts: int) -> date:
        return datetime.fromtimestamp(ts, self.tz).date()

    def day_start(self, day: date) -> int:
        return int(datetime(day.year, day.month, day.day, tzinfo=self.tz).timestamp())

    def _day(self, day: date) -> _Day:
        """The day's bucket, materialized on first touch.

        Days outside [first_day, last_day()] are not materialized and not
        remembered (a far-off query costs no memory, and a future day is
        generated once it has become today); calls added to them explicitly
        still get a bucket (see `_writable`).
        """
        bucket = self._days.get(day)
        if bucket is None:
            if not self._in_range(day):
                return _EMPTY
            calls = self._loader(day) if self._loader is not None else []
            bucket = self._days[day] = _Day(calls)
            self._note(day)
            self._total += len(calls)
        return bucket

    def _writable(self, day: date) -> _Day:
        bucket = self._day(day)
        if bucket is _EMPTY:
            bucket = self._days[day] = _Day([])
            self._note(day)
        return bucket

    def _clamp(self, first: date, last: date) -> tuple[date, date]:
        """[first, last] narrowed to days that can hold calls (history or stored ones)."""
        stored = self._stored_span
        lo = self._first_day if self._loader is not None else None
        hi = self._last_day() if self._loader is not None and self._last_day else None
        if stored is not None:
            lo = stored[0] if lo is None else min(lo, stored[0])
            hi = stored[1] if hi is None else max(hi, stored[1])
        elif self._loader is None:
            return first, first - timedelta(days=1)  # nothing stored: an empty range
        return max(first, lo) if lo else first, min(last, hi) if hi else last

    def _note(self, day: date) -> None:
        span = self._stored_span
        self._stored_span = (day, day) if span is None else (min(span[0], day), max(span[1], day))

    def _in_range(self, day: date) -> bool:
        if self._first_day is not None and day < self._first_day:
            return False
        return self._last_day is None or day <= self._last_day()

    def loaded_days(self) -> list[date]:
        return sorted(self._days)

    def __len__(self) -> int:
        """Calls materialized so far (not those of days never touched)."""
        return self._total

    # -- writes --------------------------------------------------------------
    def add(self, call: Call) -> None:
        self._writable(self.local_date(call.start_ts)).insert(call)
        self._total += 1

    def add_many(self, calls: list[Call]) -> None:
        """Bulk-load calls (used by benchmarks and fixtures); keeps the index sorted."""
        by_day: dict[date, list[Call]] = {}
        for call in calls:
            by_day.setdefault(self.local_date(call.start_ts), []).append(call)
        for day, day_calls in by_day.items():
            bucket = self._days.get(day)
            if bucket is None:
                self._days[day] = _Day(day_calls)
                self._note(day)
            else:
                bucket.calls.extend(day_calls)
                self._days[day] = _Day(bucket.calls)
            self._total += len(day_calls)

    # -- reads ---------------------------------------------------------------
    def get(self, call_id: int) -> Call | None:
        day = CallIds.day_of(call_id)
        if day is not None:
            found = self._day(day).by_id.get(call_id)
            if found is not None:
                return found
        for bucket in self._days.values():  # calls added with foreign ids (tests)
            if call_id in bucket.by_id:
                return bucket.by_id[call_id]
        return None

    def _spans(self, ts_from: int, ts_to: int) -> Iterator[tuple[_Day, int, int]]:
        """(bucket, lo, hi) for every day overlapping [ts_from, ts_to)."""
        if ts_to <= ts_from:
            return
        day, last = self._clamp(self.local_date(ts_from), self.local_date(ts_to - 1))
        while day <= last:
            bucket = self._day(day)
            if bucket.calls:
                lo, hi = bucket.window(ts_from, ts_to)
                if hi > lo:
                    yield bucket, lo, hi
            day += timedelta(days=1)

    def between(self, ts_from: int, ts_to: int) -> list[Call]:
        """Calls with ts_from <= start_ts < ts_to, in start order."""
        out: list[Call] = []
        for bucket, lo, hi in self._spans(ts_from, ts_to):
            out.extend(bucket.calls[lo:hi])
        return out

    def iter_between(self, ts_from: int, ts_to: int) -> Iterator[Call]:
        """Like `between` but streams day by day."""
        for bucket, lo, hi in self._spans(ts_from, ts_to):
            yield from bucket.calls[lo:hi]

    def count_between(self, ts_from: int, ts_to: int) -> int:
        return sum(hi - lo for _, lo, hi in self._spans(ts_from, ts_to))

    def page(self, ts_from: int, ts_to: int, offset: int, limit: int) -> list[Call]:
        """Calls offset..offset+limit of `between(ts_from, ts_to)` without building it."""
        out: list[Call] = []
        skip = offset
        for bucket, lo, hi in self._spans(ts_from, ts_to):
            size = hi - lo
            if skip >= size:
                skip -= size
                continue
            take = bucket.calls[lo + skip : min(hi, lo + skip + limit - len(out))]
            out.extend(take)
            skip = 0
            if len(out) >= limit:
                break
        return out
