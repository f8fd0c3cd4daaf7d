"""`pbx-adapter worker`: sync every account of the store, with other workers (`adapter.worker`)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import click

from adapter.cli.options import settings_options
from adapter.cli.runner import exit_on
from adapter.config import Settings, parse_duration
from adapter.errors import AdapterError
from adapter.worker_logs import setup_logging

__all__ = ["register"]

_LOG_JSON = click.option(
    "--log-json/--no-log-json",
    default=False,
    envvar="PBX_ADAPTER_LOG_JSON",
    help="one JSON object per log line (env PBX_ADAPTER_LOG_JSON=1)",
)


def register(cli: click.Group) -> None:
    cli.add_command(worker)


@click.command()
@click.option("--name", default=None, help="this worker's name (default host-pid)")
@click.option("--every", default="3h", show_default=True, help="sync each account every PERIOD")
@click.option("--tick", default=60, show_default=True, type=click.IntRange(1, 3600),
              help="seconds between scheduling passes")  # fmt: skip
@click.option("--concurrency", default=4, show_default=True, type=click.IntRange(1, 256))
@click.option("--heartbeat", default=10.0, show_default=True, type=click.FloatRange(0.1))
@click.option("--stalled-after", default=30.0, show_default=True, type=click.FloatRange(0.5),
              help="seconds without a heartbeat before a worker's jobs are retried")  # fmt: skip
@click.option("--attempts", default=3, show_default=True, type=click.IntRange(0, 100),
              help="retries of a failed account job")  # fmt: skip
@click.option("--retry-wait", default=30, show_default=True, type=click.IntRange(0))
@click.option("--poll", default=5.0, show_default=True, type=click.FloatRange(0.05))
@click.option("--metrics-host", default="127.0.0.1", show_default=True)
@click.option("--metrics-port", default=9464, show_default=True, type=click.IntRange(0, 65535),
              help="/metrics, /healthz, /readyz (0: a free port, logged)")  # fmt: skip
@_LOG_JSON
@settings_options
def worker(settings: Settings, log_json: bool, every: str, name: str | None, **rest: Any) -> None:
    """Run sync jobs of every account in the store, with other workers on one PostgreSQL."""
    from adapter.worker import Fleet, WorkerOptions

    try:
        period = parse_duration(every)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--every") from exc
    options = WorkerOptions(every=period, **rest)
    if name:
        options = replace(options, name=name)
    setup_logging(settings.log_level, json_lines=log_json, worker=options.name)
    try:
        fleet = Fleet(settings, options)
    except AdapterError as exc:
        exit_on(exc)
    try:
        asyncio.run(fleet.run())
    except KeyboardInterrupt:
        pass
    finally:
        fleet.close()
