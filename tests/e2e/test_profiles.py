"""Partial providers end to end over TCP: a mock face with a capability profile, then the
adapter (sync, live window, contact history, ad channels, dialer) and the verifier.

Every profile keeps reports working; what it takes away is said, never crashed on:
the live window explains there are no current calls, the contact history says why
no call has a player, the ad-channels report lists its UTM columns as unavailable,
the dialer falls back to a `callto:` link, and the verifier's capability table
names exactly what the profile removed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
from click.testing import CliRunner

from adapter.cli import main
from adapter.config import Settings
from adapter.reports import ReportContext, ad_channels, contact_history
from adapter.reports.base import period_of
from adapter.runtime import open_runtime
from adapter.sync import SyncOptions, run_once
from contract.results import Capability, Report, Status, Support
from contract.verify import Options, verify
from mockpbx.testing import MockPBXServer

pytestmark = pytest.mark.slow

FACES = ("uis", "mango", "clinic")
# profile -> what it takes away (features of core/profiles.py)
PROFILES: dict[str, tuple[list[str], set[str]]] = {
    "full": ([], set()),
    "history_only": (["history_only"], {"live", "recordings", "tracking", "callback"}),
    "no_recordings": (["no_recordings"], {"recordings"}),
    "no_tracking": (["no_tracking"], {"tracking"}),
    "no_live+no_callback": (["no_live", "no_callback"], {"live", "callback"}),
}


@pytest.fixture(scope="module")
def pbx() -> Iterator[MockPBXServer]:
    with MockPBXServer(seed=3) as server:
        server.clock.advance(10 * 3600)  # into the day: today's calls come from the provider
        yield server


@dataclass
class Profiled:
    pbx: MockPBXServer
    name: str
    lacks: set[str]
    store: str

    @property
    def settings(self) -> Settings:
        return Settings(provider="uis", store=self.store, mockpbx=self.pbx.url)

    def cli(self, *args: str) -> dict[str, Any]:
        common = ["--provider", "uis", "--store", self.store, "--mockpbx", self.pbx.url]
        result = CliRunner().invoke(main, [*args, *common, "--format", "json"])
        assert result.exit_code == 0, result.output
        body: dict[str, Any] = json.loads(result.output[result.output.index("{") :])
        return body


def _options(pbx: MockPBXServer, profile: list[str]) -> None:
    for face in FACES:
        answer = httpx.post(f"{pbx.url}/_mockpbx/{face}/options", json={"profile": profile})
        assert answer.status_code == 200, answer.text
        assert answer.json()["profile"] == profile


async def _sync(settings: Settings) -> int:
    async with open_runtime(settings) as rt:
        report = await run_once(
            rt.require_source(), rt.require_store(), rt.clock, SyncOptions(backfill_days=2)
        )
        return report.calls


@pytest.fixture(scope="module", params=sorted(PROFILES))
def profiled(
    request: pytest.FixtureRequest, pbx: MockPBXServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Profiled]:
    profile, lacks = PROFILES[request.param]
    _options(pbx, profile)
    store = f"sqlite:///{tmp_path_factory.mktemp('profile')}/cache.sqlite3"
    world = Profiled(pbx, request.param, lacks, store)
    assert asyncio.run(_sync(world.settings)) > 0  # history always syncs
    yield world
    _options(pbx, [])
    pbx.check_errors()


def _report(w: Profiled, build: Any) -> Any:
    async def go() -> Any:
        async with open_runtime(w.settings) as rt:
            ctx = ReportContext(rt.require_store(), rt.clock, rt.source)
            today = (await rt.clock.now()).date()
            period = period_of(today - timedelta(days=2), today, await ctx.timezone())
            return await build(ctx, period)

    return asyncio.run(go())


def _truth_calls(pbx: MockPBXServer) -> list[dict[str, Any]]:
    day = (pbx.clock.now() - timedelta(days=2)).date().isoformat()
    answer = httpx.get(f"{pbx.url}/_mockpbx/truth/calls", params={"from": day}, timeout=60)
    calls: list[dict[str, Any]] = orjson.loads(answer.content)["calls"]
    return calls


def test_live_window__says_when_the_provider_gives_no_current_calls(w: Profiled) -> None:
    body = w.cli("live", "--all", "--once", "--lang", "en")
    if "live" in w.lacks:
        assert body["available"] is False
        assert "gives no current calls" in body["message"]
    else:
        assert "calls" in body
        assert body.get("available", True) is True


def test_contact_history__says_why_no_call_has_a_player(w: Profiled) -> None:
    report = _report(w, contact_history)
    links = [r["recording_url"] for r in report.rows if r["recording_url"]]
    notes = " ".join(report.sources.notes)
    assert report.rows
    if "recordings" in w.lacks:
        assert links == []
        assert "recordings unavailable" in notes
    else:
        assert links
        assert "recordings unavailable" not in notes


def test_ad_channels__marks_the_utm_columns_unavailable(w: Profiled) -> None:
    report = _report(w, ad_channels)
    unavailable = report.options.get("unavailable_columns")
    if "tracking" in w.lacks:
        assert unavailable == ["source", "medium", "campaign"]
        assert any("UTM columns" in n for n in report.sources.notes)
    else:
        assert unavailable is None


def test_dialer__chooses_the_caller_id_or_falls_back_to_callto(w: Profiled) -> None:
    """Without --virtual-number: the number the patient last called; no callback: callto:."""
    calls = _truth_calls(w.pbx)
    called = next(c for c in calls if c["direction"] == "in" and c["virtual_number"])
    admin = httpx.get(f"{w.pbx.url}/_mockpbx/truth/clinic", timeout=60).json()["administrators"]
    body = w.cli("call", called["contact_number"], "--employee", str(admin[0]["id"]))
    assert body["callto"].startswith("callto:+")
    if "callback" in w.lacks:
        assert body["started"] is False
        assert "does not offer callback" in body["message"]
    else:
        assert body["started"] is True
        assert "the patient sees" in body["message"]
        assert "last called" in body["message"] or "main number" in body["message"]


EXPECTED_SUPPORT = {
    Capability.CALLER_CARD: "live",
    Capability.RECORDINGS: "recordings",
    Capability.TRACKING: "tracking",
    Capability.CLICK_TO_CALL: "callback",
}


def _verify(pbx: MockPBXServer) -> Report:
    creds = pbx.credentials["clinic"]
    today = pbx.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    line = pbx.call(lambda s: s.world.lines_of(s.world.employees[0].id)[0].login)
    options = Options(
        base_url=creds["url"],
        key=creds["key"],
        start=today - timedelta(days=2),
        end=today,
        rate=500.0,
        conformance=False,
        observe_seconds=0.5,
        poll_interval=0.25,
        allow_calls=True,
        callback_employee=line,
        callback_client="79160001122",
    )
    return verify(options)


def test_verifier__capability_table_matches_the_profile(w: Profiled) -> None:
    report = _verify(w.pbx)
    table = {row.capability: row.support for row in report.capabilities()}
    assert table[Capability.REPORTS] is Support.YES
    for capability, feature in EXPECTED_SUPPORT.items():
        if feature in w.lacks:
            assert table[capability] is Support.NO, capability
        else:
            assert table[capability] is not Support.NO, capability
    assert [r.check_id for r in report.results if r.status is Status.FAIL] == []


@pytest.fixture
def w(profiled: Profiled) -> Profiled:
    return profiled


def test_scenario_file__sets_a_face_profile() -> None:
    """`profiles:` in a scenario file switches faces without touching their options."""
    from mockpbx.scenarios.model import Scenario

    scenario = Scenario(profiles={"clinic": ["no_live"], "uis": ["history_only"]})
    with MockPBXServer(scenario=scenario, seed=3) as pbx:
        creds = pbx.credentials["clinic"]
        answer = httpx.get(
            f"{creds['url']}/GetOngoingCalls", headers={"IDENT-Integration-Key": creds["key"]}
        )
        assert answer.status_code == 404
        rpc = {"jsonrpc": "2.0", "id": 1, "method": "list.calls", "params": {}}
        uis = httpx.post(f"{pbx.url}/uis/callapi/v4.0", json=rpc).json()
        assert uis["error"]["code"] == -32601
