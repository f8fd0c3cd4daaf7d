"""The one check every provider URL setting passes: an absolute http(s) URL with a host."""

from __future__ import annotations

import httpx

from adapter.errors import ConfigError

__all__ = ["check_url"]


def check_url(value: str, setting: str) -> str:
    """`value` if httpx can send to it (http or https, a host); else a ConfigError naming it."""
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL as exc:
        raise ConfigError(
            f"setting {setting}: {value!r} is not a URL: {exc}", setting=setting
        ) from exc
    if url.scheme not in ("http", "https"):
        raise ConfigError(
            f"setting {setting}: {value!r} needs an http:// or https:// scheme", setting=setting
        )
    if not url.host:
        raise ConfigError(f"setting {setting}: {value!r} has no host", setting=setting)
    return value
