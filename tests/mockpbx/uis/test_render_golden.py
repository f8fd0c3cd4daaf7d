"""Report pages stay byte-identical: pinned sha256 digests of whole response bodies.

The report renderer (render.py) is tuned for speed; any change there must
leave every byte of `get.calls_report`, `get.call_legs_report` and
`get.communications_report` replies as it was. Each case posts a request to a
fresh app of a built-in scenario (fixed start, seed 1, fixed secret key "1",
which gives the recording link hashes of the seed-derived days) and digests the raw
body: all fields and the default ones, a filter, a sort, ongoing calls, both
recording URL styles, with the row cache on (each page asked twice: rendered,
then from the cache) and off. If a change is *meant* to alter a report, update
GOLDEN and say so in the commit.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from mockpbx.app import create_app, create_state
from mockpbx.providers.uis.options import UisOptions
from mockpbx.providers.uis.schemas import catalog
from mockpbx.scenarios.loader import load_scenario
from tests.mockpbx.uis.conftest import DATA, ClientFactory

MSK = ZoneInfo("Europe/Moscow")
STARTS = {
    "clinic_day": datetime(2026, 5, 14, 10, 30, tzinfo=MSK),
    "ad_campaign": datetime(2026, 5, 14, 10, 30, tzinfo=MSK),
    "midnight": datetime(2026, 5, 14, 23, 30, tzinfo=MSK),
}
TWO_DAYS = {"date_from": "2026-05-12 00:00:00", "date_till": "2026-05-13 23:59:59"}
TODAY = {"date_from": "2026-05-14 00:00:00", "date_till": "2026-05-14 23:59:59"}
HOST = {"Host": "uis.example"}  # recording links name the origin, not the test port
CALLS = "get.calls_report"
LEGS = "get.call_legs_report"
COMMS = "get.communications_report"


def _cases() -> dict[str, tuple[str, dict[str, Any]]]:
    all_calls, all_legs = list(catalog(CALLS)), list(catalog(LEGS))
    return {
        "calls_all": (CALLS, TWO_DAYS | {"fields": all_calls}),
        "calls_default": (CALLS, TWO_DAYS),
        "calls_filter": (
            CALLS,
            TWO_DAYS
            | {
                "fields": all_calls,
                "filter": {
                    "condition": "or",
                    "filters": [
                        {"field": "is_lost", "operator": "=", "value": True},
                        {"field": "contact_phone_number", "operator": "like", "value": "7916%"},
                    ],
                },
            },
        ),
        "calls_sort": (
            CALLS,
            TWO_DAYS
            | {
                "fields": all_calls,
                "sort": [
                    {"field": "finish_reason", "order": "desc"},
                    {"field": "start_time", "order": "asc"},
                ],
                "limit": 300,
                "offset": 7,
            },
        ),
        "calls_ongoing": (CALLS, TODAY | {"fields": all_calls, "include_ongoing_calls": True}),
        "calls_some": (
            CALLS,
            TWO_DAYS | {"fields": ["tags", "id", "visitor_city", "employees", "id", "is_lost"]},
        ),
        "legs_all": (LEGS, TWO_DAYS | {"fields": all_legs}),
        "legs_default": (LEGS, TWO_DAYS),
        "legs_filter": (
            LEGS,
            TWO_DAYS
            | {
                "fields": all_legs,
                "filter": {"field": "is_operator", "operator": "=", "value": True},
            },
        ),
        "legs_sort": (
            LEGS,
            TWO_DAYS
            | {
                "fields": all_legs,
                "sort": [{"field": "employee_full_name", "order": "desc"}],
                "limit": 250,
            },
        ),
        "comms_all": (COMMS, TWO_DAYS | {"fields": list(catalog(COMMS))}),
    }


GOLDEN = {
    "ad_campaign/calls_all/app_urls": "8c6dda769c00a94f7279d8ef29c4e085",
    "ad_campaign/calls_all/cached": "b2ba2943e3261bb1adcc22b2336ae044",
    "ad_campaign/calls_all/uncached": "b2ba2943e3261bb1adcc22b2336ae044",
    "ad_campaign/calls_default/app_urls": "85f949ed2135f5d5bb457133fc20641c",
    "ad_campaign/calls_default/cached": "73a93b29e38a1cc1930ec26d41d7ef09",
    "ad_campaign/calls_default/uncached": "73a93b29e38a1cc1930ec26d41d7ef09",
    "ad_campaign/calls_filter/app_urls": "6f812fdf29159aad5119f8080dd61399",
    "ad_campaign/calls_filter/cached": "fda54b780e70e8a3477ec0fe4ef901b8",
    "ad_campaign/calls_filter/uncached": "fda54b780e70e8a3477ec0fe4ef901b8",
    "ad_campaign/calls_ongoing/app_urls": "823762a1c2b1a4cace10b8b84a5f2a29",
    "ad_campaign/calls_ongoing/cached": "2761a4c6b3096e88c92aa13c319c6c5a",
    "ad_campaign/calls_ongoing/uncached": "2761a4c6b3096e88c92aa13c319c6c5a",
    "ad_campaign/calls_some/app_urls": "107632d22f64094f9a958e78a303f6da",
    "ad_campaign/calls_some/cached": "107632d22f64094f9a958e78a303f6da",
    "ad_campaign/calls_some/uncached": "107632d22f64094f9a958e78a303f6da",
    "ad_campaign/calls_sort/app_urls": "7ee6bd4b79af38874f492fcc28c2d6f9",
    "ad_campaign/calls_sort/cached": "28c31edd866ccef2185a93d77e8bcbdc",
    "ad_campaign/calls_sort/uncached": "28c31edd866ccef2185a93d77e8bcbdc",
    "ad_campaign/comms_all/app_urls": "06f1c87512a9188c39fa61db8bffa377",
    "ad_campaign/comms_all/cached": "06f1c87512a9188c39fa61db8bffa377",
    "ad_campaign/comms_all/uncached": "06f1c87512a9188c39fa61db8bffa377",
    "ad_campaign/legs_all/app_urls": "78e9e32d07a4bae0109df1eca14631ca",
    "ad_campaign/legs_all/cached": "78e9e32d07a4bae0109df1eca14631ca",
    "ad_campaign/legs_all/uncached": "78e9e32d07a4bae0109df1eca14631ca",
    "ad_campaign/legs_default/app_urls": "e712703a502cb8da467146071f263b58",
    "ad_campaign/legs_default/cached": "e712703a502cb8da467146071f263b58",
    "ad_campaign/legs_default/uncached": "e712703a502cb8da467146071f263b58",
    "ad_campaign/legs_filter/app_urls": "f657e18b046cffbc1b1000f50c35e22e",
    "ad_campaign/legs_filter/cached": "f657e18b046cffbc1b1000f50c35e22e",
    "ad_campaign/legs_filter/uncached": "f657e18b046cffbc1b1000f50c35e22e",
    "ad_campaign/legs_sort/app_urls": "6d157ff61a903d815be57854e90e3dd0",
    "ad_campaign/legs_sort/cached": "6d157ff61a903d815be57854e90e3dd0",
    "ad_campaign/legs_sort/uncached": "6d157ff61a903d815be57854e90e3dd0",
    "clinic_day/calls_all/app_urls": "b344a2bd2d6e521ae9c85967f42a3dba",
    "clinic_day/calls_all/cached": "5fe7b9b4cce9fe673ab26e9f08910991",
    "clinic_day/calls_all/uncached": "5fe7b9b4cce9fe673ab26e9f08910991",
    "clinic_day/calls_default/app_urls": "f6f01b090283be0d3d46b3cd9fb178ce",
    "clinic_day/calls_default/cached": "04b28d6c9f4d0ea45bb8ec10dacaa954",
    "clinic_day/calls_default/uncached": "04b28d6c9f4d0ea45bb8ec10dacaa954",
    "clinic_day/calls_filter/app_urls": "05ae06e24374cd36873217a4b87ab96c",
    "clinic_day/calls_filter/cached": "b5293db5bb0be22ed43de7c4581f26ab",
    "clinic_day/calls_filter/uncached": "b5293db5bb0be22ed43de7c4581f26ab",
    "clinic_day/calls_ongoing/app_urls": "3565308dd177b58c83408efad99a0725",
    "clinic_day/calls_ongoing/cached": "04764688328bbba6c9672c2c864214f5",
    "clinic_day/calls_ongoing/uncached": "04764688328bbba6c9672c2c864214f5",
    "clinic_day/calls_some/app_urls": "741018530ce75967a62877a8d34f4097",
    "clinic_day/calls_some/cached": "741018530ce75967a62877a8d34f4097",
    "clinic_day/calls_some/uncached": "741018530ce75967a62877a8d34f4097",
    "clinic_day/calls_sort/app_urls": "950a2bffd46ff287effc5d4d37a3021a",
    "clinic_day/calls_sort/cached": "3965421ead29403d4db2138f5786de43",
    "clinic_day/calls_sort/uncached": "3965421ead29403d4db2138f5786de43",
    "clinic_day/comms_all/app_urls": "0b804cab7f4e28d2704ecb00dcee71f0",
    "clinic_day/comms_all/cached": "0b804cab7f4e28d2704ecb00dcee71f0",
    "clinic_day/comms_all/uncached": "0b804cab7f4e28d2704ecb00dcee71f0",
    "clinic_day/legs_all/app_urls": "381924c83672460d081ab7211193d675",
    "clinic_day/legs_all/cached": "381924c83672460d081ab7211193d675",
    "clinic_day/legs_all/uncached": "381924c83672460d081ab7211193d675",
    "clinic_day/legs_default/app_urls": "a110426782db19b1a361d99fcfb32359",
    "clinic_day/legs_default/cached": "a110426782db19b1a361d99fcfb32359",
    "clinic_day/legs_default/uncached": "a110426782db19b1a361d99fcfb32359",
    "clinic_day/legs_filter/app_urls": "ff35b136103866b43b3eb66344f3c36d",
    "clinic_day/legs_filter/cached": "ff35b136103866b43b3eb66344f3c36d",
    "clinic_day/legs_filter/uncached": "ff35b136103866b43b3eb66344f3c36d",
    "clinic_day/legs_sort/app_urls": "7727a0da3f8f21c25f0797637d263cc7",
    "clinic_day/legs_sort/cached": "7727a0da3f8f21c25f0797637d263cc7",
    "clinic_day/legs_sort/uncached": "7727a0da3f8f21c25f0797637d263cc7",
    "midnight/calls_all/app_urls": "fb0b314c3fab61fb0a49e00be28074ea",
    "midnight/calls_all/cached": "45b8aaf857a77f0a383769b62f2c78d4",
    "midnight/calls_all/uncached": "45b8aaf857a77f0a383769b62f2c78d4",
    "midnight/calls_default/app_urls": "1d899ddb1276b0b1bcece0cf3cc62e7e",
    "midnight/calls_default/cached": "459ab3150d4aed97c7cf2f6549b0608e",
    "midnight/calls_default/uncached": "459ab3150d4aed97c7cf2f6549b0608e",
    "midnight/calls_filter/app_urls": "44861766cc24166217a3c52b3ed4f483",
    "midnight/calls_filter/cached": "4c64d0c564f5bb186d2c8b6e0abaeeb3",
    "midnight/calls_filter/uncached": "4c64d0c564f5bb186d2c8b6e0abaeeb3",
    "midnight/calls_ongoing/app_urls": "b60167953dcbb32bed4cbdee4bb9682b",
    "midnight/calls_ongoing/cached": "3b3a6d6a0680d58dd34afc7e9e06d418",
    "midnight/calls_ongoing/uncached": "3b3a6d6a0680d58dd34afc7e9e06d418",
    "midnight/calls_some/app_urls": "0a8acc86b2b87e830c04fafbb8b220a6",
    "midnight/calls_some/cached": "0a8acc86b2b87e830c04fafbb8b220a6",
    "midnight/calls_some/uncached": "0a8acc86b2b87e830c04fafbb8b220a6",
    "midnight/calls_sort/app_urls": "38277e4828e09f2b8736af820f9a0150",
    "midnight/calls_sort/cached": "b1316dcebfd93d1f00254ad099c9fed0",
    "midnight/calls_sort/uncached": "b1316dcebfd93d1f00254ad099c9fed0",
    "midnight/comms_all/app_urls": "f89c501b34ed9fbf97951501e7b8604e",
    "midnight/comms_all/cached": "f89c501b34ed9fbf97951501e7b8604e",
    "midnight/comms_all/uncached": "f89c501b34ed9fbf97951501e7b8604e",
    "midnight/legs_all/app_urls": "459dc9a24bb79f83d0dd44cf00627bb8",
    "midnight/legs_all/cached": "459dc9a24bb79f83d0dd44cf00627bb8",
    "midnight/legs_all/uncached": "459dc9a24bb79f83d0dd44cf00627bb8",
    "midnight/legs_default/app_urls": "75fff3f0a7b4b1ea428b62025bbff610",
    "midnight/legs_default/cached": "75fff3f0a7b4b1ea428b62025bbff610",
    "midnight/legs_default/uncached": "75fff3f0a7b4b1ea428b62025bbff610",
    "midnight/legs_filter/app_urls": "7b3d1f1355870ece355e7694dda2d577",
    "midnight/legs_filter/cached": "7b3d1f1355870ece355e7694dda2d577",
    "midnight/legs_filter/uncached": "7b3d1f1355870ece355e7694dda2d577",
    "midnight/legs_sort/app_urls": "54feff4ae986aa8bcfeb7bc6be7d5d43",
    "midnight/legs_sort/cached": "54feff4ae986aa8bcfeb7bc6be7d5d43",
    "midnight/legs_sort/uncached": "54feff4ae986aa8bcfeb7bc6be7d5d43",
}


async def _bodies(
    aiohttp_client: ClientFactory, name: str, opts: UisOptions, case: str
) -> list[bytes]:
    state = create_state(seed=1, secret_key="1", start=STARTS[name], scenario=load_scenario(name))
    state.options["uis"] = opts
    client = await aiohttp_client(create_app(state))
    method, params = _cases()[case]
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": method,
        "params": {"access_token": state.credentials.uis_access_token} | params,
    }
    out = []
    for _ in range(2):  # the second page comes from the row cache when it is on
        resp = await client.post(DATA, data=orjson.dumps(body), headers=HOST)
        assert resp.status == 200
        out.append(await resp.read())
    return out


OPTIONS = {
    "cached": UisOptions(),
    "uncached": UisOptions(row_cache_bytes=0),
    "app_urls": UisOptions(row_cache_bytes=0, recording_url_style="app"),
}


def _digest(bodies: list[bytes]) -> str:
    h = hashlib.sha256()
    for body in bodies:
        h.update(hashlib.sha256(body).digest())
    return h.hexdigest()[:32]


@pytest.mark.parametrize("opts", sorted(OPTIONS))
@pytest.mark.parametrize("case", sorted(_cases()))
@pytest.mark.parametrize("name", sorted(STARTS))
async def test_report_bodies__are_byte_identical_to_the_pinned_digest(
    aiohttp_client: ClientFactory, name: str, case: str, opts: str
) -> None:
    bodies = await _bodies(aiohttp_client, name, OPTIONS[opts], case)
    rows = orjson.loads(bodies[0])["result"]["data"]
    assert rows, "every case must render rows"
    assert GOLDEN[f"{name}/{case}/{opts}"] == _digest(bodies)
