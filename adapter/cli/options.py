"""`@settings_options`: every setting of `adapter.config.Settings` as an option of a command.

    @click.command()
    @settings_options
    def live(settings: Settings, workstation: str) -> None: ...

The command gets one `settings` (command line > env > TOML > defaults, see
`adapter.config`); a wrong setting is a usage error (exit 2).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from adapter.config import PROVIDERS, load_settings, option_settings
from adapter.errors import ConfigError

__all__ = ["settings_options"]

F = TypeVar("F", bound=Callable[..., Any])


def settings_options(func: F) -> F:
    """Add every setting as an option (plus --config); call `func(settings=..., **rest)`."""
    names = option_settings()

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        config = kwargs.pop("config", None)
        cli = {name: kwargs.pop(name, None) for name in names}
        try:
            settings = load_settings(cli, config=config)
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from exc
        return func(settings=settings, **kwargs)

    options = [click.option("--config", type=click.Path(dir_okay=False), help="a TOML file")]
    for name, (kind, help_text) in names.items():
        flag = "--" + name.replace("_", "-")
        if name == "provider":
            options.append(click.option(flag, type=click.Choice(PROVIDERS), help=help_text))
        elif kind.startswith("int"):
            options.append(click.option(flag, type=int, default=None, help=help_text))
        elif kind.startswith("float"):
            options.append(click.option(flag, type=float, default=None, help=help_text))
        else:
            options.append(click.option(flag, default=None, help=help_text))
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]
