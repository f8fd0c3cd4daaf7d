"""stats/result (CSV) and stats/calls/result (JSON) bodies stay byte-identical: pinned digests.

The renderings of stats.py / stats_handlers.py are tuned for speed; any change
there must leave every body exactly as it was. Each case asks a window of
two local days of a scenario (network_year: ten clinics; a small clinic with
transfers and late rows) with options and filters that take other paths, and
hashes the raw bytes. If a change is *meant* to alter a body, update GOLDEN
and say so in the commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from aiohttp.test_utils import TestClient

from mockpbx.app import create_app, create_state
from mockpbx.providers.mango.options import MangoOptions
from mockpbx.scenarios.loader import load_scenario
from mockpbx.scenarios.model import Scenario

from .conftest import MangoClient

ClientFactory = Callable[..., Awaitable[TestClient]]  # type: ignore[type-arg]
MSK = ZoneInfo("Europe/Moscow")
START = datetime(2026, 5, 14, 10, 30, tzinfo=MSK)
FIRST, LAST = date(2026, 5, 12), date(2026, 5, 13)
SMALL = Scenario(shares={"transfers": 0.3, "late_rows": 0.2})

ALL_FIELDS = "entry_id,create,records,start,finish,answer,from_extension,from_number,to_extension,to_number,disconnect_reason,line_number,location"  # noqa: E501
CSV_CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # name: (options, extra request params)
    "csv-default": ({}, {}),
    "csv-all-fields": ({}, {"fields": ALL_FIELDS}),
    "csv-legs": ({"csv_rows": "leg"}, {"fields": ALL_FIELDS}),
    "csv-bare-crlf": (
        {"csv_records_brackets": False, "csv_line_ending": "\r\n", "csv_trailing_newline": True},
        {},
    ),
    "csv-call-party": ({}, {"call_party": {"extension": "101"}}),
    "csv-legs-to": ({"csv_rows": "leg"}, {"to": {"extension": "101"}}),
}
JSON_CASES: dict[str, dict[str, Any]] = {
    "json-all": {"limit": 5000, "offset": 0},
    "json-page-2": {"limit": 100, "offset": 100},
    "json-ext-fields": {"limit": 1000, "offset": 0, "ext_fields": ["context_cost_full"]},
    "json-in-missed": {"limit": 1000, "offset": 0, "context_type": 1, "context_status": 0},
    "json-out": {"limit": 1000, "offset": 0, "context_type": [2]},
}
GOLDEN = {
    "network_year/csv-default": "933656c19389a99403fad131e01e36d5",
    "network_year/csv-all-fields": "2e5b61a34aec8bdae20a2d4fcd999a46",
    "network_year/csv-legs": "5c10556c5c09638d37ca4d1a6fdb3fb0",
    "network_year/csv-bare-crlf": "133bbe795490d262e4f379de5c6ba202",
    "network_year/csv-call-party": "ce5db4080a06e8d78ca14cf120ad03ac",
    "network_year/csv-legs-to": "88eba981dab907b3ffd89d15102cb5b2",
    "network_year/json-all": "229a60c8b6bccddeaaca55d05063d5e9",
    "network_year/json-page-2": "ecf0614497dc9594fa4debe872feddda",
    "network_year/json-ext-fields": "8043c72494aab813391f60af73a9493a",
    "network_year/json-in-missed": "0e500bc3e6beee057e9c6b31e1e619e7",
    "network_year/json-out": "93e28a4adaddc56414f35e94886e1fcb",
    "small/csv-default": "fd20cabc81b8ef56d46c52b984f72eea",
    "small/csv-all-fields": "310d0ffd7893e753a6770221795963a2",
    "small/csv-legs": "502145a65da33b188c8083b9422b4f74",
    "small/csv-bare-crlf": "4eeadcbef1abb181bc17570baebad133",
    "small/csv-call-party": "ca6d5d5b2258403dcfa924387fba69de",
    "small/csv-legs-to": "8528a7c90e2056e1155de3e2be17693d",
    "small/json-all": "6e266761545d890cf0128295c050fbde",
    "small/json-page-2": "3209b1151d5697e8beecaba187cf17ce",
    "small/json-ext-fields": "8309c43d921c7ae44a74a82b705ed8c3",
    "small/json-in-missed": "cc6d1478366b60ba3e3c798d2622c367",
    "small/json-out": "a0b53b5a7f3cae13853c39be16d994be",
}


async def _bodies(aiohttp_client: ClientFactory, scenario: Any) -> dict[str, bytes]:
    state = create_state(seed=1, secret_key="1", start=START, scenario=scenario)
    mango = MangoClient(await aiohttp_client(create_app(state)), state)
    world = state.world
    ts_from, ts_to = world.day_start(FIRST), world.day_start(LAST) + 86399
    out: dict[str, bytes] = {}
    for name, (opts, extra) in CSV_CASES.items():
        state.options["mango"] = MangoOptions(rate_limits=False, **opts)
        params = {"date_from": ts_from, "date_to": ts_to, **extra}
        key = (await mango.json("stats/request", params))["key"]
        out[name] = await (await mango.post("stats/result", {"key": key})).read()
    state.options["mango"] = MangoOptions(rate_limits=False)
    dates = {
        "start_date": FIRST.strftime("%d.%m.%Y 00:00:00"),
        "end_date": LAST.strftime("%d.%m.%Y 23:59:59"),
    }
    for name, params in JSON_CASES.items():
        key = (await mango.json("stats/calls/request", {**dates, **params}))["key"]
        out[name] = await (await mango.post("stats/calls/result/", {"key": key})).read()
        assert orjson.loads(out[name])["status"] == "complete"
    return out


@pytest.mark.parametrize("scenario", ["network_year", "small"])
async def test_stats_bodies__are_byte_identical_to_the_pinned_digests(
    aiohttp_client: ClientFactory, scenario: str
) -> None:
    sc = SMALL if scenario == "small" else load_scenario(scenario)
    bodies = await _bodies(aiohttp_client, sc)
    digests = {f"{scenario}/{n}": hashlib.sha256(b).hexdigest()[:32] for n, b in bodies.items()}
    assert all(bodies.values()), "every case has rows"
    assert digests == {k: v for k, v in GOLDEN.items() if k.startswith(f"{scenario}/")}
