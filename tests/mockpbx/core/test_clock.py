from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mockpbx.core.clock import VirtualClock
from mockpbx.core.errors import ClockError

T0 = datetime(2026, 5, 14, 7, 30, tzinfo=UTC)


class FakeMonotonic:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_frozen_clock__moves_only_when_advanced() -> None:
    real = FakeMonotonic()
    clock = VirtualClock(T0, rate=0, monotonic=real)
    real.t += 50
    assert clock.now() == T0
    assert clock.advance(90) == T0 + timedelta(seconds=90)


def test_running_clock__moves_at_its_rate() -> None:
    real = FakeMonotonic()
    clock = VirtualClock(T0, rate=60, monotonic=real)
    real.t += 2
    assert clock.now() == T0 + timedelta(minutes=2)


def test_rate_change__keeps_the_current_reading() -> None:
    real = FakeMonotonic()
    clock = VirtualClock(T0, rate=1, monotonic=real)
    real.t += 10
    clock.set_rate(0)
    real.t += 100
    assert clock.now() == T0 + timedelta(seconds=10)


def test_now__is_timezone_aware() -> None:
    assert VirtualClock(T0).now().tzinfo is not None


def test_clock__never_goes_backwards() -> None:
    clock = VirtualClock(T0)
    with pytest.raises(ClockError, match="backwards"):
        clock.advance(-1)
    with pytest.raises(ClockError, match="backwards"):
        clock.set(T0 - timedelta(seconds=1))
    assert clock.now() == T0


def test_naive_times__are_refused() -> None:
    with pytest.raises(ClockError):
        VirtualClock(datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test
    with pytest.raises(ClockError):
        VirtualClock(T0).set(datetime(2027, 1, 1))  # noqa: DTZ001


def test_listeners__are_told_of_jumps() -> None:
    clock = VirtualClock(T0)
    seen: list[datetime] = []
    unsubscribe = clock.subscribe(lambda: seen.append(clock.now()))
    clock.advance(5)
    unsubscribe()
    clock.advance(5)
    assert seen == [T0 + timedelta(seconds=5)]


async def test_sleep_until__wakes_when_the_clock_is_advanced_past_it() -> None:
    import asyncio

    clock = VirtualClock(T0, rate=0)
    target = T0.timestamp() + 3600
    waiter = asyncio.create_task(clock.sleep_until(target))
    await asyncio.sleep(0.01)
    assert not waiter.done()
    clock.advance(3600)
    await asyncio.wait_for(waiter, 2)
    assert clock.timestamp() >= target
