"""A row of a field list says what each of its fields says alone, on every built-in scenario.

render.py runs a report's parts (fields.py) once per row with the list's
`Want` flags and computes only the groups of facts the list needs; this checks
that a whole list gives, field by field, what a plan of that field alone gives
in a fresh request (so each field's own facts groups suffice), in wire order
and in the order asked, on every call (and leg) of the last days of every
built-in scenario, for both recording URL styles.
"""

from __future__ import annotations

import orjson
import pytest

from mockpbx.app import create_state
from mockpbx.core.world import World
from mockpbx.providers.uis.render import RenderContext, plan
from mockpbx.providers.uis.runtime import RowCache
from mockpbx.providers.uis.schemas import catalog
from mockpbx.scenarios.loader import builtin_names, load_scenario
from mockpbx.testing import DEFAULT_START

METHODS = {"call": "get.calls_report", "leg": "get.call_legs_report"}
METHODS["comm"] = "get.communications_report"


def _context(world: World, style: str) -> RenderContext:
    return RenderContext(world, origin="http://h", origin_id=0, url_style=style, cache=RowCache(0))


@pytest.mark.parametrize("kind", sorted(METHODS))
@pytest.mark.parametrize("name", sorted(builtin_names()))
def test_row__equals_each_field_rendered_alone(name: str, kind: str) -> None:
    world = create_state(seed=1, start=DEFAULT_START, scenario=load_scenario(name)).world
    calls = world.history(world.now() - 3 * 86_400, world.now())
    assert calls
    rows = [(c, leg) for c in calls for leg in c.legs] if kind == "leg" else calls
    names = tuple(catalog(METHODS[kind]))
    whole = plan(kind, names)
    alone = {n: plan(kind, (n,)) for n in names}
    for style in ("media", "app"):
        x = _context(world, style)
        own = {n: _context(world, style) for n in names}  # facts computed for that field only
        for row in rows:
            separately = {n: alone[n].values(row, own[n])[n] for n in names}
            assert whole.row(row, x) == separately
            assert orjson.loads(whole.dump(row, x)) == separately
