"""The live window and click-to-call end to end, over TCP against a running mockpbx.

The window's calls (UIS `list.calls`, Mango's signed events) are compared
moment by moment with the calls the truth says are live; a workstation
sees exactly the live calls on its administrator's SIP line; the caller's
card agrees with the clinic truth; `pbx-adapter call` makes the mock ring
the employee before the patient.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from click.testing import CliRunner

from adapter.cli import main
from adapter.clinic_data import import_file
from adapter.config import Settings
from adapter.live import resolve_workstation, snapshot
from adapter.providers.mango_events import run_receiver
from adapter.runtime import open_runtime
from adapter.store.clinic import ClinicStore
from mockpbx.scenarios.loader import load_scenario
from mockpbx.testing import MockPBXServer

pytestmark = pytest.mark.slow
LIVE = {"appeared", "ringing", "talking"}


@pytest.fixture(scope="module")
def pbx() -> Iterator[MockPBXServer]:
    with MockPBXServer(scenario=load_scenario("clinic_day"), seed=11) as server:
        yield server


@pytest.fixture(scope="module")
def store(pbx: MockPBXServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{folder}/c.sqlite3"
    (folder / "clinic.json").write_bytes(httpx.get(f"{pbx.url}/_mockpbx/truth/clinic").content)
    from adapter.store import SqlStore

    sql = SqlStore(url)
    import_file(sql.engine, folder / "clinic.json", provider="uis")
    sql.close()
    return url


def truth(pbx: MockPBXServer, what: str) -> dict[str, Any]:
    day = pbx.clock.now().date().isoformat()
    response = httpx.get(f"{pbx.url}/_mockpbx/truth/{what}", params={"from": day}, timeout=60)
    assert response.status_code == 200, response.text
    return orjson.loads(response.content)  # type: ignore[no-any-return]


def live_now(pbx: MockPBXServer) -> list[dict[str, Any]]:
    return [c for c in truth(pbx, "calls")["calls"] if c["state"] in LIVE]


def on_admin(call: dict[str, Any], admin: int, now: datetime) -> bool:
    """The truth: the call's active employee leg (talking, else the last ringing) is the admin's."""
    legs = [
        leg for leg in call["legs"]
        if leg["role"] == "employee" and datetime.fromisoformat(leg["start"]) <= now
        < datetime.fromisoformat(leg["end"])
    ]  # fmt: skip
    talking = [
        leg for leg in legs if leg["answer"] and datetime.fromisoformat(leg["answer"]) <= now
    ]
    pool = talking or legs
    return bool(pool) and pool[-1]["employee_id"] == admin


async def _window(settings: Settings, station: str | None) -> tuple[list[Any], datetime]:
    async with open_runtime(settings) as rt:
        clinic = ClinicStore(rt.require_store().engine)
        ws = None if station is None else resolve_workstation(station, {}, clinic.staff())
        now = await rt.clock.now()
        return await snapshot(rt.require_source(), clinic, ws, now), now


def test_uis_window__shows_what_is_live_and_filters_by_line(pbx: MockPBXServer, store: str) -> None:
    settings = Settings(provider="uis", store=store, mockpbx=pbx.url)
    admins = truth(pbx, "clinic")["administrators"]
    pbx.clock.advance_to(pbx.clock.now().replace(hour=9, minute=0, second=0))
    moments = filtered = 0
    for _ in range(10):
        pbx.clock.advance(67)
        want = {str(c["id"]) for c in live_now(pbx)}
        rows, now = asyncio.run(_window(settings, None))
        assert {r.call.provider_call_id for r in rows} == want
        moments += bool(want)
        calls = live_now(pbx)
        for admin in admins:
            rows, now = asyncio.run(_window(settings, admin["name"]))
            expected = {str(c["id"]) for c in calls if on_admin(c, admin["id"], now)}
            assert {r.call.provider_call_id for r in rows} == expected, admin["name"]
            filtered += len(expected)
    assert moments >= 5
    assert filtered > 0


def test_uis_window__caller_card_matches_the_clinic_truth(pbx: MockPBXServer, store: str) -> None:
    settings = Settings(provider="uis", store=store, mockpbx=pbx.url)
    clinic = truth(pbx, "clinic")
    base = {f"+{p['phone']}": p for p in clinic["patients"] if p["prior"]}
    checked = 0
    for _ in range(15):
        pbx.clock.advance(97)
        rows, now = asyncio.run(_window(settings, None))
        for row in rows:
            patient = base.get(row.call.contact_number or "")
            if patient is None:
                assert row.card.new_caller == (row.call.contact_number not in _patients(clinic))
                continue
            prior = patient["prior"]
            mine = [v for v in clinic["visits"] if v["patient_id"] == patient["id"]
                    and datetime.fromisoformat(v["start"]) <= now]  # fmt: skip
            assert row.card.full_name == patient["name"]
            assert row.card.visits == prior["visits"] + len(mine)
            assert row.card.completed == prior["completed"] + sum(v["completed"] for v in mine)
            assert row.card.total_sum == prior["sum"] + sum(v["sum"] for v in mine)
            checked += 1
    assert checked > 0


def _patients(clinic: dict[str, Any]) -> set[str]:
    return {f"+{p['phone']}" for p in clinic["patients"]}


def test_mango_window__from_signed_events(store: str) -> None:
    """Mango has no call list: the window is what its signed events say (a busy default day)."""
    with MockPBXServer(seed=11) as pbx:
        _mango_window(pbx, Settings(provider="mango", store=store, mockpbx=pbx.url))


def _mango_window(pbx: MockPBXServer, settings: Settings) -> None:

    async def go() -> int:
        async with open_runtime(settings) as rt:
            assert rt.board is not None
            creds = pbx.credentials["mango"]
            async with run_receiver(rt.board, creds["api_key"], creds["api_salt"]) as url:
                hook = await rt.http.post(
                    f"{pbx.url}/_mockpbx/mango/webhook", json={"url": url + "/"}
                )
                assert hook.status_code == 200, hook.text
                since = pbx.clock.now()  # events come for calls from here on, never history
                clinic = ClinicStore(rt.require_store().engine)
                seen = 0
                for _ in range(20):
                    pbx.clock.advance(41)
                    want = {
                        c["ids"]["mango"]["entry_id"]
                        for c in live_now(pbx)
                        if datetime.fromisoformat(c["start"]) >= since
                    }
                    got = await _settled(rt, clinic, want)
                    assert got == want
                    seen += bool(want)
                return seen

    assert asyncio.run(go()) >= 3


async def _settled(rt: Any, clinic: ClinicStore, want: set[str]) -> set[str]:
    deadline = time.monotonic() + 5
    while True:
        rows = await snapshot(rt.require_source(), clinic, None, await rt.clock.now())
        got = {r.call.provider_call_id for r in rows}
        if got == want or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.05)


def test_cli_live_once__json(pbx: MockPBXServer, store: str) -> None:
    args = ["live", "--all", "--once", "--format", "json", "--provider", "uis",
            "--store", store, "--mockpbx", pbx.url]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    body = json.loads(result.output[result.output.index("{") :])
    assert {c["call_id"] for c in body["calls"]} == {str(c["id"]) for c in live_now(pbx)}


def test_cli_call__uis_rings_the_employee_before_the_patient(
    pbx: MockPBXServer, store: str, tmp_path: Path
) -> None:
    admin = truth(pbx, "clinic")["administrators"][0]
    number = truth(pbx, "calls")["calls"][0]["virtual_number"]
    args = ["call", "+79160001122", "--employee", str(admin["id"]), "--provider", "uis",
            "--store", store, "--mockpbx", pbx.url, "--uis-virtual-number", number,
            "--format", "json"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    body = json.loads(result.output[result.output.index("{") :])
    assert body["started"] is True
    assert body["first_call"] == "employee"
    pbx.clock.advance(5)
    call = next(c for c in truth(pbx, "calls")["calls"] if str(c["id"]) == body["request_id"])
    first = min(call["legs"], key=lambda leg: (leg["start"], leg["id"]))
    assert first["role"] == "employee"
    assert first["employee_id"] == admin["id"]
