"""Parity: one world seen through the UIS and the Mango faces gives the same calls, normalized.

Both faces are asked over HTTP (one app), for the same day: UIS
`get.calls_report`, Mango `stats/calls/request` + `stats/calls/result/` and the
basic CSV. Normalized to epoch seconds, numbers, durations, the employees who
talked and whether a recording exists, the two must agree call by call; UTM
tags of a tracked call agree with Mango's call-tracking visitor.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from mockpbx.providers.mango.ids import unb64_int
from mockpbx.providers.mango.options import MangoOptions

from .conftest import MangoClient

UIS_FIELDS = [
    "id",
    "start_time",
    "finish_time",
    "direction",
    "is_lost",
    "contact_phone_number",
    "virtual_phone_number",
    "talk_duration",
    "total_duration",
    "employees",
    "call_records",
    "utm_source",
    "utm_medium",
    "utm_campaign",
]


async def _uis(http: TestClient, token: str, day: str) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "get.calls_report",
        "params": {
            "access_token": token,
            "date_from": f"{day} 00:00:00",
            "date_till": f"{day} 23:59:59",
            "fields": UIS_FIELDS,
            "limit": 10000,
        },
    }
    resp = await http.post("/uis/dataapi/v2.0", json=body)
    doc = await resp.json()
    assert "result" in doc, doc
    rows: list[dict[str, Any]] = doc["result"]["data"]
    return rows


def _uis_norm(row: dict[str, Any], tz: Any) -> dict[str, Any]:
    def ts(text: str) -> int:
        return int(datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=tz).timestamp())

    return {
        "id": row["id"],
        "start": ts(row["start_time"]),
        "end": ts(row["finish_time"]),
        "incoming": row["direction"] == "in",
        "answered": not row["is_lost"],
        "contact": row["contact_phone_number"],
        "talk": row["talk_duration"],
        "duration": row["total_duration"],
        "talked": sorted(
            e["employee_full_name"] for e in row["employees"] if e["is_answered"] and e["is_talked"]
        ),
        "recorded": bool(row["call_records"]),
    }


def _mango_norm(item: dict[str, Any]) -> dict[str, Any]:
    incoming = item["context_type"] == 1
    if incoming:
        legs = [m for c in item["context_calls"] for m in c["members"]]
        talked = [m["call_abonent_info"] for m in legs if m["call_answer_time"] is not None]
    else:
        talked = [item["caller_name"]] if item["context_status"] == 1 else []
    recordings = [r for c in item["context_calls"] for r in c["recording_id"]]
    return {
        "id": unb64_int(item["entry_id"], 0),
        "start": item["context_start_time"],
        "end": item["context_start_time"] + item["duration"],
        "incoming": incoming,
        "answered": item["context_status"] == 1,
        "contact": item["caller_number"] if incoming else item["called_number"],
        "talk": item["talk_duration"],
        "duration": item["duration"],
        "talked": sorted(talked) if item["context_status"] == 1 else [],
        "recorded": bool(recordings),
    }


@pytest.fixture(params=[1, 2, 6], ids=lambda d: f"{d}_days_ago")
def day(mango: MangoClient, request: pytest.FixtureRequest) -> Any:
    mango.state.options["mango"] = MangoOptions(rate_limits=False)
    return mango.state.world.today() - timedelta(days=request.param)


async def test_parity__calls_of_a_day_agree(mango: MangoClient, day: Any) -> None:
    world = mango.state.world
    uis_rows = await _uis(mango.http, mango.state.credentials.uis_access_token, day.isoformat())
    params = {
        "start_date": day.strftime("%d.%m.%Y 00:00:00"),
        "end_date": day.strftime("%d.%m.%Y 23:59:59"),
        "limit": 5000,
        "offset": 0,
    }
    key = (await mango.json("stats/calls/request", params))["key"]
    result = await mango.json("stats/calls/result/", {"key": key})
    items = [i for chunk in result["data"] for i in chunk["list"]]
    uis = [_uis_norm(r, world.tz) for r in uis_rows]
    mango_calls = [_mango_norm(i) for i in items]
    assert len(uis) > 20
    assert mango_calls == uis


async def test_parity__csv_times_and_numbers_agree(mango: MangoClient, day: Any) -> None:
    world = mango.state.world
    uis_rows = await _uis(mango.http, mango.state.credentials.uis_access_token, day.isoformat())
    start = world.day_start(day)
    fields = "entry_id,start,finish,answer,from_number,to_number,line_number"
    key = (
        await mango.json(
            "stats/request", {"date_from": start, "date_to": start + 86399, "fields": fields}
        )
    )["key"]
    body = await (await mango.post("stats/result", {"key": key})).text()
    rows = [r.split(";") for r in body.split("\n")]
    by_id = {unb64_int(r[0], 0): r for r in rows}
    assert len(by_id) == len(uis_rows)
    for row in uis_rows:
        norm = _uis_norm(row, world.tz)
        csv = by_id[row["id"]]
        assert (int(csv[1]), int(csv[2])) == (norm["start"], norm["end"])
        assert (int(csv[3]) != 0) == norm["answered"]
        numbers = {csv[4], csv[5]}
        assert row["contact_phone_number"] in numbers
        if norm["incoming"]:
            assert csv[6] == row["virtual_phone_number"]


async def test_parity__utm_of_a_tracked_call(mango: MangoClient, day: Any) -> None:
    """Mango shows UTM only for the visitor bound to a tracking number now; UIS per call."""
    world = mango.state.world
    now = world.now()
    recent = world.store.between(now - 86400, now)
    latest = {c.virtual_number: c for c in recent}  # the visitor each number is bound to
    call = next(
        c for c in reversed(recent) if c.visit and latest[c.virtual_number] is c and c.end_ts <= now
    )
    local = world.local(call.start_ts).date().isoformat()
    uis_rows = await _uis(mango.http, mango.state.credentials.uis_access_token, local)
    row = next(r for r in uis_rows if r["id"] == call.id)
    info = await mango.json("queries/user_info_by_dct_number", {"number": call.virtual_number})
    channel = info["channel"]
    assert row["utm_source"] is not None
    assert (channel.get("source"), channel.get("medium"), channel.get("campaign")) == (
        row["utm_source"],
        row["utm_medium"],
        row["utm_campaign"],
    )
