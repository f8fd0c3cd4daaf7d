"""Fixtures for the adapter's own tests: a PostgreSQL database per test, sample calls."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from adapter.model import CallRecord, Direction

PG_ADMIN = os.environ.get("PBX_ADAPTER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
MSK = ZoneInfo("Europe/Moscow")


def _pg_reachable() -> str | None:
    """None when the server answers, else why not."""
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL at {PG_ADMIN} is not reachable: {exc}".strip()


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The admin DSN of a reachable server; skip without one (fail under CI=true)."""
    problem = _pg_reachable()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem} (CI=true: PostgreSQL tests may not be skipped)")
        pytest.skip(problem)
    return PG_ADMIN


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh database for one test, dropped afterwards."""
    import psycopg

    name = f"adapter_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
