"""What the sync job and the readers need from the cache (`CallStore`), and sync state."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from adapter.model import CallRecord

__all__ = ["CallStore", "RunSummary", "SyncState"]


@dataclass(frozen=True, slots=True)
class SyncState:
    """Per provider account: what is cached and how the last run went."""

    account: str
    provider: str
    timezone: str
    last_call_at: datetime | None  # start of the newest cached call
    loaded_until: date | None  # every day before this one is cached
    last_run_started: datetime | None
    last_run_finished: datetime | None
    last_status: str | None  # running | ok | error
    last_error: str | None
    last_run_calls: int | None
    runs: int
    late_calls: int = 0  # calls found for days already cached, over all runs


@dataclass(frozen=True, slots=True)
class RunSummary:
    account: str
    started_at: datetime
    finished_at: datetime | None
    date_from: date | None
    date_to: date | None
    status: str
    days: int
    calls: int
    error: str | None
    late_calls: int = 0  # calls found for days already cached


class CallStore(Protocol):
    """The cache of finished calls. Each write is atomic on its own."""

    def replace_day(
        self, account: str, day: date, tz: ZoneInfo, records: Sequence[CallRecord]
    ) -> int:
        """In one transaction: drop the account's calls of `day` (in `tz`), insert `records`."""
        ...

    def replace_days(
        self, account: str, days: Sequence[tuple[date, Sequence[CallRecord]]], tz: ZoneInfo
    ) -> list[int]:
        """`replace_day` for each (day, records), all in one transaction; rows per day."""
        ...

    def upsert(self, records: Sequence[CallRecord]) -> int:
        """Insert or update by (provider, provider_call_id); returns rows written."""
        ...

    def last_call_at(self, account: str) -> datetime | None:
        """Start of the newest cached call of the account (aware), or None."""
        ...

    def begin_run(
        self,
        account: str,
        provider: str,
        timezone: str,
        now: datetime,
        day_from: date,
        day_to: date,
    ) -> int:
        """Record that a sync run started; returns its id."""
        ...

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
    ) -> None: ...

    def call_keys(self, account: str, start: datetime, end: datetime) -> set[tuple[str, str]]:
        """(provider, provider_call_id) of the account's cached calls started in [start, end)."""
        ...

    def state(self, account: str) -> SyncState | None: ...

    def states(self) -> list[SyncState]: ...

    def runs(self, account: str | None = None, limit: int = 10) -> list[RunSummary]: ...

    def iter_calls(
        self,
        start: datetime,
        end: datetime,
        *,
        account: str | None = None,
        phone: str | None = None,
    ) -> Iterator[CallRecord]:
        """Cached calls that started in [start, end), oldest first, streamed."""
        ...

    def count_calls(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        account: str | None = None,
    ) -> int: ...

    def close(self) -> None: ...


def batched(records: Iterable[CallRecord], size: int) -> Iterator[list[CallRecord]]:
    batch: list[CallRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
