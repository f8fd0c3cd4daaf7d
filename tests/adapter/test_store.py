"""The SQL store, the same tests on a SQLite file and a PostgreSQL database."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from adapter.errors import ConfigError, StoreError
from adapter.model import CallRecord
from adapter.store import SqlStore, normalize_url
from adapter.store.schema import metadata
from adapter.store.sql import MIGRATIONS, READ_CACHE_KIB

MSK = ZoneInfo("Europe/Moscow")
MakeCall = Callable[..., CallRecord]
DAY = date(2026, 5, 13)
HEAD = sorted(p.name for p in MIGRATIONS.glob("versions/0*.py"))[-1][:4]


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MSK)


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    s = SqlStore(store_url)
    yield s
    s.close()


def ids(store: SqlStore, start: datetime, end: datetime) -> list[str]:
    return [r.provider_call_id for r in store.iter_calls(start, end)]


class TestCalls:
    def test_replace_day__swaps_the_days_calls(self, store: SqlStore, make_call: MakeCall) -> None:
        store.replace_day("uis:1", DAY, MSK, [make_call("a", at(9)), make_call("b", at(10))])
        store.replace_day("uis:1", DAY, MSK, [make_call("b", at(10)), make_call("c", at(23, 59))])
        assert ids(store, at(0), at(0, day=DAY + timedelta(days=1))) == ["b", "c"]

    def test_replace_day__leaves_other_days_and_accounts(
        self, store: SqlStore, make_call: MakeCall
    ) -> None:
        before = make_call("x", at(23, 59, DAY - timedelta(days=1)))
        other = make_call("y", at(12), account="uis:2")
        store.upsert([before, other])
        store.replace_day("uis:1", DAY, MSK, [])
        assert ids(store, at(0, day=DAY - timedelta(days=1)), at(23, 59)) == ["x", "y"]

    def test_replace_day__is_atomic(self, store: SqlStore, make_call: MakeCall) -> None:
        """A failure while inserting leaves the day's earlier copy untouched."""
        store.replace_day("uis:1", DAY, MSK, [make_call("a", at(9))])
        bad = make_call(
            "b", at(10), employee_name="x" * 10_000 if store.dialect != "sqlite" else None
        )
        broken = [make_call("c", at(11)), bad]
        if store.dialect == "sqlite":
            broken.append(make_call("d", at(12), direction=None))  # type: ignore[arg-type]
        with pytest.raises(Exception):  # noqa: B017, PT011 -- any failure of the driver
            store.replace_day("uis:1", DAY, MSK, broken)
        assert ids(store, at(0), at(23, 59)) == ["a"]

    def test_replace_days__swaps_each_day_and_counts_it(
        self, store: SqlStore, make_call: MakeCall
    ) -> None:
        nxt = DAY + timedelta(days=1)
        store.replace_day("uis:1", DAY, MSK, [make_call("old", at(8))])
        counts = store.replace_days(
            "uis:1",
            [(DAY, [make_call("a", at(9)), make_call("b", at(10))]), (nxt, [])],
            MSK,
        )
        assert counts == [2, 0]
        assert ids(store, at(0), at(0, day=nxt + timedelta(days=1))) == ["a", "b"]

    def test_replace_days__is_atomic(self, store: SqlStore, make_call: MakeCall) -> None:
        """A failure on a later day leaves the earlier days of the batch untouched too."""
        store.replace_day("uis:1", DAY, MSK, [make_call("a", at(9))])
        nxt = DAY + timedelta(days=1)
        bad = make_call("d", at(12, day=nxt), direction=None)  # type: ignore[arg-type]
        with pytest.raises(Exception):  # noqa: B017, PT011 -- any failure of the driver
            store.replace_days("uis:1", [(DAY, [make_call("c", at(11))]), (nxt, [bad])], MSK)
        assert ids(store, at(0), at(0, day=nxt + timedelta(days=1))) == ["a"]

    def test_upsert__is_idempotent(self, store: SqlStore, make_call: MakeCall) -> None:
        call = make_call("a", at(9))
        store.upsert([call, call])
        store.upsert([make_call("a", at(9), talk_seconds=5)])
        [only] = list(store.iter_calls(at(0), at(23)))
        assert only.talk_seconds == 5
        assert store.count_calls() == 1

    def test_round_trip__keeps_every_field(self, store: SqlStore, make_call: MakeCall) -> None:
        call = make_call(
            "a",
            at(9, 30),
            recording_urls=("https://r/1", "https://r/2"),
            utm_source="yandex",
            utm_medium="cpc",
            utm_campaign="implants",
            utm_term="цена",
            utm_content="ad1",
            referrer="https://ya.ru/?q=1",
            employee_id="25",
            employee_name="Иванова Анна",
            sip_line="0123456",
            virtual_number="+74951234567",
            finish_reason="subscriber_disconnects",
        )
        store.upsert([call])
        [back] = list(store.iter_calls(at(0), at(23)))
        assert back == call
        assert back.started_at.utcoffset() == timedelta(hours=3)

    def test_iter_calls__by_phone(self, store: SqlStore, make_call: MakeCall) -> None:
        store.upsert([make_call("a", at(9)), make_call("b", at(10), contact_number="+79990000000")])
        found = store.iter_calls(at(0), at(23), phone="+79990000000")
        assert [r.provider_call_id for r in found] == ["b"]

    def test_last_call_at__is_the_newest_start(self, store: SqlStore, make_call: MakeCall) -> None:
        assert store.last_call_at("uis:1") is None
        store.upsert(
            [make_call("a", at(9)), make_call("b", at(22)), make_call("c", at(23), account="z")]
        )
        assert store.last_call_at("uis:1") == at(22)


class TestSyncState:
    def test_runs__are_recorded_with_errors(self, store: SqlStore, make_call: MakeCall) -> None:
        run = store.begin_run("uis:1", "uis", "Europe/Moscow", at(3), DAY - timedelta(days=3), DAY)
        store.upsert([make_call("a", at(9, day=DAY - timedelta(days=1)))])
        store.finish_run(run, at(4), status="error", days=1, calls=1, error="UnavailableError: x")
        state = store.state("uis:1")
        assert state is not None
        assert (state.last_status, state.last_error, state.runs) == (
            "error",
            "UnavailableError: x",
            1,
        )
        assert state.last_call_at == at(9, day=DAY - timedelta(days=1))
        run2 = store.begin_run("uis:1", "uis", "Europe/Moscow", at(6), DAY, DAY)
        store.finish_run(run2, at(7), status="ok", days=0, calls=0, loaded_until=DAY)
        state = store.state("uis:1")
        assert state is not None
        assert (state.last_status, state.last_error, state.runs, state.loaded_until) == (
            "ok",
            None,
            2,
            DAY,
        )
        assert [r.status for r in store.runs("uis:1")] == ["ok", "error"]


class TestPageCache:
    def test_sqlite__default_cache_and_a_big_one_for_report_scans(self, tmp_path: Path) -> None:
        store = SqlStore(f"sqlite:///{tmp_path}/cache.sqlite3")
        size = "PRAGMA cache_size"
        with store.engine.connect() as conn:
            before = conn.exec_driver_sql(size).scalar()
            with store.read_cache(conn):
                inside = conn.exec_driver_sql(size).scalar()
            after = conn.exec_driver_sql(size).scalar()
        store.close()
        assert (before, inside, after) == (-2000, -READ_CACHE_KIB, -2000)

    def test_read_cache__is_harmless_elsewhere(self, store: SqlStore) -> None:
        with store.engine.connect() as conn, store.read_cache(conn):
            assert conn.exec_driver_sql("SELECT COUNT(*) FROM calls").scalar() == 0


class TestSchema:
    def test_migrations__create_exactly_the_schema(self, store: SqlStore) -> None:
        with store.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"version_table": "adapter_schema_version"}
            )
            diff = compare_metadata(context, metadata)
        assert diff == []

    def test_reopen__is_a_no_op(self, store_url: str, make_call: MakeCall) -> None:
        first = SqlStore(store_url)
        first.upsert([make_call("a", at(9))])
        first.close()
        again = SqlStore(store_url)
        assert again.count_calls() == 1
        again.close()

    def test_migrating__is_logged_once_by_the_store(
        self, store_url: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO)
        SqlStore(store_url).close()
        SqlStore(store_url).close()
        migrated = [r.getMessage() for r in caplog.records if r.name == "adapter.store"]
        assert len(migrated) == 1
        assert migrated[0].endswith("schema (empty) -> " + HEAD)

    def test_newer_schema__is_refused(self, store: SqlStore, store_url: str) -> None:
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE adapter_schema_version SET version_num = '9999'"))
        with pytest.raises(StoreError, match="newer adapter"):
            SqlStore(store_url)


def test_normalize_url__accepts_paths_and_dsns(tmp_path: Path) -> None:
    assert normalize_url(str(tmp_path / "c.db")) == f"sqlite:///{tmp_path}/c.db"
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_unknown_backend__is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="sqlite:///PATH or a PostgreSQL DSN"):
        SqlStore("mysql://u@h/db")
