"""The plugin's helpers as a user meets them: ISO strings, one clock rule, clear failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mockpbx.testing import (
    DEFAULT_START,
    ClockControl,
    JournalView,
    MockPBXServer,
    TruthView,
    as_datetime,
)


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", *args],
        capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path, check=False,
    )  # fmt: skip


@pytest.mark.mockpbx(start="2026-05-12T09:15:00+03:00")
def test_marker__takes_start_as_an_iso_string(mockpbx_clock: ClockControl) -> None:
    """`start` may be an ISO 8601 string with an offset, not only a datetime."""
    assert mockpbx_clock.now() == datetime.fromisoformat("2026-05-12T09:15:00+03:00")


def test_truth_calls__take_iso_strings_like_datetimes(mockpbx_truth: TruthView) -> None:
    """`mockpbx_truth.calls` answers the same for ISO strings as for the datetimes they name."""
    start, end = DEFAULT_START - timedelta(days=1), DEFAULT_START
    by_strings = mockpbx_truth.calls(start.isoformat(), end.isoformat())
    assert by_strings
    assert by_strings == mockpbx_truth.calls(start, end)


def test_as_datetime__refuses_a_time_without_an_offset() -> None:
    """A naive time is ambiguous across the account's zone and UTC: it is refused."""
    with pytest.raises(ValueError, match="UTC offset"):
        as_datetime("2026-05-12T09:15:00")


@pytest.mark.mockpbx(scenario="midnight")
def test_clock_now__is_what_get_clock_shows(mockpbx: MockPBXServer) -> None:
    """`mockpbx_clock.now()` and GET /_mockpbx/clock agree on instant and offset (the
    account's zone)."""
    mockpbx.clock.advance(90)
    assert mockpbx.clock.now().isoformat() == _get(f"{mockpbx.url}/_mockpbx/clock")["now"]
    assert mockpbx.clock.now().utcoffset() == timedelta(hours=3)


def test_clock_set__takes_an_iso_string(mockpbx_clock: ClockControl) -> None:
    """The clock helpers take ISO strings too."""
    at = mockpbx_clock.set("2026-05-14T12:00:00+03:00")
    assert at == mockpbx_clock.now() == datetime.fromisoformat("2026-05-14T09:00:00+00:00")


def test_assert_called__failing_shows_what_the_journal_holds(
    mockpbx: MockPBXServer, mockpbx_journal: JournalView
) -> None:
    """A failed journal assertion names the requests that were made instead."""
    clinic = mockpbx.credentials["clinic"]
    request = urllib.request.Request(
        f"{clinic['url']}/GetOngoingCalls", headers={"IDENT-Integration-Key": clinic["key"]}
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200
    with pytest.raises(AssertionError) as failed:
        mockpbx_journal.assert_called(face="uis", method="get.calls_report")
    assert str(failed.value) == (
        "expected uis/get.calls_report at least once, journal has 0; "
        "it holds: clinic/GetOngoingCalls x1"
    )


def test_assert_not_called__on_an_empty_journal_says_so(mockpbx_journal: JournalView) -> None:
    """The summary of an empty journal is explicit."""
    with pytest.raises(AssertionError, match="the journal is empty"):
        mockpbx_journal.last(face="mango")


@pytest.mark.mockpbx(mango_webhook="http://127.0.0.1:9/hook/")
def test_marker__sets_the_mango_webhook(mockpbx: MockPBXServer) -> None:
    """`mango_webhook=` in the marker is where this test's Mango events go."""
    body = _get(f"{mockpbx.url}/_mockpbx/mango/webhook")
    assert (body["url"], body["source"]) == ("http://127.0.0.1:9/hook/", "control")


def test_set_mango_webhook__is_undone_by_the_next_reset(mockpbx: MockPBXServer) -> None:
    """The helper sets the webhook for one test; None stops events; bad URLs are refused."""
    assert _get(f"{mockpbx.url}/_mockpbx/mango/webhook")["url"] is None
    assert mockpbx.set_mango_webhook("http://127.0.0.1:9/x/")["url"] == "http://127.0.0.1:9/x/"
    assert mockpbx.set_mango_webhook(None)["url"] is None
    with pytest.raises(ValueError, match="absolute http"):
        mockpbx.set_mango_webhook("not a url")


BAD_SCENARIO = "name: broken\nvolume: {calls_per_day: many}\n"
MARKED_TEST = textwrap.dedent(
    """
    import pytest

    @pytest.mark.mockpbx(scenario="bad.yaml")
    def test_uses_a_bad_file(mockpbx):
        pass
    """
)


def test_marker__bad_scenario_file_fails_with_the_validate_message(tmp_path: Path) -> None:
    """A broken scenario file in a marker fails the test with exactly the lines of
    `mockpbx scenarios validate` (file: field.path: expected), no traceback."""
    (tmp_path / "bad.yaml").write_text(BAD_SCENARIO, encoding="utf-8")
    (tmp_path / "test_user.py").write_text(MARKED_TEST, encoding="utf-8")
    validate = subprocess.run(
        [sys.executable, "-m", "mockpbx", "scenarios", "validate", "bad.yaml"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert validate.returncode == 2
    expected = validate.stderr.strip().splitlines()
    assert expected
    assert all(line.startswith("bad.yaml: volume.calls_per_day: ") for line in expected)
    run = _pytest(tmp_path, "test_user.py")
    assert run.returncode == 1
    out = run.stdout.splitlines()
    for line in expected:
        assert line in out, run.stdout
    assert "Traceback" not in run.stdout


def test_plugin__loads_without_importing_the_server() -> None:
    """Loading the plugin (what every pytest process of a user's project does) imports
    neither aiohttp nor the world: the server is imported on the first fixture use."""
    heavy = ("aiohttp", "mockpbx.testing", "mockpbx.app", "pydantic", "faker", "orjson", "yaml")
    code = f"import sys, mockpbx.pytest_plugin\nprint([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
