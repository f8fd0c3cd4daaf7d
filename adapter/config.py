"""Settings of every `pbx-adapter` subcommand, and the one loader that reads them.

Each setting has one flat name (`uis_access_token`) and comes from, first
match wins:

1. the command line: `--uis-access-token ...`;
2. the environment: `PBX_ADAPTER_UIS_ACCESS_TOKEN=...`;
3. the TOML file from `--config` (or `PBX_ADAPTER_CONFIG`): top-level keys,
   or sections (`[uis] access_token = "..."` is `uis_access_token`);
4. with `--mockpbx URL`: provider URLs and credentials from the running
   mock's credentials document (filled in by `adapter.mockpbx_plane.resolve`);
5. the defaults below.

Subcommands get all of them through `adapter.cli.options.settings_options`
(see `adapter.cli` for how a module adds its own subcommand):

    @settings_options
    def live(settings: Settings, workstation: str) -> None: ...
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from adapter.errors import ConfigError
from adapter.store.sql import DEFAULT_STORE
from adapter.urls import check_url

__all__ = ["ENV_PREFIX", "Settings", "load_settings", "option_settings", "parse_duration"]

ENV_PREFIX = "PBX_ADAPTER_"
PROVIDERS = ("uis", "mango", "clinic")
URL_SETTINGS = ("mockpbx", "uis_data_api_url", "uis_call_api_url", "mango_url", "clinic_url")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a subcommand may need; see the module docstring for the sources."""

    provider: str | None = None
    store: str = DEFAULT_STORE
    mockpbx: str | None = None  # base URL of a running mock: credentials and clock from it
    backfill_days: int = 30
    reread_days: int = 3  # days before today every sync run re-reads (late history rows)
    every: timedelta = timedelta(hours=3)
    timeout: float = 30.0  # seconds per provider request
    retries: int = 6  # attempts per provider request
    backoff: float = 0.5  # first retry wait, seconds (exponential, with jitter)
    backoff_max: float = 30.0  # longest retry wait, seconds (also caps Retry-After)
    page_size: int | None = None  # rows per history page (default: the provider's maximum)
    log_level: str = "info"
    uis_data_api_url: str | None = None
    uis_call_api_url: str | None = None
    uis_access_token: str | None = None
    uis_login: str | None = None
    uis_password: str | None = None
    uis_virtual_number: str | None = None
    mango_url: str | None = None
    mango_api_key: str | None = None
    mango_api_salt: str | None = None
    mango_timezone: str = "Europe/Moscow"
    mango_poll_interval: float | None = None  # seconds between stats polls (5 for the real one)
    mango_line_number: str | None = None
    mango_webhook_host: str = "127.0.0.1"
    mango_webhook_port: int = 0
    clinic_url: str | None = None
    clinic_key: str | None = None
    clinic_timezone: str = "Europe/Moscow"

    def require(self, name: str) -> Any:
        """The value of setting `name`, or a ConfigError that says how to give it."""
        value = getattr(self, name)
        if value is None or value == "":
            raise ConfigError(f"missing setting {name}: {how_to_set(name)}", setting=name)
        return value

    def require_provider(self) -> str:
        provider = self.require("provider")
        if provider not in PROVIDERS:
            raise ConfigError(
                f"provider must be one of {', '.join(PROVIDERS)}, not {provider!r}",
                setting="provider",
            )
        return str(provider)


_HELP = {
    "provider": "uis | mango | clinic",
    "store": f"sqlite:///PATH or a PostgreSQL DSN (default {DEFAULT_STORE})",
    "mockpbx": "URL of a running mockpbx: take credentials and the clock from it",
    "backfill_days": "days the first sync run loads into an empty cache (default 30)",
    "reread_days": "days before today every sync run re-reads, for calls that reach the "
    "provider's history late (default 3)",
    "every": "daemon period for `sync --every` (e.g. 3h, 90m, 1d)",
    "timeout": "seconds per provider request (default 30)",
    "retries": "attempts per provider request (default 6)",
    "backoff": "first retry wait in seconds (default 0.5)",
    "backoff_max": "longest retry wait in seconds, also caps Retry-After (default 30)",
    "page_size": "rows per history page (default: the provider's maximum)",
    "log_level": "debug | info | warning | error",
}
_CLI_SKIP = {"every"}  # `sync --every` has its own option


def how_to_set(name: str) -> str:
    return (
        f"pass --{name.replace('_', '-')}, set {ENV_PREFIX}{name.upper()}, "
        f"or put it in the --config TOML file"
    )


def parse_duration(text: str) -> timedelta:
    """`3h`, `90m`, `45s`, `1d`, `1h30m` or plain seconds -> timedelta."""
    value = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        seconds = float(value)
    else:
        parts = re.findall(r"(\d+(?:\.\d+)?)\s*([dhms])", value)
        if not parts or "".join(n + u for n, u in parts) != value.replace(" ", ""):
            raise ValueError(f"not a duration: {text!r} (use e.g. 3h, 90m, 1d)")
        unit = {"d": 86400, "h": 3600, "m": 60, "s": 1}
        seconds = sum(float(n) * unit[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"a duration must be positive: {text!r}")
    return timedelta(seconds=seconds)


def option_settings() -> dict[str, tuple[str, str]]:
    """The settings a command line gives as options: name -> (type, help text)."""
    return {
        name: (kind, _HELP.get(name, name.replace("_", " ")))
        for name, kind in _types().items()
        if name not in _CLI_SKIP
    }


def _types() -> dict[str, str]:
    return {f.name: str(f.type) for f in fields(Settings)}


def _convert(name: str, value: Any) -> Any:
    kind = _types()[name]
    if value is None:
        return None
    try:
        if kind == "timedelta":
            return value if isinstance(value, timedelta) else parse_duration(str(value))
        if kind.startswith("int"):
            if isinstance(value, bool):
                raise ValueError("a boolean")
            return int(value)
        if kind.startswith("float"):
            return float(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"setting {name} has a wrong value {value!r}: {exc}", setting=name
        ) from exc
    return str(value)


def load_toml_file(path: str | Path, what: str, setting: str) -> tuple[Path, dict[str, Any]]:
    """(the file, its TOML) of a `what` file (config, accounts, workstations): a missing or
    unreadable file is a ConfigError naming the file and `setting`."""
    file = Path(path).expanduser()
    try:
        return file, tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{what} file not found: {file}", setting=setting) from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{what} file {file} is not valid TOML: {exc}", setting=setting) from exc


def read_toml(path: str | Path) -> dict[str, Any]:
    """A config file flattened to setting names (`[uis] login` -> `uis_login`)."""
    file, raw = load_toml_file(path, "config", "config")
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            flat.update({f"{key}_{k}".replace("-", "_"): v for k, v in value.items()})
        else:
            flat[key.replace("-", "_")] = value
    unknown = sorted(set(flat) - set(_types()))
    if unknown:
        raise ConfigError(
            f"config file {file}: unknown setting(s) {', '.join(unknown)}", setting=unknown[0]
        )
    return flat


def read_env(environ: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _types():
        value = environ.get(ENV_PREFIX + name.upper())
        if value not in (None, ""):
            out[name] = value
    return out


def load_settings(
    cli: Mapping[str, Any] | None = None,
    *,
    config: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Merge command line > environment > TOML file > defaults into `Settings`."""
    environ = os.environ if environ is None else environ
    config = config or environ.get(ENV_PREFIX + "CONFIG") or None
    merged: dict[str, Any] = {}
    if config:
        merged.update(read_toml(config))
    merged.update(read_env(environ))
    merged.update({k: v for k, v in (cli or {}).items() if v is not None})
    values = {name: _convert(name, value) for name, value in merged.items()}
    settings = Settings(**values)
    for name in ("backfill_days", "reread_days"):
        if getattr(settings, name) < 0:
            raise ConfigError(f"setting {name} must be 0 or more", setting=name)
    for name in URL_SETTINGS:
        if getattr(settings, name) is not None:
            check_url(getattr(settings, name), name)
    if settings.provider is not None:
        settings.require_provider()
    return settings
