"""The fault registry without HTTP: late rows via the world, scenario faults, determinism."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from mockpbx.app import create_state
from mockpbx.core import actions
from mockpbx.faults import FaultRegistry
from mockpbx.scenarios.loader import load_scenario
from mockpbx.scenarios.model import FaultSpec
from mockpbx.state import ProviderErrorFault, ServerState
from mockpbx.testing import DEFAULT_START


@pytest.fixture
def state() -> ServerState:
    return create_state(seed=1, start=DEFAULT_START, rate=0)


@pytest.fixture
def registry(state: ServerState) -> FaultRegistry:
    reg = FaultRegistry(state)
    state.faults = reg
    state.on_reset.append(reg.on_reset)
    reg.on_reset()
    return reg


def _request() -> MagicMock:
    req = MagicMock()
    req.__setitem__ = MagicMock()
    req.get = MagicMock(return_value=None)
    return req


class TestLateRows:
    def test_calls_ending_in_the_window__reach_history_late(
        self, state: ServerState, registry: FaultRegistry
    ) -> None:
        world = state.world
        spec = FaultSpec(face="*", kind="late_rows", delay_seconds=900,
                         window={"from": "+0s", "to": "+3h"})  # fmt: skip
        fault = registry.add(spec)
        call = next(c for c in world.store.between(world.now(), world.now() + 3 * 3600)
                    if c.end_ts < world.now() + 3 * 3600)  # fmt: skip
        world.clock.advance(call.end_ts - world.now())
        assert call not in world.history(call.start_ts, call.start_ts + 1)
        world.clock.advance(900)
        assert call in world.history(call.start_ts, call.start_ts + 1)
        assert fault.delayed
        assert fault.hits == 0  # hits are requests; none was made
        assert fault.describe()["delayed_calls"] == len(fault.delayed)

    def test_removing_the_fault__restores_the_rows(
        self, state: ServerState, registry: FaultRegistry
    ) -> None:
        world = state.world
        fault = registry.add(FaultSpec(face="*", kind="late_rows", delay_seconds=900))
        delayed = [call for call, _ in fault.delayed]
        assert delayed
        registry.remove(fault.id)
        assert all(c.history_delay == 0 for c in delayed)
        assert world.history(world.now() - 3600, world.now()) is not None

    def test_count__delays_only_that_many_calls(
        self, state: ServerState, registry: FaultRegistry
    ) -> None:
        fault = registry.add(FaultSpec(face="*", kind="late_rows", count=3))
        assert len(fault.delayed) == 3

    @pytest.mark.parametrize("order", ["as_added", "reversed", "clear"])
    def test_two_faults_on_one_call__removed_in_any_order_restore_it(
        self, state: ServerState, registry: FaultRegistry, order: str
    ) -> None:
        """Overlapping late_rows faults: each removal leaves the largest remaining delay,
        and with both gone the call is in history again (the soak found one kept hidden)."""
        first = registry.add(FaultSpec(face="*", kind="late_rows", delay_seconds=900))
        second = registry.add(FaultSpec(face="*", kind="late_rows", delay_seconds=600))
        shared = [c for c, _ in first.delayed if c in {c2 for c2, _ in second.delayed}]
        assert shared
        if order == "clear":
            registry.clear()
        else:
            one, two = (first, second) if order == "as_added" else (second, first)
            registry.remove(one.id)
            assert all(c.history_delay == two.spec.delay_seconds for c in shared)
            registry.remove(two.id)
        assert all(c.history_delay == 0 for c in shared)

    def test_callbacks_made_later__are_delayed_too(
        self, state: ServerState, registry: FaultRegistry
    ) -> None:
        fault = registry.add(FaultSpec(face="*", kind="late_rows", delay_seconds=600))
        before = len(fault.delayed)
        call = actions.start_callback(state.world, state.world.employees[0].id, "79250000001")
        assert len(fault.delayed) == before + 1
        assert call.history_delay == 600


class TestIntercept:
    async def test_count__hits_the_next_n_requests(self, registry: FaultRegistry) -> None:
        registry.add(FaultSpec(face="uis", kind="provider_error", count=2, code=-32008))
        for _ in range(2):
            with pytest.raises(ProviderErrorFault) as info:
                await registry.intercept(_request(), "uis", "get.calls_report")
            assert info.value.code == -32008
        assert await registry.intercept(_request(), "uis", "get.calls_report") is None

    async def test_probability__is_the_same_for_the_same_seed(self, state: ServerState) -> None:
        async def pattern() -> list[bool]:
            reg = FaultRegistry(state)
            reg.on_reset()
            reg.add(FaultSpec(face="uis", kind="http_status", probability=0.5))
            return [await reg.intercept(_request(), "uis", "m") is not None for _ in range(30)]

        assert await pattern() == await pattern()

    async def test_wildcard_face__hits_every_face(self, registry: FaultRegistry) -> None:
        registry.add(FaultSpec(face="*", kind="http_status", status=500))
        for face in ("uis", "mango", "clinic"):
            response = await registry.intercept(_request(), face, "x")
            assert response is not None
            assert response.status == 500


class TestScenarioFaults:
    async def test_scenario_faults__are_installed_on_reset(self, state: ServerState) -> None:
        reg = FaultRegistry(state)
        state.faults = reg
        state.on_reset.append(reg.on_reset)
        await state.reset(scenario=load_scenario("faults"))
        kinds = {f["kind"] for f in reg.describe()}
        assert {"rate_limit", "expire_token", "late_rows", "http_status"} <= kinds

    async def test_relative_windows__count_from_the_world_start(self, state: ServerState) -> None:
        reg = FaultRegistry(state)
        state.faults = reg
        state.on_reset.append(reg.on_reset)
        await state.reset(scenario=load_scenario("faults"))
        outage = next(f for f in reg._faults if f.spec.kind == "http_status")
        start = state.world.clock.timestamp()
        assert (outage.ts_from, outage.ts_to) == (start + 3600, start + 4500)


class TestLatency:
    async def test_distribution__draws_each_delay_from_it(
        self, registry: FaultRegistry, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Latency from a uniform distribution: each hit sleeps a value inside its bounds."""
        slept: list[float] = []

        async def fake_sleep(seconds: float) -> None:
            slept.append(seconds)

        monkeypatch.setattr("mockpbx.faults.asyncio.sleep", fake_sleep)
        uniform = {"kind": "uniform", "low": 0.2, "high": 0.4}
        registry.add(FaultSpec(face="uis", kind="latency", distribution=uniform))
        for _ in range(5):
            assert await registry.intercept(_request(), "uis", "m") is None
        assert len(slept) == 5
        assert all(0.2 <= s <= 0.4 for s in slept)
        assert len(set(slept)) > 1
