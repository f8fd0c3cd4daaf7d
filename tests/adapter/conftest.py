"""Fixtures for the adapter's own tests: each store on SQLite and PostgreSQL, sample calls
(`pg_server` / `pg_url` are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from adapter.model import CallRecord, Direction

MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    """The same tests against a SQLite file and a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/cache.sqlite3"
    return str(request.getfixturevalue("pg_url"))


MakeCall = Callable[..., CallRecord]


@pytest.fixture
def make_call() -> MakeCall:
    """A CallRecord factory: `make_call("id", datetime)` with overridable fields."""

    def make(call_id: str, started: datetime, **fields: object) -> CallRecord:
        base: dict[str, object] = {
            "provider": "uis",
            "provider_call_id": call_id,
            "account": "uis:1",
            "started_at": started,
            "finished_at": started + timedelta(minutes=2),
            "direction": Direction.IN,
            "contact_number": "+79161234567",
            "answered": True,
            "wait_seconds": 10,
            "talk_seconds": 110,
        }
        base.update(fields)
        return CallRecord(**base)  # type: ignore[arg-type]

    return make
