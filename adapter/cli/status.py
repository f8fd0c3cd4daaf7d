"""`pbx-adapter status`: what is cached, per account, and the fleet's lag and errors."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import click

from adapter.cli.options import settings_options
from adapter.cli.runner import open_store
from adapter.config import Settings
from adapter.store.sql import SqlStore

__all__ = ["register"]


def register(cli: click.Group) -> None:
    cli.add_command(status)


@click.command()
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
