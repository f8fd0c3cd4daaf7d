"""How a `pbx-adapter` subcommand runs: its coroutine, its logging, its store, its exit code.

Every command module of `adapter.cli` imports these from here, so none of
them imports the package `adapter.cli` (which imports them) back.
Exit codes: 0 ok, 1 provider or store failure, 2 wrong or missing setting.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import click

from adapter.config import Settings
from adapter.errors import AdapterError, ConfigError
from adapter.store.sql import SqlStore

__all__ = ["exit_on", "open_store", "run"]

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], settings: Settings | None = None) -> T:
    """Run a subcommand's coroutine; adapter errors become a message and an exit code."""
    _logging(settings.log_level if settings else "info")
    try:
        return asyncio.run(coro)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except AdapterError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)


def _logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the store logs what it migrated


def open_store(settings: Settings) -> SqlStore:
    """The settings' store, or exit (2 for a wrong setting, 1 for a store failure)."""
    try:
        return SqlStore(settings.store)
    except AdapterError as exc:
        exit_on(exc)


def exit_on(exc: AdapterError) -> NoReturn:
    """Say what failed and exit: 2 for a wrong setting, 1 for a provider or store failure."""
    click.echo(f"error: {exc}", err=True)
    sys.exit(2 if isinstance(exc, ConfigError) else 1)
