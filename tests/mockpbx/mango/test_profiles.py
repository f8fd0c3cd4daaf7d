"""The Mango face as a partial provider: a missing feature's methods are unknown (404 + 4001),
its events are not posted and its data is empty (core/profiles.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mockpbx.providers.mango.options import MangoOptions

from .conftest import MangoClient, Receiver


def _profile(mango: MangoClient, *names: str) -> None:
    mango.state.options["mango"] = MangoOptions(profile=names, rate_limits=False)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("profile", "method"),
    [
        ("no_callback", "commands/callback"),
        ("no_callback", "commands/callback_group"),
        ("no_live", "commands/call/hangup"),
        ("no_recordings", "queries/recording/post"),
        ("no_tracking", "queries/user_info_by_dct_number"),
        ("history_only", "commands/callback"),
    ],
)
async def test_missing_feature__its_methods_are_unknown(
    mango: MangoClient, profile: str, method: str
) -> None:
    _profile(mango, profile)
    resp = await mango.post(method, {"command_id": "c1"})
    assert resp.status == 404
    assert (await resp.json())["result"] == 4001


async def test_history_only__statistics_still_answer(mango: MangoClient) -> None:
    _profile(mango, "history_only")
    world = mango.state.world
    start = world.day_start(world.today() - timedelta(days=1))
    resp = await mango.post("stats/request", {"date_from": start, "date_to": start + 86399})
    assert resp.status == 200
    assert "key" in await resp.json()


async def test_no_recordings__statistics_list_no_records(mango: MangoClient) -> None:
    _profile(mango, "no_recordings")
    world = mango.state.world
    start = world.day_start(world.today() - timedelta(days=1))
    params = {"date_from": start, "date_to": start + 86399, "fields": "records, start"}
    key = (await mango.json("stats/request", params))["key"]
    body = await (await mango.post("stats/result", {"key": key})).text()
    rows = [line.split(";") for line in body.split("\n") if line]
    assert rows
    assert {r[0] for r in rows} == {"[]"}


async def test_scenario_profile__applies_when_the_options_name_none(mango: MangoClient) -> None:
    from mockpbx.scenarios.model import Scenario

    mango.state.scenario = Scenario(profiles={"mango": ["no_callback"]})
    resp = await mango.post("commands/callback", {"command_id": "c1"})
    assert resp.status == 404


async def test_no_live_and_no_recordings__only_the_summary_is_posted(
    mango: MangoClient, receiver: Receiver
) -> None:
    """Without live calls and recordings an integrator hears of a call once it has ended."""
    from .test_events import finish, hook, of_entry, place_incoming

    _profile(mango, "no_live", "no_recordings")
    await hook(mango, receiver)
    call = place_incoming(mango.state.world)
    await finish(mango, receiver, call, "events/summary")
    mango.advance(60)  # past the record/added delay: nothing more comes
    await receiver.wait_for(lambda: True)
    assert of_entry(receiver, "events/summary", call)
    for path in ("events/call", "events/dtmf", "events/recording", "events/record/added"):
        assert of_entry(receiver, path, call) == [], path
