"""The fleet's accounts (`adapter.accounts`), their CLI, the worker's refusal of SQLite,
status per account, the store keyed by account, metrics and JSON logs."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from prometheus_client.exposition import generate_latest
from sqlalchemy import insert

from adapter.accounts import (
    Account,
    AccountRegistry,
    account_settings,
    lag,
    load_accounts_file,
)
from adapter.cli import main
from adapter.config import Settings
from adapter.errors import ConfigError
from adapter.metrics import FleetMetrics, RetryCounter, StoreCollector
from adapter.mockpbx_plane import accounts_from_mock
from adapter.store.schema import fleet_runs
from adapter.store.sql import SqlStore
from adapter.worker import _cron, libpq_dsn
from adapter.worker_logs import AccountFilter, JsonFormatter, current_account, run_retries
from tests.adapter.conftest import MSK, MakeCall

FILE = """
[[accounts]]
name = "branch-1"
provider = "uis"
[accounts.credentials]
data_api_url = "https://dataapi.example/v2.0"
access_token = "t1"

[[accounts]]
name = "branch-2"
provider = "mango"
timezone = "Asia/Yekaterinburg"
backfill_days = 7
[accounts.credentials]
url = "https://mango.example/vpbx/"
api_key = "k"
api_salt = "s"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_file__lists_accounts_with_their_credentials(tmp_path: Path) -> None:
    """A file's [[accounts]] become accounts with provider, time zone and backfill."""
    found = load_accounts_file(write(tmp_path, FILE))
    assert [a.name for a in found] == ["branch-1", "branch-2"]
    assert found[1].timezone == "Asia/Yekaterinburg"
    assert found[1].backfill_days == 7
    assert found[0].credentials == {
        "data_api_url": "https://dataapi.example/v2.0",
        "access_token": "t1",
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (('provider = "uis"', 'provider = "sip"'), "accounts[0].provider"),
        (('access_token = "t1"', 'token = "t1"'), "accounts[0].credentials.token"),
        (('timezone = "Asia/Yekaterinburg"', 'timezone = "Mars/Base"'), "accounts[1].timezone"),
        (("backfill_days = 7", "backfill_days = -1"), "accounts[1].backfill_days"),
        (('name = "branch-2"', 'name = "branch-1"'), "name"),
    ],
)
def test_file__a_wrong_field_is_named(tmp_path: Path, change: tuple[str, str], field: str) -> None:
    """Each mistake in a file is refused with the file and the field named."""
    with pytest.raises(ConfigError) as info:
        load_accounts_file(write(tmp_path, FILE.replace(*change)))
    assert field in str(info.value)


def test_settings__of_an_account_override_the_workers() -> None:
    """An account's job runs with its own provider, credentials, time zone and backfill."""
    base = Settings(store="sqlite:///x", timeout=5.0, backfill_days=30)
    acct = Account("b", "mango", {"url": "u", "api_key": "k", "api_salt": "s"}, "Asia/Omsk", 3)
    settings = account_settings(base, acct)
    assert (settings.provider, settings.mango_url, settings.mango_api_key) == ("mango", "u", "k")
    assert (settings.mango_timezone, settings.backfill_days, settings.timeout) == (
        "Asia/Omsk",
        3,
        5.0,
    )


def test_accounts_from_mock__one_per_mock_account() -> None:
    """A mock's credentials document gives one account per mock account."""
    doc = {
        "uis": {},
        "accounts": [
            {
                "account": 1,
                "timezone": "Europe/Moscow",
                "uis": {"access_token": "a", "data_api_url": "u"},
            },
            {
                "account": 2,
                "timezone": "Asia/Omsk",
                "uis": {"access_token": "b", "data_api_url": "u"},
            },
        ],
    }
    found = accounts_from_mock(doc, "uis", prefix="m")
    assert [(a.name, a.credentials["access_token"], a.timezone) for a in found] == [
        ("m1", "a", "Europe/Moscow"),
        ("m2", "b", "Asia/Omsk"),
    ]


def test_registry__add_replace_remove_and_due(store_url: str) -> None:
    """Accounts are added (replaced by name), listed, removed, and due by the 3-hour rule."""
    store = SqlStore(store_url)
    try:
        registry = AccountRegistry(store.engine)
        registry.add([Account("a", "uis", {"access_token": "1"}), Account("b", "uis")])
        registry.add([Account("a", "uis", {"access_token": "2"})])
        assert [(a.name, a.credentials) for a in registry.all()] == [
            ("a", {"access_token": "2"}),
            ("b", {}),
        ]
        now = datetime(2026, 5, 14, 12, tzinfo=UTC)
        registry.started("a", now - timedelta(hours=1), "uis:1")
        registry.started("b", now - timedelta(hours=3))
        assert registry.due(now, timedelta(hours=3)) == ["b"]
        assert registry.get("a") is not None
        assert registry.remove("b") is True
        assert registry.remove("b") is False
        assert [a.name for a in registry.all()] == ["a"]
    finally:
        store.close()


def test_store__two_accounts_may_share_a_call_id(store_url: str, make_call: MakeCall) -> None:
    """Calls are keyed by account: the same provider id in two accounts is two calls."""
    store = SqlStore(store_url)
    try:
        start = datetime(2026, 5, 10, 10, tzinfo=MSK)
        store.upsert(
            [make_call("1", start, account="uis:1"), make_call("1", start, account="uis:2")]
        )
        assert store.count_calls(account="uis:1") == store.count_calls(account="uis:2") == 1
    finally:
        store.close()


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_cli__accounts_add_list_remove(tmp_path: Path) -> None:
    """`accounts add` (options or --file), `list` without secrets, `remove`."""
    store = f"sqlite:///{tmp_path}/c.sqlite3"
    code, out = cli("accounts", "add", "solo", "--store", store, "--account-provider", "uis",
                    "-c", "access_token=secret", "-c", "data_api_url=https://x")  # fmt: skip
    assert code == 0, out
    assert cli("accounts", "add", "--store", store, "--file", str(write(tmp_path, FILE)))[0] == 0
    code, out = cli("accounts", "list", "--store", store, "--format", "json")
    listed = json.loads(out)
    assert [a["name"] for a in listed] == ["branch-1", "branch-2", "solo"]
    assert "secret" not in out
    assert cli("accounts", "remove", "solo", "--store", store)[0] == 0
    code, out = cli("accounts", "remove", "solo", "--store", store)
    assert code == 2
    assert "solo" in out


def test_cli__accounts_add_names_a_wrong_credential(tmp_path: Path) -> None:
    """A credential the provider has no setting for is refused, named, exit 2."""
    code, out = cli("accounts", "add", "x", "--store", f"sqlite:///{tmp_path}/c.sqlite3",
                    "--account-provider", "uis", "-c", "api_key=1")  # fmt: skip
    assert code == 2
    assert "credentials.api_key" in out


def test_cli__worker_refuses_a_sqlite_store(tmp_path: Path) -> None:
    """The worker needs PostgreSQL and says so, naming the setting (exit 2)."""
    code, out = cli("worker", "--store", f"sqlite:///{tmp_path}/c.sqlite3")
    assert code == 2
    assert "PostgreSQL" in out
    assert "sync --every" in out


def test_cli__status_shows_every_account_with_lag_and_last_error(tmp_path: Path) -> None:
    """`status` lists configured accounts, synced or not, with their lag and last error."""
    store_url = f"sqlite:///{tmp_path}/c.sqlite3"
    store = SqlStore(store_url)
    try:
        AccountRegistry(store.engine).add([Account("a", "uis"), Account("b", "uis")])
        AccountRegistry(store.engine).started("a", datetime.now(UTC), "uis:1")
        run = store.begin_run("uis:1", "uis", "Europe/Moscow", datetime.now(UTC),
                              date(2026, 5, 1), date(2026, 5, 3))  # fmt: skip
        store.finish_run(run, datetime.now(UTC), status="error", days=0, calls=0, error="boom")
    finally:
        store.close()
    code, out = cli("status", "--store", store_url)
    assert code == 0, out
    assert "account a [uis] -> uis:1" in out
    assert "last error: boom" in out
    assert "account b [uis] -> not synced" in out


def test_lag__from_the_first_day_not_cached() -> None:
    """The lag counts from 00:00 (account time) of the first day not cached."""
    now = datetime(2026, 5, 14, 12, tzinfo=MSK)
    assert lag(date(2026, 5, 14), "Europe/Moscow", now) == timedelta(hours=12)
    assert lag(None, "Europe/Moscow", now) is None


def test_metrics__the_fleet_state_comes_from_the_store(tmp_path: Path, make_call: MakeCall) -> None:
    """Calls cached, failed runs and retried requests per account, read at the scrape."""
    store = SqlStore(f"sqlite:///{tmp_path}/c.sqlite3")
    try:
        AccountRegistry(store.engine).add([Account("a", "uis")])
        AccountRegistry(store.engine).started("a", datetime.now(UTC), "uis:1")
        store.upsert([make_call("1", datetime(2026, 5, 10, 10, tzinfo=MSK), account="uis:1")])
        with store.engine.begin() as conn:
            for status, retries in (("error", 2), ("ok", 1)):
                row = {"account": "a", "worker": "w", "started_us": 1, "finished_us": 2}
                conn.execute(insert(fleet_runs).values(**row, status=status, retries=retries))
        metrics = FleetMetrics()
        metrics.registry.register(StoreCollector(store.engine, lambda: datetime.now(UTC)))
        text = generate_latest(metrics.registry).decode()
    finally:
        store.close()
    assert 'pbx_adapter_calls_cached{account="a"} 1.0' in text
    assert 'pbx_adapter_account_failed_runs{account="a"} 1.0' in text
    assert 'pbx_adapter_account_retried_requests{account="a"} 3.0' in text


def test_retry_counter__counts_the_clients_retries_for_the_current_account() -> None:
    """A provider client's retry line counts for the job's account and run."""
    metrics = FleetMetrics()
    counter = RetryCounter(metrics)
    token, run = current_account.set("a"), run_retries.set([0])
    try:
        with counter.installed():
            logging.getLogger("adapter.providers").warning(
                "retrying after attempt %d: %s", 1, TimeoutError("slow")
            )
        assert run_retries.get() == [1]
    finally:
        run_retries.reset(run)
        current_account.reset(token)
    text = metrics.render().decode()
    assert 'pbx_adapter_provider_retries_total{account="a",kind="TimeoutError"} 1.0' in text


def test_json_logs__carry_the_account_on_every_line() -> None:
    """--log-json lines are JSON objects with the job's account and the worker."""
    record = logging.LogRecord("adapter.sync", logging.INFO, __file__, 1, "done %s", ("x",), None)
    token = current_account.set("branch-1")
    try:
        AccountFilter("w1").filter(record)
    finally:
        current_account.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert (line["account"], line["worker"], line["message"]) == ("branch-1", "w1", "done x")


def test_worker_helpers__cron_and_dsn() -> None:
    """Ticks under a minute use croniter's seconds field; the queue gets a libpq DSN."""
    assert _cron(5) == "* * * * * */5"
    assert _cron(120) == "*/2 * * * *"
    assert libpq_dsn("postgresql+psycopg://u:p@h:5432/db") == "postgresql://u:p@h:5432/db"


async def test_daemon_health__serves_health_readiness_and_metrics(tmp_path: Path) -> None:
    """`sync --every --metrics-port` serves /healthz, /readyz and the runs it observed."""
    import httpx

    from adapter.metrics import daemon_health
    from adapter.sync import SyncReport

    store = SqlStore(f"sqlite:///{tmp_path}/c.sqlite3")
    try:
        async with daemon_health(store.engine, "127.0.0.1", 0, "uis") as daemon:
            daemon.observe(SyncReport("uis:1", date(2026, 5, 1), date(2026, 5, 3)), None)
            daemon.observe(None, TimeoutError("slow"))
            base = f"http://127.0.0.1:{daemon.port}"
            async with httpx.AsyncClient() as http:
                health = await http.get(f"{base}/healthz")
                ready = await http.get(f"{base}/readyz")
                text = (await http.get(f"{base}/metrics")).text
    finally:
        store.close()
    assert health.status_code == ready.status_code == 200
    assert 'pbx_adapter_runs_total{account="uis:1",status="ok"} 1.0' in text
    assert 'pbx_adapter_provider_errors_total{account="uis:1",kind="TimeoutError"} 1.0' in text
