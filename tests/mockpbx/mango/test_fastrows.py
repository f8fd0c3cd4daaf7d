"""The fast twins of fastrows.py render every plain call exactly like the reference in stats.py."""

from __future__ import annotations

import base64
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from mockpbx.app import create_state
from mockpbx.core.model import Call
from mockpbx.providers.mango.directory import Lookup
from mockpbx.providers.mango.fastrows import PLAIN_IN, PLAIN_OUT, Fast, LocalDays, plain_kind
from mockpbx.providers.mango.ids import mango_call_id, mango_entry_id, mango_recording_id
from mockpbx.providers.mango.options import MangoOptions
from mockpbx.providers.mango.stats import call_item, csv_values
from mockpbx.scenarios.loader import builtin_names, load_scenario
from mockpbx.scenarios.model import Scenario
from mockpbx.state import ServerState
from mockpbx.testing import DEFAULT_START

from .conftest import MangoClient

MSK = ZoneInfo("Europe/Moscow")
SCENARIOS = [*builtin_names(), "transfers"]


def _state(name: str) -> ServerState:
    if name == "transfers":
        scenario = Scenario(shares={"transfers": 0.5, "late_rows": 0.2})
    else:
        scenario = load_scenario(name)
    return create_state(seed=4, start=datetime(2026, 5, 14, 10, 30, tzinfo=MSK), scenario=scenario)


def _calls(state: ServerState, days: int = 2) -> list[Call]:
    world = state.world
    end = world.now()
    return world.history(end - days * 86400, end, include_ongoing=True)


@pytest.mark.parametrize("name", SCENARIOS)
def test_csv_values__equal_the_reference_for_every_plain_call(name: str) -> None:
    state = _state(name)
    look = Lookup(state.world)
    fast = Fast(look)
    calls = _calls(state)
    plain = 0
    for brackets in (True, False):
        opts = MangoOptions(csv_records_brackets=brackets)
        for call in calls:
            got = fast.csv_values(call, opts)
            if got is None:
                assert plain_kind(call) == 0
                continue
            plain += 1
            assert got == csv_values(call, look, opts), call
            assert list(got) == list(csv_values(call, look, opts))
    assert plain > 0


@pytest.mark.parametrize("name", SCENARIOS)
def test_call_item__equals_the_reference_for_every_plain_call(name: str) -> None:
    state = _state(name)
    look = Lookup(state.world)
    fast = Fast(look)
    kinds = set()
    for ext in (frozenset(), frozenset({"context_cost_full", "context_cost_tariff"})):
        for call in _calls(state):
            got = fast.call_item(call, ext)
            if got is None:
                continue
            kinds.add(plain_kind(call))
            want = call_item(call, look, ext_fields=ext)
            assert got == want, call
            assert repr(got) == repr(want)  # same keys in the same order, all the way down
    assert kinds == {PLAIN_IN, PLAIN_OUT}


def test_transfers__are_left_to_the_reference() -> None:
    calls = _calls(_state("transfers"))
    moved = [c for c in calls if any(lg.is_transferred for lg in c.legs)]
    assert moved
    assert {plain_kind(c) for c in moved} == {0}


async def test_callbacks__are_left_to_the_reference(mango: MangoClient) -> None:
    world = mango.state.world
    ext = world.employees[0].extension
    params = {"command_id": "c1", "from": {"extension": ext}, "to_number": "79035550001"}
    assert (await mango.json("commands/callback", params))["result"] == 1000
    mango.advance(3600)
    call = next(c for c in world.history(world.now() - 7200, world.now()) if c.kind == "callback")
    fast = Fast(Lookup(world))
    assert plain_kind(call) == 0
    assert fast.csv_values(call, MangoOptions()) is None
    assert fast.call_item(call, frozenset()) is None


def test_ids__are_base64_of_the_documented_shapes() -> None:
    """The cached ids (asked for many times per call) equal base64 of Mango's shapes."""

    def b64(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    for n in (*range(0, 2000, 7), 10**9 + 12345, DEFAULT_START.toordinal()):
        assert mango_entry_id(n) == b64(f"{n}:101")
        assert mango_call_id(n) == b64(f"1:{n}:221:1")
        assert mango_recording_id(n) == b64(f"1:{n}:5009:1")


@pytest.mark.parametrize(
    "zone", ["Europe/Moscow", "Europe/Berlin", "America/Asuncion", "Asia/Kathmandu", "UTC"]
)
def test_local_days__equal_fromtimestamp_across_dst_changes(zone: str) -> None:
    tz = ZoneInfo(zone)
    days = LocalDays(tz)
    start = int(datetime.combine(date(2023, 3, 20), datetime.min.time(), tz).timestamp())
    for ts in range(start, start + 240 * 86400, 1799):  # every half hour, minus a second
        assert days.iso(ts) == datetime.fromtimestamp(ts, tz).date().isoformat(), ts
