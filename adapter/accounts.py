"""The accounts a fleet of workers syncs: a TOML file, the `accounts` table, their settings.

A file lists accounts (`pbx-adapter accounts add --file accounts.toml`):

    [[accounts]]
    name = "branch-1"              # unique, the fleet's name of the account
    provider = "uis"               # uis | mango | clinic
    timezone = "Asia/Yekaterinburg"  # the account's time zone (Mango and clinic need it)
    backfill_days = 30             # optional: the first run's backfill
    [accounts.credentials]         # the provider's settings without their prefix
    data_api_url = "https://dataapi.uis.st/v2.0"
    access_token = "..."

Credentials are the provider's settings of `adapter.config.Settings` without
the provider prefix: uis (data_api_url, call_api_url, access_token, login,
password), mango (url, api_key, api_salt), clinic (url, key). Everything else
(timeouts, retries, the store, `--mockpbx`) comes from the worker's settings.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from sqlalchemy import Engine, delete, insert, select, update

from adapter.config import PROVIDERS, Settings, load_toml_file
from adapter.errors import ConfigError
from adapter.store.schema import accounts as accounts_table
from adapter.urls import check_url

__all__ = [
    "CREDENTIALS",
    "Account",
    "AccountRegistry",
    "account_settings",
    "load_accounts_file",
    "parse_account",
]

CREDENTIALS: dict[str, tuple[str, ...]] = {
    "uis": ("data_api_url", "call_api_url", "access_token", "login", "password", "virtual_number"),
    "mango": ("url", "api_key", "api_salt", "line_number"),
    "clinic": ("url", "key"),
}
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")


@dataclass(frozen=True, slots=True)
class Account:
    """One account of the fleet."""

    name: str
    provider: str
    credentials: dict[str, str] = field(default_factory=dict)
    timezone: str | None = None
    backfill_days: int | None = None
    provider_key: str | None = None  # the provider's account key, once synced
    last_started_at: datetime | None = None  # the last job's start (sync clock)


def _fail(where: str, message: str) -> ConfigError:
    return ConfigError(f"{where}: {message}", setting=where)


def parse_account(raw: Mapping[str, Any], where: str = "account") -> Account:
    """An account from a mapping (a TOML table); ConfigError naming the field."""
    unknown = sorted(set(raw) - {"name", "provider", "timezone", "backfill_days", "credentials"})
    if unknown:
        raise _fail(f"{where}.{unknown[0]}", "unknown field")
    name = raw.get("name")
    if not isinstance(name, str) or not name or len(name) > 64 or set(name) - _NAME_CHARS:
        raise _fail(f"{where}.name", "1-64 characters of letters, digits, - _ . : required")
    provider = raw.get("provider")
    if provider not in PROVIDERS:
        raise _fail(f"{where}.provider", f"one of {', '.join(PROVIDERS)} required")
    creds = _credentials(raw.get("credentials", {}), str(provider), f"{where}.credentials")
    return Account(
        name=name,
        provider=str(provider),
        credentials=creds,
        timezone=_timezone(raw.get("timezone"), f"{where}.timezone"),
        backfill_days=_backfill(raw.get("backfill_days"), f"{where}.backfill_days"),
    )


def _credentials(raw: Any, provider: str, where: str) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise _fail(where, "a table of the provider's settings required")
    out: dict[str, str] = {}
    for key, value in raw.items():
        if key not in CREDENTIALS[provider]:
            raise _fail(
                f"{where}.{key}", f"not a {provider} setting ({', '.join(CREDENTIALS[provider])})"
            )
        if not isinstance(value, str) or not value:
            raise _fail(f"{where}.{key}", "a non-empty string required")
        if key.endswith("url"):
            check_url(value, f"{where}.{key}")
        out[key] = value
    return out


def _timezone(value: Any, where: str) -> str | None:
    if value is None:
        return None
    try:
        return ZoneInfo(str(value)).key
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(where, f"unknown time zone {value!r}") from None


def _backfill(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3660:
        raise _fail(where, f"a whole number of days 0..3660 required, not {value!r}")
    return value


def load_accounts_file(path: str | Path) -> list[Account]:
    """Every `[[accounts]]` of a TOML file; ConfigError naming the file and field."""
    file, raw = load_toml_file(path, "accounts", "file")
    entries = raw.get("accounts")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{file}: no [[accounts]] tables", setting="accounts")
    accounts = [parse_account(e, f"{file}: accounts[{i}]") for i, e in enumerate(entries)]
    names = [a.name for a in accounts]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise ConfigError(f"{file}: account name {dup!r} appears twice", setting="name")
    return accounts


def account_settings(base: Settings, account: Account) -> Settings:
    """The settings one account's job runs with: the worker's, the account's over them."""
    updates: dict[str, Any] = {"provider": account.provider}
    for key in CREDENTIALS[account.provider]:
        updates[f"{account.provider}_{key}"] = account.credentials.get(key)
    if account.timezone is not None and account.provider in ("mango", "clinic"):
        updates[f"{account.provider}_timezone"] = account.timezone
    if account.backfill_days is not None:
        updates["backfill_days"] = account.backfill_days
    return dataclasses.replace(base, **updates)


class AccountRegistry:
    """The `accounts` table of a store (add, list, remove; the worker's bookkeeping)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, accounts: Iterable[Account]) -> int:
        """Insert or replace each account by name (in one transaction); returns how many."""
        rows = [_row(a) for a in accounts]
        with self.engine.begin() as conn:
            for row in rows:
                conn.execute(delete(accounts_table).where(accounts_table.c.name == row["name"]))
                conn.execute(insert(accounts_table).values(**row))
        return len(rows)

    def remove(self, name: str) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(delete(accounts_table).where(accounts_table.c.name == name))
        return bool(result.rowcount)

    def all(self) -> list[Account]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(accounts_table).order_by(accounts_table.c.name)).all()
        return [_account(r._mapping) for r in rows]

    def get(self, name: str) -> Account | None:
        query = select(accounts_table).where(accounts_table.c.name == name)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _account(row._mapping)

    def started(self, name: str, when: datetime, provider_key: str | None = None) -> None:
        """A job of `name` started at `when` (the 3-hour rule counts from it)."""
        values: dict[str, Any] = {"last_started_at": int(when.timestamp())}
        if provider_key is not None:
            values["provider_key"] = provider_key
        with self.engine.begin() as conn:
            conn.execute(
                update(accounts_table).where(accounts_table.c.name == name).values(**values)
            )

    def due(self, now: datetime, every: timedelta) -> list[str]:
        """Accounts whose last job started `every` or more before `now` (or never)."""
        cutoff = int((now - every).timestamp())
        query = (
            select(accounts_table.c.name)
            .where(
                (accounts_table.c.last_started_at.is_(None))
                | (accounts_table.c.last_started_at <= cutoff)
            )
            .order_by(accounts_table.c.name)
        )
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(query)]


def _row(a: Account) -> dict[str, Any]:
    return {
        "name": a.name,
        "provider": a.provider,
        "timezone": a.timezone,
        "backfill_days": a.backfill_days,
        "credentials": orjson.dumps(a.credentials).decode(),
        "provider_key": a.provider_key,
        "last_started_at": None,
        "created_at": int(time.time()),
    }


def _account(m: Any) -> Account:
    started = m["last_started_at"]
    return Account(
        name=m["name"],
        provider=m["provider"],
        credentials=orjson.loads(m["credentials"]),
        timezone=m["timezone"],
        backfill_days=m["backfill_days"],
        provider_key=m["provider_key"],
        last_started_at=None if started is None else datetime.fromtimestamp(started, UTC),
    )


def lag(loaded_until: date | None, timezone: str, now: datetime) -> timedelta | None:
    """How far the cache is behind: from 00:00 of the first day not cached to `now`."""
    if loaded_until is None:
        return None
    start = datetime.combine(loaded_until, datetime.min.time(), ZoneInfo(timezone))
    return max(timedelta(0), now - start)
