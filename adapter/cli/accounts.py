"""`pbx-adapter accounts add|list|remove`: the accounts the fleet syncs (`adapter.accounts`)."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import click
import httpx

from adapter.accounts import Account, AccountRegistry, load_accounts_file, parse_account
from adapter.cli.options import settings_options
from adapter.cli.runner import exit_on, open_store
from adapter.config import PROVIDERS, Settings
from adapter.errors import ConfigError
from adapter.mockpbx_plane import accounts_from_mock, fetch_mock_credentials
from adapter.store.sql import SqlStore

__all__ = ["register"]


def register(cli: click.Group) -> None:
    cli.add_command(accounts)


def _registry(settings: Settings) -> tuple[SqlStore, AccountRegistry]:
    store = open_store(settings)
    return store, AccountRegistry(store.engine)


@click.group()
def accounts() -> None:
    """The accounts `pbx-adapter worker` syncs (kept in the store)."""


@accounts.command("add")
@click.argument("name", required=False)
@click.option("--file", "file", type=click.Path(dir_okay=False), help="a TOML file of [[accounts]]")
@click.option("--from-mockpbx", "mock_url", default=None, metavar="URL",
              help="every account of a running mockpbx (with --account-provider)")  # fmt: skip
@click.option("--account-provider", type=click.Choice(PROVIDERS), default=None)
@click.option("--account-timezone", default=None, help="the account's time zone")
@click.option("--account-backfill-days", type=int, default=None)
@click.option("--credential", "-c", "creds", multiple=True, metavar="KEY=VALUE",
              help="a provider setting without its prefix, e.g. access_token=...")  # fmt: skip
@click.option("--count", type=int, default=None, help="--from-mockpbx: the first N accounts")
@settings_options
def accounts_add(settings: Settings, name: str | None, file: str | None, mock_url: str | None,
                 account_provider: str | None, account_timezone: str | None,
                 account_backfill_days: int | None, creds: tuple[str, ...],
                 count: int | None) -> None:  # fmt: skip
    """Add (or replace, by name) accounts: NAME with options, a --file, or --from-mockpbx."""
    try:
        if file is not None:
            found = load_accounts_file(file)
        elif mock_url is not None:
            found = _from_mock(mock_url, account_provider or "uis", count)
        else:
            found = [_one(name, account_provider, account_timezone, account_backfill_days, creds)]
    except ConfigError as exc:
        exit_on(exc)
    store, registry = _registry(settings)
    try:
        added = registry.add(found)
    finally:
        store.close()
    click.echo(f"{added} account(s) added")


def _one(
    name: str | None, provider: str | None, tz: str | None, backfill: int | None,
    creds: tuple[str, ...],
) -> Account:  # fmt: skip
    pairs: dict[str, str] = {}
    for item in creds:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--credential {item!r}: KEY=VALUE expected", setting="credential")
        pairs[key.strip()] = value
    raw = {"name": name, "provider": provider, "timezone": tz, "backfill_days": backfill,
           "credentials": pairs}  # fmt: skip
    return parse_account({k: v for k, v in raw.items() if v is not None}, "account")


def _from_mock(url: str, provider: str, count: int | None) -> list[Account]:
    async def fetch() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=30) as http:
            return await fetch_mock_credentials(http, url)

    return accounts_from_mock(asyncio.run(fetch()), provider, count=count)


@accounts.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@settings_options
def accounts_list(settings: Settings, fmt: str) -> None:
    """Every account (credentials are not shown)."""
    store, registry = _registry(settings)
    try:
        found = registry.all()
    finally:
        store.close()
    rows: list[dict[str, Any]] = [
        {"name": a.name, "provider": a.provider, "timezone": a.timezone,
         "backfill_days": a.backfill_days, "provider_key": a.provider_key,
         "credentials": sorted(a.credentials)}
        for a in found
    ]  # fmt: skip
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        click.echo(
            f"{r['name']} [{r['provider']}, {r['timezone'] or '-'}] "
            f"key {r['provider_key'] or '-'}; credentials: {', '.join(r['credentials']) or '-'}"
        )
    click.echo(f"{len(rows)} account(s)")


@accounts.command("remove")
@click.argument("name")
@settings_options
def accounts_remove(settings: Settings, name: str) -> None:
    """Remove an account (its cached calls stay)."""
    store, registry = _registry(settings)
    try:
        removed = registry.remove(name)
    finally:
        store.close()
    if not removed:
        click.echo(f"error: no account named {name!r}", err=True)
        sys.exit(2)
    click.echo(f"removed {name}")
