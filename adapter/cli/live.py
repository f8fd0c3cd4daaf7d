"""`pbx-adapter live`: the live window in the terminal (the window itself: `adapter.live`)."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

import click

from adapter.cli.options import settings_options
from adapter.cli.runner import run
from adapter.config import Settings
from adapter.errors import CapabilityError
from adapter.live.board import WindowRow, snapshot
from adapter.live.receiver import receiving
from adapter.live.render import no_live_text, render_window, window_json
from adapter.live.workstations import Workstation, load_workstations, resolve_workstation
from adapter.providers.base import Provider
from adapter.runtime import Runtime, open_runtime
from adapter.store.clinic import ClinicStore

__all__ = ["register"]


def register(cli: click.Group) -> None:
    cli.add_command(live)


@click.command()
@click.option("--workstation", default=None, help="show only this workstation's SIP lines")
@click.option("--all", "show_all", is_flag=True, help="every call, unfiltered")
@click.option(
    "--workstations", envvar="PBX_ADAPTER_WORKSTATIONS", default=None,
    type=click.Path(dir_okay=False), help="TOML: [workstations.NAME] sip_lines, employee",
)  # fmt: skip
@click.option("--once", is_flag=True, help="print the window once and exit")
@click.option("--interval", type=float, default=1.0, help="seconds between refreshes")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--lang", type=click.Choice(["ru", "en"]), default="ru")
@settings_options
def live(
    settings: Settings, workstation: str | None, show_all: bool, workstations: str | None,
    once: bool, interval: float, fmt: str, lang: str,
) -> None:  # fmt: skip
    """Calls ringing or talking now, with the caller's card (refreshes until Ctrl-C)."""
    if workstation is None and not show_all:
        raise click.UsageError("name a --workstation, or pass --all for every call")
    station = None if show_all else workstation
    run(_live(settings, station, workstations, interval, once, fmt, lang), settings)


async def _live(
    settings: Settings, station: str | None, file: str | None, every: float, once: bool,
    fmt: str, lang: str,
) -> None:  # fmt: skip
    async with open_runtime(settings) as rt:
        clinic = ClinicStore(rt.require_store().engine)
        workstation = await asyncio.to_thread(_pick, station, file, clinic)
        source = rt.require_source()
        async with receiving(rt) as url:
            if url is not None:
                click.echo(f"listening for Mango events at {url}/", err=True)
            title = f"Calls · {workstation.name if workstation else 'all lines'}"
            try:
                if once:
                    now = await rt.clock.now()
                    rows = await snapshot(source, clinic, workstation, now)
                    _print_once(rows, title, now, fmt, lang)
                    return
                await _loop(rt, source, clinic, workstation, title, every, lang)
            except CapabilityError as exc:  # a partial provider: say so, never a crash
                click.echo(no_live_text(title, str(exc), fmt, lang))


def _pick(station: str | None, file: str | None, clinic: ClinicStore) -> Workstation | None:
    """The workstation named (None: every call); reads the staff from the store."""
    if station is None:
        return None
    configured = load_workstations(file) if file else {}
    return resolve_workstation(station, configured, clinic.staff())


def _print_once(rows: list[WindowRow], title: str, now: datetime, fmt: str, lang: str) -> None:
    if fmt == "json":
        click.echo(window_json(rows, title, now))
        return
    from rich.console import Console

    Console(width=200).print(render_window(rows, title, now, lang))


async def _loop(
    rt: Runtime, source: Provider, clinic: ClinicStore, ws: Workstation | None, title: str,
    every: float, lang: str,
) -> None:  # fmt: skip
    from rich.live import Live

    if not sys.stdout.isatty():  # piped: one table per refresh instead of redrawing
        while True:
            now = await rt.clock.now()
            rows = await snapshot(source, clinic, ws, now)
            _print_once(rows, title, now, "table", lang)
            sys.stdout.flush()
            await asyncio.sleep(every)
    with Live(refresh_per_second=4, screen=False) as window:
        while True:
            now = await rt.clock.now()
            rows = await snapshot(source, clinic, ws, now)
            window.update(render_window(rows, title, now, lang))
            await asyncio.sleep(every)
