"""pytest plugin (entry point `pytest11: mockpbx`): a real mockpbx server for tests.

Fixtures:
    mockpbx_server   one server per session (per xdist worker), on a free port
    mockpbx          that server, reset before each test; exceptions raised inside
                     the server fail the test that caused them

Per-test settings with a marker:
    @pytest.mark.mockpbx(seed=7, start=datetime(...), rate=0)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mockpbx.testing import MockPBXServer

__all__ = ["mockpbx", "mockpbx_server"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "mockpbx(seed=..., scenario=..., start=..., rate=...): world of the test"
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
    yield mockpbx_server
    mockpbx_server.check_errors()


def _reset_options(server: MockPBXServer, options: dict[str, Any]) -> dict[str, Any]:
    unknown = set(options) - {"seed", "scenario", "start", "rate"}
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
    return {"seed": options.get("seed", defaults["seed"]), "scenario": scenario}
