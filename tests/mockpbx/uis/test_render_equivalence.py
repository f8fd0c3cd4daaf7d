"""The fast row dumper says exactly what the plain row dict says, on every built-in scenario.

render.py compiles each field list twice from one table: a dict builder
(filters, sort, calls in progress) and a dumper that splices constants in as
pre-serialized JSON, drops the `v and ...` guards for rows with a visit and
evaluates shared expressions once. This checks the two agree on every call
(and leg) of the last days of every built-in scenario.
"""

from __future__ import annotations

import orjson
import pytest

from mockpbx.app import create_state
from mockpbx.providers.uis.render import RenderContext, plan
from mockpbx.providers.uis.runtime import RowCache
from mockpbx.providers.uis.schemas import catalog
from mockpbx.scenarios.loader import builtin_names, load_scenario
from mockpbx.testing import DEFAULT_START

METHODS = {"call": "get.calls_report", "leg": "get.call_legs_report"}
METHODS["comm"] = "get.communications_report"


@pytest.mark.parametrize("kind", sorted(METHODS))
@pytest.mark.parametrize("name", sorted(builtin_names()))
def test_dump__equals_the_row_dict_on_every_call(name: str, kind: str) -> None:
    world = create_state(seed=1, start=DEFAULT_START, scenario=load_scenario(name)).world
    calls = world.history(world.now() - 3 * 86_400, world.now())
    assert calls
    rows = [(c, leg) for c in calls for leg in c.legs] if kind == "leg" else calls
    for style in ("media", "app"):
        x = RenderContext(world, origin="http://h", origin_id=0, url_style=style, cache=RowCache(0))
        compiled = plan(kind, tuple(catalog(METHODS[kind])))
        for row in rows:
            assert orjson.loads(compiled.dump(row, x)) == compiled.row(row, x)
