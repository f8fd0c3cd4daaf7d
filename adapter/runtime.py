"""Composition: settings -> an HTTP client, a provider client, the store and the clock.

    async with open_runtime(settings) as rt:
        await rt.source.current_calls()
        rt.store.iter_calls(...)
        await rt.clock.now()

With `settings.mockpbx`, URLs and credentials missing from the settings are
taken from the mock's credentials document and the clock follows the mock's
clock (both in `adapter.mockpbx_plane`).
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from adapter.clock import Clock, SystemClock
from adapter.config import Settings
from adapter.errors import ConfigError
from adapter.mockpbx_plane import MockClock, resolve
from adapter.providers.base import Provider, RetryPolicy
from adapter.providers.mango import MangoClient, MangoSettings
from adapter.providers.mango_events import LiveBoard
from adapter.providers.uis import UisClient, UisSettings
from adapter.store.sql import SqlStore

__all__ = ["Runtime", "build_source", "open_runtime"]


@dataclass(slots=True)
class Runtime:
    settings: Settings
    http: httpx.AsyncClient
    clock: Clock
    store: SqlStore | None
    source: Provider | None
    board: LiveBoard | None = None  # Mango: live calls fed by the events receiver

    def require_store(self) -> SqlStore:
        if self.store is None:
            raise ConfigError("this command needs the store", setting="store")
        return self.store

    def require_source(self) -> Provider:
        if self.source is None:
            raise ConfigError("this command needs a provider", setting="provider")
        return self.source


def build_source(
    settings: Settings, http: httpx.AsyncClient, *, board: LiveBoard | None = None
) -> Provider:
    """The provider client the settings name; ConfigError naming what is missing."""
    provider = settings.require_provider()
    retry = RetryPolicy(
        attempts=max(1, settings.retries),
        initial=settings.backoff,
        maximum=settings.backoff_max,
        timeout=settings.timeout,
    )
    if provider == "uis":
        uis = UisSettings(
            data_api_url=settings.require("uis_data_api_url"),
            call_api_url=settings.uis_call_api_url,
            access_token=settings.uis_access_token,
            login=settings.uis_login,
            password=settings.uis_password,
            virtual_number=settings.uis_virtual_number,
            page_size=settings.page_size or 10_000,
        )
        return UisClient(http, uis, retry=retry)
    if provider == "mango":
        _zone(settings.mango_timezone, "mango_timezone")
        mango = MangoSettings(
            url=settings.require("mango_url"),
            api_key=settings.require("mango_api_key"),
            api_salt=settings.require("mango_api_salt"),
            timezone=settings.mango_timezone,
            poll_interval=settings.mango_poll_interval or 5.0,
            line_number=settings.mango_line_number,
            page_size=settings.page_size or 5000,
        )
        return MangoClient(http, mango, board=board, retry=retry)
    return _clinic_source(settings, http, retry)


def _clinic_source(settings: Settings, http: httpx.AsyncClient, retry: RetryPolicy) -> Provider:
    try:
        module = importlib.import_module("adapter.providers.clinic")
    except ModuleNotFoundError as exc:
        if exc.name != "adapter.providers.clinic":
            raise
        raise ConfigError(
            "the clinic HTTP API client is not installed in this build", setting="provider"
        ) from exc
    client: Provider = module.ClinicClient(
        http,
        url=settings.require("clinic_url"),
        key=settings.require("clinic_key"),
        timezone=_zone(settings.clinic_timezone, "clinic_timezone"),
        retry=retry,
    )
    return client


def _zone(name: str, setting: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"setting {setting}: unknown timezone {name!r}", setting=setting) from exc


@asynccontextmanager
async def open_runtime(
    settings: Settings, *, need_source: bool = True, need_store: bool = True
) -> AsyncIterator[Runtime]:
    """Everything a subcommand needs, closed on exit."""
    timeout = httpx.Timeout(settings.timeout)
    async with httpx.AsyncClient(timeout=timeout) as http:
        settings = await resolve(settings, http)
        clock: Clock = MockClock(http, settings.mockpbx) if settings.mockpbx else SystemClock()
        board = LiveBoard(settings.mango_timezone) if settings.provider == "mango" else None
        source = build_source(settings, http, board=board) if need_source else None
        # opening migrates the schema: SQL, so in a worker thread like all the store's SQL
        store = await asyncio.to_thread(SqlStore, settings.store) if need_store else None
        try:
            yield Runtime(settings, http, clock, store, source, board)
        finally:
            if source is not None:
                await source.aclose()
            if store is not None:
                await asyncio.to_thread(store.close)
