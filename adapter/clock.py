"""Where the adapter gets "now" from: the system clock, or a mock's virtual clock.

Both are async because the virtual clock lives in another process: with
`--mockpbx` the adapter reads `GET /_mockpbx/clock` (`{"now", "rate"}`) so
that "today" is the mock's today and a daemon sleeping "3 hours" wakes after
3 virtual hours, however fast the mock's clock runs.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Protocol

import httpx

from adapter.errors import ProtocolError, UnavailableError

__all__ = ["Clock", "MockClock", "SystemClock"]


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


class MockClock:
    """Follows a running mockpbx's virtual clock over HTTP.

    `now()` asks the mock each time (one cheap GET), so advancing, setting or
    re-rating the mock's clock is seen at once. `sleep_until` sleeps the real
    time that the mock's rate implies, in slices of at most `poll` seconds, and
    re-reads the clock after each slice (a frozen clock is polled).
    """

    def __init__(self, http: httpx.AsyncClient, base_url: str, *, poll: float = 0.2) -> None:
        self._http = http
        self._url = base_url.rstrip("/") + "/_mockpbx/clock"
        self._poll = poll

    async def read(self) -> tuple[datetime, float]:
        try:
            response = await self._http.get(self._url)
            response.raise_for_status()
            body = response.json()
            now = datetime.fromisoformat(body["now"])
            rate = float(body["rate"])
        except httpx.HTTPError as exc:
            raise UnavailableError(f"mock clock unreachable at {self._url}: {exc}") from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise ProtocolError(f"mock clock answered an unexpected body: {exc}") from exc
        if now.tzinfo is None:
            raise ProtocolError(f"mock clock time has no UTC offset: {body['now']!r}")
        return now, rate

    async def now(self) -> datetime:
        return (await self.read())[0]

    async def sleep_until(self, when: datetime) -> None:
        while True:
            started = time.monotonic()
            now, rate = await self.read()
            left = (when - now).total_seconds()
            if left <= 0:
                return
            real = left / rate if rate > 0 else self._poll
            await asyncio.sleep(max(0.0, min(real, self._poll) - (time.monotonic() - started)))
