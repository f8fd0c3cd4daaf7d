"""The mock-following clock (over MockTransport) and the CLI's extension hook."""

from __future__ import annotations

import types
from datetime import datetime, timedelta

import click
import httpx
import pytest
from click.testing import CliRunner

from adapter import cli
from adapter.cli.options import settings_options
from adapter.config import Settings
from adapter.errors import ProtocolError, UnavailableError
from adapter.mockpbx_plane import MockClock


class FakeMockClock:
    """GET /_mockpbx/clock answers: a clock at `rate` that starts at `start`, read `reads` times."""

    def __init__(self, start: datetime, rate: float, step: float = 0.0) -> None:
        self.now, self.rate, self.step, self.reads = start, rate, step, 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/_mockpbx/clock"
        self.reads += 1
        self.now += timedelta(seconds=self.step)  # a frozen clock that a test advances
        return httpx.Response(200, json={"now": self.now.isoformat(), "rate": self.rate})


START = datetime.fromisoformat("2026-05-14T10:30:00+03:00")


def clock(fake: object) -> MockClock:
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake))  # type: ignore[arg-type]
    return MockClock(http, "http://mock", poll=0.01)


async def test_now__is_the_mocks_time() -> None:
    assert await clock(FakeMockClock(START, 0)).now() == START


async def test_sleep_until__polls_a_frozen_clock_until_it_is_advanced() -> None:
    fake = FakeMockClock(START, 0, step=600)
    await clock(fake).sleep_until(START + timedelta(hours=1))
    assert fake.reads == 6


async def test_sleep_until__a_fast_clock_takes_little_real_time() -> None:
    fake = FakeMockClock(START, 3600 * 1000, step=1800)
    await clock(fake).sleep_until(START + timedelta(hours=3))
    assert fake.reads <= 7


async def test_unreachable_mock__is_unavailable() -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(UnavailableError, match="unreachable"):
        await clock(boom).now()


async def test_clock_without_offset__is_a_protocol_error() -> None:
    def naive(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"now": "2026-05-14T10:30:00", "rate": 0})

    with pytest.raises(ProtocolError, match="offset"):
        await clock(naive).now()


def test_command_module__adds_its_subcommand_with_the_shared_options() -> None:
    """A module with `register(cli)` adds its commands, which get the shared options."""
    module = types.ModuleType("adapter_test_commands")

    def register(group: click.Group) -> None:
        @group.command("hello")
        @settings_options
        def hello(settings: Settings) -> None:
            click.echo(f"provider={settings.provider} store={settings.store}")

    module.register = register  # type: ignore[attr-defined]
    group = click.Group(commands=dict(cli.main.commands))
    cli._register(group, (module,))
    result = CliRunner().invoke(group, ["hello", "--provider", "mango"], env={})
    assert result.exit_code == 0, result.output
    assert result.output.startswith("provider=mango store=sqlite:///")


def test_command_modules__are_all_registered() -> None:
    """Every command module's commands are on `pbx-adapter`, besides sync, status and export."""
    assert {"live", "call", "report", "import-clinic", "comment", "worker", "accounts"} <= set(
        cli.main.commands
    )


def test_every_subcommand__takes_the_shared_options() -> None:
    for name in ("sync", "status", "export"):
        params = {p.name for p in cli.main.commands[name].params}
        assert {"provider", "store", "mockpbx", "config", "uis_access_token"} <= params, name
