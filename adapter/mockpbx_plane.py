"""Everything the adapter knows about a running mockpbx's control plane (`/_mockpbx/...`).

With `--mockpbx URL` the adapter runs against the mock as it would against a
clinic's real provider, plus three things only the mock has. This module is
the one place that knows their paths and shapes (the adapter never imports
the `mockpbx` package; it speaks to the mock over HTTP only):

- `GET /_mockpbx/credentials`: the providers' URLs and credentials,

      {"uis": {"data_api_url", "call_api_url", "access_token", "login", "password"},
       "mango": {"url", "api_key", "api_salt"}, "clinic": {"url", "key"},
       "accounts": [{"account", "timezone", "uis": {...}, "mango": {...}, ...}]}

  (`accounts` only with several mock accounts). `resolve` fills the settings
  not given from it; `accounts_from_mock` makes the fleet's accounts of it.
- `GET /_mockpbx/clock`: `{"now", "rate"}`, the mock's virtual clock, which
  `MockClock` follows.
- `POST /_mockpbx/mango/webhook` `{"url"}`: where the mock's Mango face posts
  its events (`point_mango_webhook`: the live window's receiver).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from adapter.accounts import CREDENTIALS, Account
from adapter.config import Settings
from adapter.errors import ConfigError, ProtocolError, UnavailableError
from adapter.urls import check_url

__all__ = [
    "CLOCK_PATH",
    "CREDENTIALS_PATH",
    "MANGO_WEBHOOK_PATH",
    "MockClock",
    "accounts_from_mock",
    "fetch_mock_credentials",
    "point_mango_webhook",
    "resolve",
]

CLOCK_PATH = "/_mockpbx/clock"
CREDENTIALS_PATH = "/_mockpbx/credentials"
MANGO_WEBHOOK_PATH = "/_mockpbx/mango/webhook"

# setting -> (section, key) of the credentials document
_FROM_MOCK = {
    "uis_data_api_url": ("uis", "data_api_url"),
    "uis_call_api_url": ("uis", "call_api_url"),
    "uis_access_token": ("uis", "access_token"),
    "uis_login": ("uis", "login"),
    "uis_password": ("uis", "password"),
    "mango_url": ("mango", "url"),
    "mango_api_key": ("mango", "api_key"),
    "mango_api_salt": ("mango", "api_salt"),
    "clinic_url": ("clinic", "url"),
    "clinic_key": ("clinic", "key"),
}


def _url(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


# -- credentials -------------------------------------------------------------------------
async def fetch_mock_credentials(http: httpx.AsyncClient, base_url: str) -> dict[str, Any]:
    """The mock's credentials document; ConfigError when it cannot be read."""
    url = _url(check_url(base_url, "mockpbx"), CREDENTIALS_PATH)
    try:
        response = await http.get(url)
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ConfigError(
            f"cannot read credentials from the mock at {url}: {exc}", setting="mockpbx"
        ) from exc
    if not isinstance(body, dict):
        raise ConfigError(f"the mock at {url} answered no credentials document", setting="mockpbx")
    return body


async def resolve(settings: Settings, http: httpx.AsyncClient) -> Settings:
    """Fill settings that were not given from the mock's credentials (with `mockpbx`)."""
    if not settings.mockpbx:
        return settings
    doc = await fetch_mock_credentials(http, settings.mockpbx)
    updates: dict[str, Any] = {}
    for name, (face, key) in _FROM_MOCK.items():
        section = doc.get(face)
        if getattr(settings, name) is None and isinstance(section, dict) and section.get(key):
            updates[name] = str(section[key])
    if settings.mango_poll_interval is None:
        updates["mango_poll_interval"] = 0.2  # the mock prepares stats by its own clock
    return dataclasses.replace(settings, **updates)


def accounts_from_mock(
    doc: Mapping[str, Any], provider: str, *, prefix: str = "mock-", count: int | None = None
) -> list[Account]:
    """Accounts of a running mockpbx's `/_mockpbx/credentials` document (`accounts` list)."""
    entries = doc.get("accounts") or [{**doc, "account": 1, "timezone": None}]
    out: list[Account] = []
    for entry in entries[:count]:
        section = entry.get(provider) or {}
        creds = {k: str(v) for k, v in section.items() if k in CREDENTIALS[provider] and v}
        tz = entry.get("timezone") or None
        out.append(Account(f"{prefix}{entry['account']}", provider, creds, timezone=tz))
    return out


# -- clock -------------------------------------------------------------------------------
class MockClock:
    """Follows a running mockpbx's virtual clock over HTTP.

    `now()` asks the mock each time (one cheap GET), so advancing, setting or
    re-rating the mock's clock is seen at once. `sleep_until` sleeps the real
    time that the mock's rate implies, in slices of at most `poll` seconds, and
    re-reads the clock after each slice (a frozen clock is polled).
    """

    def __init__(self, http: httpx.AsyncClient, base_url: str, *, poll: float = 0.2) -> None:
        self._http = http
        self._url = _url(base_url, CLOCK_PATH)
        self._poll = poll

    async def read(self) -> tuple[datetime, float]:
        try:
            response = await self._http.get(self._url)
            response.raise_for_status()
            body = response.json()
            now = datetime.fromisoformat(body["now"])
            rate = float(body["rate"])
        except httpx.HTTPError as exc:
            raise UnavailableError(f"mock clock unreachable at {self._url}: {exc}") from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise ProtocolError(f"mock clock answered an unexpected body: {exc}") from exc
        if now.tzinfo is None:
            raise ProtocolError(f"mock clock time has no UTC offset: {body['now']!r}")
        return now, rate

    async def now(self) -> datetime:
        return (await self.read())[0]

    async def sleep_until(self, when: datetime) -> None:
        while True:
            started = time.monotonic()
            now, rate = await self.read()
            left = (when - now).total_seconds()
            if left <= 0:
                return
            real = left / rate if rate > 0 else self._poll
            await asyncio.sleep(max(0.0, min(real, self._poll) - (time.monotonic() - started)))


# -- Mango events ------------------------------------------------------------------------
async def point_mango_webhook(http: httpx.AsyncClient, base_url: str, url: str) -> None:
    """Have the mock's Mango face post its events to `url` (a receiver's base URL)."""
    response = await http.post(_url(base_url, MANGO_WEBHOOK_PATH), json={"url": url})
    response.raise_for_status()
