"""The virtual clock: every timestamp in the world comes from it.

A clock has a *rate*: 0 means it moves only when advanced, 1 is real time,
N runs N times faster. It never goes backwards. Listeners (the webhook
dispatcher, stats readiness) are woken whenever the clock jumps.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime

from mockpbx.core.errors import ClockError

__all__ = ["VirtualClock"]


class VirtualClock:
    """A clock whose `now()` is an aware UTC datetime that moves at `rate`."""

    def __init__(
        self,
        start: datetime,
        rate: float = 0.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if start.tzinfo is None:
            raise ClockError("the clock start must be timezone-aware")
        if rate < 0:
            raise ClockError("the clock rate must be >= 0")
        self._monotonic = monotonic
        self._anchor_virtual = start.timestamp()
        self._anchor_real = monotonic()
        self._rate = float(rate)
        self._listeners: list[Callable[[], None]] = []

    # -- reading -----------------------------------------------------------
    def timestamp(self) -> float:
        """Seconds since the Unix epoch, as the virtual clock reads now."""
        elapsed = self._monotonic() - self._anchor_real
        return self._anchor_virtual + elapsed * self._rate

    def now(self) -> datetime:
        """The current virtual time, aware, in UTC."""
        return datetime.fromtimestamp(self.timestamp(), tz=UTC)

    def seconds(self) -> int:
        """The current virtual time in whole epoch seconds (the world's resolution)."""
        return int(self.timestamp())

    @property
    def rate(self) -> float:
        return self._rate

    # -- moving ------------------------------------------------------------
    def set_rate(self, rate: float) -> None:
        """Change the speed from now on; the current reading is kept."""
        if rate < 0:
            raise ClockError("the clock rate must be >= 0")
        self._rebase()
        self._rate = float(rate)
        self._notify()

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward by `seconds` (>= 0) and return the new now."""
        if seconds < 0:
            raise ClockError("the clock never goes backwards: advance_seconds must be >= 0")
        self._rebase()
        self._anchor_virtual += seconds
        self._notify()
        return self.now()

    def set(self, when: datetime) -> datetime:
        """Jump to `when`, which must not be earlier than now."""
        if when.tzinfo is None:
            raise ClockError("the time to set must carry a UTC offset")
        target = when.timestamp()
        self._rebase()
        if target < self._anchor_virtual:
            raise ClockError(
                f"the clock never goes backwards: {when.isoformat()} is before "
                f"{self.now().isoformat()}"
            )
        self._anchor_virtual = target
        self._notify()
        return self.now()

    def advance_to(self, when: datetime) -> datetime:
        """Like `set`, but a target in the past is a no-op instead of an error."""
        return self.set(when) if when.timestamp() > self.timestamp() else self.now()

    # -- waiting -----------------------------------------------------------
    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` after every jump or rate change; returns an unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def real_seconds_until(self, ts: float) -> float | None:
        """Real seconds until the clock reads `ts`; None if it never will at this rate."""
        remaining = ts - self.timestamp()
        if remaining <= 0:
            return 0.0
        if self._rate == 0:
            return None
        return remaining / self._rate

    async def sleep_until(self, ts: float, *, max_real: float = 3600.0) -> None:
        """Wait until the clock reads `ts`, waking early on jumps (then re-checking)."""
        while True:
            wait = self.real_seconds_until(ts)
            if wait == 0.0:
                return
            event = asyncio.Event()
            unsubscribe = self.subscribe(event.set)
            try:
                timeout = max_real if wait is None else min(wait, max_real)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), timeout=max(timeout, 0.001))
            finally:
                unsubscribe()

    def __repr__(self) -> str:
        return f"VirtualClock(now={self.now().isoformat()}, rate={self._rate})"

    # -- internals -----------------------------------------------------------
    def _rebase(self) -> None:
        now_real = self._monotonic()
        self._anchor_virtual += (now_real - self._anchor_real) * self._rate
        self._anchor_real = now_real

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()
