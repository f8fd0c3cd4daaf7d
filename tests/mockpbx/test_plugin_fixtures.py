"""The plugin's scenario, clock, fault, journal and truth fixtures, over real TCP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mockpbx.testing import ClockControl, FaultsControl, JournalView, MockPBXServer, TruthView


def _report(pbx: MockPBXServer) -> int:
    creds = pbx.credentials["uis"]
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "get.calls_report", "params": {
        "access_token": creds["access_token"], "date_from": "2026-05-13 00:00:00",
        "date_till": "2026-05-13 23:59:59"}}).encode()  # fmt: skip
    req = urllib.request.Request(
        creds["data_api_url"], data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@pytest.mark.mockpbx(scenario="midnight", seed=5)
def test_marker__loads_a_builtin_scenario_by_name(mockpbx: MockPBXServer) -> None:
    assert mockpbx.call(lambda s: (s.world.meta["scenario"], s.seed)) == ("midnight", 5)
    assert mockpbx.clock.now().isoformat().endswith("23:30:00+03:00")  # the account's zone


def test_scenario_fixture__switches_the_world_mid_test(
    mockpbx_scenario: Callable[..., MockPBXServer],
) -> None:
    pbx = mockpbx_scenario("ad_campaign", seed=2)
    assert pbx.call(lambda s: s.world.meta["scenario"]) == "ad_campaign"


def test_scenario_fixture__is_undone_for_the_next_test(mockpbx: MockPBXServer) -> None:
    assert mockpbx.call(lambda s: s.world.meta["scenario"]) == "default"


def test_clock_fixture__runs_through_a_period(mockpbx_clock: ClockControl) -> None:
    start = mockpbx_clock.now()
    jumps = mockpbx_clock.run_through(start + timedelta(hours=1), step=600)
    assert jumps == 6
    assert mockpbx_clock.now() == start + timedelta(hours=1)


def test_faults_fixture__injects_and_the_journal_sees_it(
    mockpbx: MockPBXServer, mockpbx_faults: FaultsControl, mockpbx_journal: JournalView
) -> None:
    with mockpbx_faults.inject("uis", "http_status", method="get.calls_report", status=503):
        assert _report(mockpbx) == 503
    assert _report(mockpbx) == 200
    mockpbx_journal.assert_called(face="uis", method="get.calls_report", times=2)
    assert [e.fault for e in mockpbx_journal.faulted("http_status")] == ["http_status"]
    assert mockpbx_journal.last(face="uis").status == 200
    mockpbx_journal.assert_not_called(face="mango")


def test_faults_fixture__starts_clean(mockpbx_faults: FaultsControl) -> None:
    assert mockpbx_faults.list() == []


def test_truth_fixture__lists_the_calls_of_a_day(
    mockpbx: MockPBXServer, mockpbx_truth: TruthView
) -> None:
    now = mockpbx.clock.now()
    calls = mockpbx_truth.calls(now - timedelta(days=1), now)
    clinic = mockpbx_truth.clinic(now - timedelta(days=1), now)
    assert calls
    assert {c["call_id"] for c in clinic["comments"]} <= {c["id"] for c in calls}


def test_server__accepts_a_scenario_name() -> None:
    with MockPBXServer(scenario="midnight", seed=3) as pbx:
        assert pbx.call(lambda s: s.world.meta["scenario"]) == "midnight"


XDIST_TEST = textwrap.dedent(
    """
    import pytest

    @pytest.mark.parametrize("i", range(4))
    def test_each_worker_has_its_own_server(mockpbx, i, tmp_path_factory):
        out = tmp_path_factory.getbasetemp().parent.parent / "ports.txt"
        with open(out, "a") as fh:
            fh.write(f"{mockpbx.port}\\n")
        mockpbx.clock.advance(3600 * (i + 1))
        mockpbx.faults.add("uis", "latency", seconds=0)
        assert len(mockpbx.faults.list()) == 1
    """
)


def test_xdist__gives_each_worker_its_own_server(tmp_path: Path) -> None:
    """Two workers, two servers on two ports; faults and clocks never leak across tests."""
    test_file = tmp_path / "test_inner.py"
    test_file.write_text(XDIST_TEST, encoding="utf-8")
    env: dict[str, Any] = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider",
         "--basetemp", str(tmp_path / "base"), str(test_file)],
        capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    ports = set((tmp_path / "ports.txt").read_text().split())
    assert len(ports) == 2


@pytest.mark.parametrize(
    "name", ["default", "clinic_day", "ad_campaign", "midnight", "network_year", "faults"]
)
def test_every_builtin__runs_in_pytest(
    mockpbx_scenario: Callable[..., MockPBXServer], name: str
) -> None:
    """Each built-in loads into the plugin's server and serves its truth over TCP."""
    pbx = mockpbx_scenario(name, seed=1)
    pbx.clock.advance(3600)
    day = pbx.clock.now().astimezone(ZoneInfo("Europe/Moscow")).date() - timedelta(days=1)
    url = f"{pbx.url}/_mockpbx/truth/calls?from={day}&to={day + timedelta(days=1)}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        body = json.loads(resp.read())
    assert body["count"] > 0
    assert pbx.call(lambda s: s.world.meta["scenario"]) == name
