"""Shared fixtures: see mockpbx.pytest_plugin for `mockpbx` / `mockpbx_server`.

`pg_server` / `pg_url`: a real PostgreSQL server and a fresh database per test, for the
adapter's, the chaos and the end-to-end tests alike (skipped without a server on a
developer's machine, a failure under CI=true).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

PG_ADMIN = os.environ.get("PBX_ADAPTER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


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
