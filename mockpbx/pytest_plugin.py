"""pytest plugin (entry point `pytest11: mockpbx`): a real mockpbx server for tests.

Fixtures:
    mockpbx_server    one server per session (per xdist worker: each worker is its own
                      process with its own server, so nothing is shared), on a free port
    mockpbx           that server, reset before each test; exceptions raised inside
                      the server fail the test that caused them
    mockpbx_clock     the virtual clock of the test's server (advance, set, run_through)
    mockpbx_faults    inject faults (add / inject(...) as a context manager / clear)
    mockpbx_journal   assert on requests: count, assert_called, assert_not_called, last
    mockpbx_truth     what really happened: calls(start, end), clinic(start, end)
    mockpbx_scenario  load a scenario mid-test: mockpbx_scenario("clinic_day", seed=3)

Per-test settings with a marker (scenario: a built-in name, a file or a `Scenario`):
    @pytest.mark.mockpbx(scenario="clinic_day", seed=7, start=datetime(...), rate=0)
    @pytest.mark.mockpbx(replay="tests/cassettes/uis.jsonl")  # recorded answers (a path or a
                        # list; replay_fallback="world" lets the world answer the rest)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mockpbx.testing import ClockControl, FaultsControl, JournalView, MockPBXServer, TruthView

__all__ = [
    "mockpbx",
    "mockpbx_clock",
    "mockpbx_faults",
    "mockpbx_journal",
    "mockpbx_scenario",
    "mockpbx_server",
    "mockpbx_truth",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockpbx(seed=..., scenario=..., start=..., rate=..., replay=...): world of the test",
    )


@pytest.fixture(scope="session")
def mockpbx_server() -> Iterator[MockPBXServer]:
    """A mockpbx server shared by the session (each xdist worker has its own)."""
    with MockPBXServer() as server:
        yield server


@pytest.fixture
def mockpbx(
    request: pytest.FixtureRequest, mockpbx_server: MockPBXServer
) -> Iterator[MockPBXServer]:
    """The session's server, reset for this test (seed/scenario from the marker)."""
    marker = request.node.get_closest_marker("mockpbx")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    mockpbx_server.reset(**_reset_options(mockpbx_server, options))
    if options.get("replay"):
        _install_replay(mockpbx_server, options)
    yield mockpbx_server
    mockpbx_server.call(lambda s: s.options.pop("replay", None))
    mockpbx_server.check_errors()


@pytest.fixture
def mockpbx_clock(mockpbx: MockPBXServer) -> ClockControl:
    """The virtual clock of the test's (freshly reset) server."""
    return mockpbx.clock


@pytest.fixture
def mockpbx_faults(mockpbx: MockPBXServer) -> Iterator[FaultsControl]:
    """Fault injection for the test; every fault is gone after it."""
    yield mockpbx.faults
    mockpbx.faults.clear()


@pytest.fixture
def mockpbx_journal(mockpbx: MockPBXServer) -> JournalView:
    """The request journal of the test's server (starts empty)."""
    return mockpbx.journal


@pytest.fixture
def mockpbx_truth(mockpbx: MockPBXServer) -> TruthView:
    """The truth (calls and clinic side) of the test's server."""
    return mockpbx.truth


@pytest.fixture
def mockpbx_scenario(mockpbx: MockPBXServer) -> Callable[..., MockPBXServer]:
    """Load a scenario into the test's server: `mockpbx_scenario("midnight", seed=2)`."""

    def load(scenario: Any, **options: Any) -> MockPBXServer:
        mockpbx.load_scenario(scenario, **options)
        return mockpbx

    return load


def _reset_options(server: MockPBXServer, options: dict[str, Any]) -> dict[str, Any]:
    unknown = set(options) - {"seed", "scenario", "start", "rate", "replay", "replay_fallback"}
    if unknown:
        raise pytest.UsageError(f"unknown mockpbx marker options: {', '.join(sorted(unknown))}")
    state = server.state
    assert state is not None
    defaults = server._kwargs
    state.start = options.get("start", defaults["start"])
    state.rate = options.get("rate", defaults["rate"])
    scenario = options.get("scenario") or defaults["scenario"]
    if scenario is None:
        from mockpbx.scenarios.model import Scenario

        scenario = Scenario()
    elif not _is_scenario(scenario):
        from mockpbx.scenarios.loader import load_scenario

        scenario = load_scenario(scenario)
        if "start" not in options and scenario.start_time and state.start is not None:
            from mockpbx.testing import _at_start_time

            state.start = _at_start_time(state.start, scenario)
    return {"seed": options.get("seed", defaults["seed"]), "scenario": scenario}


def _install_replay(server: MockPBXServer, options: dict[str, Any]) -> None:
    from mockpbx.record.replay import load_replay

    paths = options["replay"]
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else paths
    replay = load_replay(paths, options.get("replay_fallback", "not-found"))
    server.call(lambda s: s.options.__setitem__("replay", replay))


def _is_scenario(value: Any) -> bool:
    from mockpbx.scenarios.model import Scenario

    return isinstance(value, Scenario)
