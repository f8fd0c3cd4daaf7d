"""`mockpbx generate`: the truth of a period as JSON lines, one record per line.

Every line is an object with a `type`: first `meta`, then the directory
(`clinic`, `administrator`, `doctor`, `channel`), then per day `call` records
(the shape of `GET /_mockpbx/truth/calls`), then the clinic side (`patient`,
`comment`, `appointment`, `visit`, `ad_spend`; the shapes of
`GET /_mockpbx/truth/clinic`). The world is built as it stands at 00:00 after
the last day, so everything of the period has happened.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import orjson

from mockpbx.core.world import World
from mockpbx.scenarios.engine import build_world
from mockpbx.scenarios.model import Scenario
from mockpbx.scenarios.truth import FaceIds, calls_truth, clinic_truth

__all__ = ["export_truth", "truth_records", "world_for_period"]

_DIRECTORY = {"clinics": "clinic", "administrators": "administrator", "doctors": "doctor",
              "channels": "channel"}  # fmt: skip
_CLINIC = {"patients": "patient", "comments": "comment", "appointments": "appointment",
           "visits": "visit", "ad_spend": "ad_spend"}  # fmt: skip


def world_for_period(scenario: Scenario, seed: int, first: date, last: date) -> World:
    """A world whose history covers first..last and whose clock stands just after `last`."""
    tz = ZoneInfo(scenario.timezone)
    start = datetime.combine(last + timedelta(days=1), time(0, 0), tzinfo=tz)
    days = (last - first).days + 1
    sc = scenario.model_copy(update={"history_days": max(days, scenario.history_days)})
    return build_world(sc, seed=seed, start=start, anchor=first)


def truth_records(
    scenario: Scenario, seed: int, first: date, last: date, faces: FaceIds
) -> Iterator[Any]:
    """Every record of the export, in order (calls streamed day by day; ids of `faces`)."""
    world = world_for_period(scenario, seed, first, last)
    end = world.day_start(last + timedelta(days=1))
    begin = world.day_start(first)
    yield {"type": "meta", "scenario": scenario.name, "seed": seed, "from": first.isoformat(),
           "to": last.isoformat(), "timezone": scenario.timezone}  # fmt: skip
    clinic = clinic_truth(world, begin, end)
    for key, kind in _DIRECTORY.items():
        for row in clinic[key]:
            yield {"type": kind, **row}
    day = first
    while day <= last:
        ts = world.day_start(day)
        for call in calls_truth(world, ts, world.day_start(day + timedelta(days=1)), faces):
            yield {"type": "call", **call}
        day += timedelta(days=1)
    for key, kind in _CLINIC.items():
        for row in clinic[key]:
            yield {"type": kind, **row}


def export_truth(
    scenario: Scenario, seed: int, first: date, last: date, out: TextIO, faces: FaceIds
) -> int:
    """Write the records as JSON lines; returns how many calls were written."""
    calls = 0
    for record in truth_records(scenario, seed, first, last, faces):
        calls += record["type"] == "call"
        out.write(orjson.dumps(record).decode())
        out.write("\n")
    return calls
