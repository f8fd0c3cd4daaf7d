"""`pbx-adapter sync`: closed days into the cache, once or as a daemon (`adapter.sync`)."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from typing import Any

import click

from adapter.cli.options import settings_options
from adapter.cli.runner import run
from adapter.config import Settings, parse_duration
from adapter.runtime import open_runtime
from adapter.sync import Progress, SyncOptions, SyncReport, run_forever, run_once

__all__ = ["RichProgress", "register"]


def register(cli: click.Group) -> None:
    cli.add_command(sync)


@click.command()
@click.option("--every", "every", default=None, help="run as a daemon, every PERIOD (e.g. 3h)")
@click.option("--max-runs", type=int, default=None, help="daemon: stop after N runs")
@click.option("--progress/--no-progress", default=None, help="progress bar (default: on a TTY)")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None,
              help="daemon: /metrics, /healthz, /readyz on 127.0.0.1:PORT")  # fmt: skip
@click.option("--log-json/--no-log-json", default=False, envvar="PBX_ADAPTER_LOG_JSON",
              help="one JSON object per log line, with the account")  # fmt: skip
@settings_options
def sync(
    settings: Settings, every: str | None, max_runs: int | None, progress: bool | None,
    metrics_port: int | None, log_json: bool,
) -> None:  # fmt: skip
    """Load closed days into the cache: one run, or every PERIOD with --every."""
    if log_json:
        from adapter.worker_logs import setup_logging

        setup_logging(settings.log_level, json_lines=True)
    period = None
    if every is not None:
        try:
            period = parse_duration(every)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--every") from exc
    show = sys.stderr.isatty() if progress is None else progress
    run(_sync(settings, period, max_runs, show, metrics_port), settings)


async def _sync(
    settings: Settings,
    every: timedelta | None,
    max_runs: int | None,
    show: bool,
    metrics_port: int | None = None,
) -> None:
    options = SyncOptions(
        backfill_days=settings.backfill_days,
        every=every or settings.every,
        reread_days=settings.reread_days,
    )
    async with open_runtime(settings) as rt:
        source, store = rt.require_source(), rt.require_store()
        bar = RichProgress() if show else None
        if every is None:
            try:
                report = await run_once(source, store, rt.clock, options, progress=bar)
            finally:
                if bar is not None:
                    bar.stop()
            click.echo(_describe(report))
            return

        from adapter.metrics import daemon_health

        async with daemon_health(store.engine, "127.0.0.1", metrics_port, source.name) as daemon:

            def on_run(report: SyncReport | None, error: BaseException | None) -> None:
                click.echo(_describe(report) if report else f"run failed: {error}", err=True)
                daemon.observe(report, error)

            await run_forever(
                source, store, rt.clock, options, max_runs=max_runs, on_run=on_run, progress=bar
            )


def _describe(report: SyncReport) -> str:
    if report.status == "nothing":
        return f"{report.account}: cache is up to date (until {report.date_to})"
    last = report.date_to - timedelta(days=1)
    late = f", {report.late_calls} late arrival(s)" if report.late_calls else ""
    return (
        f"{report.account}: loaded {report.date_from}..{last}: "
        f"{report.days} day(s), {report.calls} call(s){late}"
    )


class RichProgress:
    """A rich progress bar over the days of a run (for long backfills)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[calls]} calls"),
            console=Console(stderr=True),
            transient=False,
        )
        self._task: Any = None
        self._calls = 0

    def start(self, account: str, days: int) -> None:
        self._calls = 0
        if self._task is not None:  # a daemon's next run: one bar, not one per run
            self._bar.remove_task(self._task)
        self._bar.start()
        self._task = self._bar.add_task(f"sync {account}", total=days, calls=0)

    def day_done(self, day: date, calls: int) -> None:
        self._calls += calls
        self._bar.update(self._task, advance=1, calls=self._calls)

    def stop(self) -> None:
        self._bar.stop()


_: type[Progress] = RichProgress
