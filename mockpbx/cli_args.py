"""Argument helpers the `mockpbx` commands share (cli.py and record/commands.py)."""

from __future__ import annotations

from datetime import datetime

import click

from mockpbx.scenarios.loader import ScenarioError, load_scenario
from mockpbx.scenarios.model import Scenario

__all__ = ["EXIT_INVALID", "load_or_exit", "parse_start"]

EXIT_INVALID = 2  # an invalid scenario file (like click's usage errors)


def load_or_exit(name_or_path: str) -> Scenario:
    """A scenario, or exit 2 with the loader's message (file, field path, expectation)."""
    try:
        return load_scenario(name_or_path)
    except ScenarioError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(EXIT_INVALID) from None


def parse_start(value: str | None) -> datetime | None:
    """`--start` as an aware datetime (None when not given), or a usage error naming it."""
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not ISO 8601: {value!r}", param_hint="--start") from None
    if when.tzinfo is None:
        raise click.BadParameter("must carry a UTC offset, e.g. +03:00", param_hint="--start")
    return when
