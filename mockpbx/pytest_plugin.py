"""pytest plugin (entry point `pytest11: mockpbx`): a real mockpbx server for tests.

Fixtures:
    mockpbx_server    one server per session (per xdist worker: each worker is its own
                      process with its own server, so nothing is shared), on a free port
    mockpbx           that server, reset before each test (world, journal, faults, and
                      every face's options back to the server's baseline); exceptions
                      raised inside the server fail the test that caused them
    mockpbx_clock     the virtual clock of the test's server (advance, set, run_through)
    mockpbx_faults    inject faults (add / inject(...) as a context manager / clear)
    mockpbx_journal   assert on requests: count, assert_called, assert_not_called, last
    mockpbx_truth     what really happened: calls(start, end), clinic(start, end)
    mockpbx_scenario  load a scenario mid-test: mockpbx_scenario("clinic_day", seed=3)

Per-test settings with a marker (scenario: a built-in name, a file or a `Scenario`;
start: an aware datetime or an ISO 8601 string with an offset):
    @pytest.mark.mockpbx(scenario="clinic_day", seed=7, start="2026-05-14T09:00+03:00",
                         rate=0, mango_webhook="http://127.0.0.1:9000/mango/")
    @pytest.mark.mockpbx(secret_key="golden")   # fixed secrets: byte-identical links, tokens
    @pytest.mark.mockpbx(replay="tests/cassettes/uis.jsonl")  # recorded answers (a path or a
                        # list; replay_fallback="world" lets the world answer the rest)

Defaults: seed 1, the default scenario, the clock frozen (rate 0) at
`mockpbx.testing.DEFAULT_START` (Thursday 2026-05-14 10:30 Moscow time).

The plugin loads in every pytest process of a project that depends on
mockpbx, so this module imports only pytest at load time: the server
(aiohttp, the world) is imported when a test first asks for a fixture.

Options: `--mockpbx-secret-key KEY` (ini `mockpbx_secret_key`) fixes the secrets of
the session's server (default: a random key per server); `--mockpbx-control-token
TOKEN` (ini `mockpbx_control_token`) makes its /_mockpbx/ endpoints ask for a token
(`mockpbx.control_headers` carries it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockpbx.testing import (
        ClockControl,
        FaultsControl,
        JournalView,
        MockPBXServer,
        TruthView,
    )

__all__ = [
    "mockpbx",
    "mockpbx_clock",
    "mockpbx_faults",
    "mockpbx_journal",
    "mockpbx_scenario",
    "mockpbx_server",
    "mockpbx_truth",
]

MARKER_OPTIONS = (
    "seed",
    "scenario",
    "start",
    "rate",
    "mango_webhook",
    "secret_key",
    "replay",
    "replay_fallback",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockpbx")
    for name, help_text in (
        ("secret-key", "fixed secret key of the mockpbx server (default: random per server)"),
        ("control-token", "token the mockpbx server's /_mockpbx/ endpoints ask for"),
    ):
        group.addoption(f"--mockpbx-{name}", default=None, help=help_text)
        parser.addini(f"mockpbx_{name.replace('-', '_')}", help_text, default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockpbx(seed, scenario, start, rate, mango_webhook, secret_key, replay): the world",
    )


def _setting(config: pytest.Config, name: str) -> str | None:
    value = config.getoption(f"--mockpbx-{name}") or config.getini(
        f"mockpbx_{name.replace('-', '_')}"
    )
    return str(value) if value else None


@pytest.fixture(scope="session")
def mockpbx_server(pytestconfig: pytest.Config) -> Iterator[MockPBXServer]:
    """A mockpbx server shared by the session (each xdist worker has its own)."""
    from mockpbx.testing import MockPBXServer

    with MockPBXServer(
        secret_key=_setting(pytestconfig, "secret-key"),
        control_token=_setting(pytestconfig, "control-token"),
    ) as server:
        yield server


@pytest.fixture
def mockpbx(
    request: pytest.FixtureRequest, mockpbx_server: MockPBXServer
) -> Iterator[MockPBXServer]:
    """The session's server, reset for this test (seed/scenario/start/rate from the marker)."""
    marker = request.node.get_closest_marker("mockpbx")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    webhook = options.pop("mango_webhook", None)
    mockpbx_server.reset(**_reset_options(mockpbx_server, options))
    if webhook is not None:
        mockpbx_server.set_mango_webhook(webhook)
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
        mockpbx.load_scenario(_scenario(scenario), **options)
        return mockpbx

    return load


def _reset_options(server: MockPBXServer, options: dict[str, Any]) -> dict[str, Any]:
    from mockpbx.testing import _at_start_time, as_datetime

    unknown = set(options) - set(MARKER_OPTIONS)
    if unknown:
        raise pytest.UsageError(f"unknown mockpbx marker options: {', '.join(sorted(unknown))}")
    state = server.state
    assert state is not None
    defaults = server._kwargs
    try:
        start = options.get("start", defaults["start"])
        state.start = None if start is None else as_datetime(start)
    except ValueError as exc:
        pytest.fail(f"@pytest.mark.mockpbx(start=...): {exc}", pytrace=False)
    state.rate = options.get("rate", defaults["rate"])
    state.secret_key = options.get("secret_key", defaults["secret_key"])
    scenario = options.get("scenario") or defaults["scenario"]
    if scenario is None:
        from mockpbx.scenarios.model import Scenario

        scenario = Scenario()
    else:
        scenario = _scenario(scenario)
        if "start" not in options and scenario.start_time and state.start is not None:
            state.start = _at_start_time(state.start, scenario)
    return {"seed": options.get("seed", defaults["seed"]), "scenario": scenario}


def _install_replay(server: MockPBXServer, options: dict[str, Any]) -> None:
    from mockpbx.record.replay import load_replay

    paths = options["replay"]
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else paths
    replay = load_replay(paths, options.get("replay_fallback", "not-found"))
    server.call(lambda s: s.options.__setitem__("replay", replay))


def _scenario(value: Any) -> Any:
    """A `Scenario` as is, or one loaded by name or path; a bad file fails the test
    with the loader's `file: field.path: expected` lines (as `mockpbx scenarios validate`)."""
    from mockpbx.scenarios.loader import ScenarioError, load_scenario
    from mockpbx.scenarios.model import Scenario

    if isinstance(value, Scenario):
        return value
    try:
        return load_scenario(value)
    except ScenarioError as exc:
        pytest.fail(str(exc), pytrace=False)
