"""Where the adapter gets "now" from: the `Clock` protocol and the system clock.

A clock is async because the other one, `adapter.mockpbx_plane.MockClock`,
lives in another process: with `--mockpbx` the adapter reads the mock's
virtual clock so that "today" is the mock's today and a daemon sleeping
"3 hours" wakes after 3 virtual hours, however fast the mock's clock runs.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    async def now(self) -> datetime:
        """The current time, aware."""
        ...

    async def sleep_until(self, when: datetime) -> None:
        """Return once `now()` has reached `when`."""
        ...


class SystemClock:
    """The machine's clock (UTC)."""

    async def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, when: datetime) -> None:
        delay = (when - datetime.now(UTC)).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)
