"""`mockpbx`: run the mock PBX server and work with its scenarios."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from pathlib import Path

import click
from aiohttp import web

from mockpbx.app import create_app, create_state

__all__ = ["main"]


def _parse_start(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not ISO 8601: {value!r}", param_hint="--start") from None
    if when.tzinfo is None:
        raise click.BadParameter("must carry a UTC offset, e.g. +03:00", param_hint="--start")
    return when


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mockpbx")
def main() -> None:
    """A provider-compatible mock PBX: UIS, Mango Office and the clinic HTTP API."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the world.")
@click.option(
    "--clock-rate",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Virtual clock speed: 0 frozen (moves only via the API), 1 real time, N faster.",
)
@click.option("--start", default=None, help="Virtual start time, ISO 8601 with offset.")
@click.option(
    "--mango-webhook",
    default=None,
    metavar="URL",
    help="Integrator base URL Mango events are posted to (<URL>events/call, ...).",
)
def serve(
    host: str,
    port: int,
    seed: int,
    clock_rate: float,
    start: str | None,
    mango_webhook: str | None,
) -> None:
    """Serve the mock until Ctrl-C."""
    state = create_state(seed=seed, start=_parse_start(start), rate=clock_rate)
    if mango_webhook:
        state.options["mango"] = {"webhook_url": mango_webhook}
    app = create_app(state)
    base = f"http://{host}:{port}"
    click.echo(
        f"mockpbx serving on {base}  (scenario {state.world.meta.get('scenario')}, seed {seed})"
    )
    click.echo(json.dumps(state.credentials.document(base), ensure_ascii=False, indent=2))
    click.echo("Ctrl-C stops it.")
    with contextlib.suppress(KeyboardInterrupt):
        web.run_app(app, host=host, port=port, print=None, handle_signals=True)
    click.echo("mockpbx stopped.")


@main.command()
@click.option(
    "--store",
    default="mockpbx-demo.sqlite3",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file the adapter caches calls in.",
)
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--keep", is_flag=True, help="Keep an existing cache file (default: start fresh).")
def demo(store: Path, seed: int, keep: bool) -> None:
    """Run the main job end to end: mock, background sync, report, check against the truth."""
    from mockpbx.demo import run_demo

    run_demo(store, seed, keep)
