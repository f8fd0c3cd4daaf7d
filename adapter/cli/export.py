"""`pbx-adapter export`: cached calls of a period as JSON Lines or CSV."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import click
import orjson

from adapter.cli.options import settings_options
from adapter.cli.runner import open_store
from adapter.config import Settings
from adapter.model import CallRecord
from adapter.store.sql import SqlStore

__all__ = ["EXPORT_FIELDS", "register"]

EXPORT_FIELDS = tuple(CallRecord.__dataclass_fields__)


def register(cli: click.Group) -> None:
    cli.add_command(export)


@click.command()
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
