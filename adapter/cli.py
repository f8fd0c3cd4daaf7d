"""`pbx-adapter`: the clinic-side client (sync, status, export; live, call, report elsewhere).

This is the composition root. Every subcommand takes the same settings
options through `adapter.config.settings_options` and opens what it needs
with `adapter.runtime.open_runtime`.

Adding a subcommand from another module: define `register(cli: click.Group)`
there, add the commands in it, and name the module in `COMMAND_MODULES`
(explicit imports: no module imports this one back):

    def register(cli: click.Group) -> None:
        @cli.command()
        @settings_options
        def live(settings: Settings) -> None:
            run(_live(settings))      # adapter.runner.run: errors -> clean exit codes

Exit codes: 0 ok, 1 provider or store failure, 2 wrong or missing setting.
"""

from __future__ import annotations

import csv
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import ModuleType
from typing import IO, Any
from zoneinfo import ZoneInfo

import click
import orjson

from adapter import clinic_data, dialer, live, worker_cli
from adapter.config import Settings, parse_duration, settings_options
from adapter.model import CallRecord
from adapter.reports import cli as report_cli
from adapter.runner import open_store, run
from adapter.runtime import open_runtime
from adapter.store.sql import SqlStore
from adapter.sync import Progress, SyncOptions, SyncReport, run_forever, run_once

__all__ = ["COMMAND_MODULES", "main"]

log = logging.getLogger("adapter")

# The modules that add subcommands with `register(cli)`, in registration order.
COMMAND_MODULES = (live, dialer, report_cli, clinic_data, worker_cli)
EXPORT_FIELDS = tuple(CallRecord.__dataclass_fields__)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """The clinic-side adapter for UIS, Mango Office and the clinic HTTP API."""


# -- sync ------------------------------------------------------------------------------
@main.command()
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


# -- status ----------------------------------------------------------------------------
@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@settings_options
def status(settings: Settings, fmt: str) -> None:
    """What is cached: per account the last cached call, the last run and its error."""
    store = open_store(settings)
    try:
        states, runs = store.states(), store.runs(limit=5)
        total = store.count_calls()
        fleet = _fleet_status(store, states)
    finally:
        store.close()
    if fmt == "json":
        body = {
            "store": store.display_url,
            "calls": total,
            "accounts": [_jsonable(s) for s in states],
            "recent_runs": [_jsonable(r) for r in runs],
            "fleet": fleet,
        }
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    click.echo(f"store: {store.display_url} ({total} cached calls)")
    if not states and not fleet:
        click.echo("no sync has run yet")
    for s in states:
        click.echo(
            f"{s.account} [{s.provider}, {s.timezone}]: last cached call {s.last_call_at or '-'}; "
            f"cached before {s.loaded_until or '-'} (lag {_lag(s)}); runs {s.runs}; "
            f"last run {s.last_run_started or '-'} -> {s.last_status or '-'}; "
            f"late arrivals {s.late_calls}" + (f"; error: {s.last_error}" if s.last_error else "")
        )
    for row in fleet:
        click.echo(
            f"account {row['name']} [{row['provider']}] -> {row['provider_key'] or 'not synced'}: "
            f"lag {row['lag'] or '-'}, last error: {row['last_error'] or '-'}"
        )


def _lag(state: Any) -> str:
    from adapter.accounts import lag

    behind = lag(state.loaded_until, state.timezone, datetime.now(UTC))
    return "-" if behind is None else str(behind).split(".")[0]


def _fleet_status(store: SqlStore, states: list[Any]) -> list[dict[str, Any]]:
    """Every configured account (`accounts add`): its lag and last error."""
    from adapter.accounts import AccountRegistry

    by_key = {s.account: s for s in states}
    out = []
    for a in AccountRegistry(store.engine).all():
        s = by_key.get(a.provider_key or "")
        out.append({
            "name": a.name, "provider": a.provider, "provider_key": a.provider_key,
            "lag": None if s is None else _lag(s), "last_status": s and s.last_status,
            "last_error": s and s.last_error,
        })  # fmt: skip
    return out


def _jsonable(obj: Any) -> dict[str, Any]:
    return {
        k: (v.isoformat() if isinstance(v, date | datetime) else v)
        for k, v in ((name, getattr(obj, name)) for name in obj.__dataclass_fields__)
    }


# -- export ----------------------------------------------------------------------------
@main.command()
@click.option("--from", "date_from", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "date_to", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), default=None, help="default stdout"
)
@click.option("--tz", default=None, help="timezone of the dates (default: the account's)")
@settings_options
def export(
    settings: Settings,
    date_from: datetime,
    date_to: datetime,
    fmt: str,
    output: str | None,
    tz: str | None,
) -> None:
    """Cached calls that started from 00:00 of --from to the end of --to, one per line."""
    if date_to < date_from:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    store = open_store(settings)
    try:
        zone = _export_zone(store, tz)
        start = datetime.combine(date_from.date(), time(0), zone)
        end = datetime.combine(date_to.date() + timedelta(days=1), time(0), zone)
        records = store.iter_calls(start, end)
        if output is None:
            count = _write(records, fmt, sys.stdout)
        else:
            with Path(output).open("w", encoding="utf-8", newline="") as out:
                count = _write(records, fmt, out)
    finally:
        store.close()
    click.echo(f"exported {count} call(s)", err=True)


def _export_zone(store: SqlStore, tz: str | None) -> ZoneInfo:
    name = tz or next((s.timezone for s in store.states()), "UTC")
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        raise click.BadParameter(f"unknown timezone {name!r}", param_hint="--tz") from None


def _write(records: Iterator[CallRecord], fmt: str, out: IO[str]) -> int:
    count = 0
    if fmt == "jsonl":
        for record in records:
            out.write(orjson.dumps(record.as_dict()).decode() + "\n")
            count += 1
        return count
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for record in records:
        row = record.as_dict()
        row["recording_urls"] = " ".join(record.recording_urls)
        writer.writerow(row)
        count += 1
    return count


# -- the other modules' commands ------------------------------------------------------
def _register(group: click.Group, modules: tuple[ModuleType, ...]) -> None:
    for module in modules:
        module.register(group)


_register(main, COMMAND_MODULES)


if __name__ == "__main__":
    main()
