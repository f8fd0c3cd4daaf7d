"""Every documented field of the three reports renders the bytes the old (exec-built) renderer did.

The golden file `render_fields.golden.json` was written by this module run as
a script against the renderer before it became typed Python (issue 13):
`PYTHONPATH=<checkout before> python tests/mockpbx/uis/test_render_fields.py --write`.
The rows are the 24 hours of the `ad_campaign` scenario up to 14:30 with calls in
progress (`include_ongoing_calls`), missed calls, transfers, callbacks, calls
with and without a web visit, plus Call API calls started and transferred
live. For every report it pins, as digests: the whole page of all fields
(with the row cache off, on, and served from it; both recording URL styles;
the field list reversed), each field alone, a short list with a repeated and
an undocumented name, and the value every field gives filters and sort.
The page of all fields is also pinned row by row, so a failure names the
first differing row and shows it.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from mockpbx.app import create_state
from mockpbx.core import actions
from mockpbx.core.model import Call, CallState
from mockpbx.core.world import World
from mockpbx.providers.uis.render import RenderContext, getter, render_page
from mockpbx.providers.uis.runtime import RowCache
from mockpbx.providers.uis.schemas import catalog
from mockpbx.scenarios.loader import load_scenario

GOLDEN = Path(__file__).with_name("render_fields.golden.json")
MSK = ZoneInfo("Europe/Moscow")
START = datetime(2026, 5, 14, 14, 30, tzinfo=MSK)
METHODS = {"call": "get.calls_report", "leg": "get.call_legs_report"}
METHODS["comm"] = "get.communications_report"
UNDOCUMENTED = "no_such_field"


def _world() -> World:
    """A day of ad_campaign so far, with live Call API calls, one of them transferred."""
    world = create_state(
        seed=1, secret_key="1", start=START, scenario=load_scenario("ad_campaign")
    ).world
    staff = world.employees
    actions.start_callback(world, staff[0].id, "79161112233", external_id="ext-1")
    actions.start_simple_call(world, "79031234567", "74951234567", first_call="contact")
    world.clock.advance(40)
    actions.start_callback(world, staff[1].id, "78121234567")
    world.clock.advance(25)
    talking = [c for c in world.live_calls() if c.state(world.now()) is CallState.TALKING]
    actions.transfer(world, talking[0].id, staff[2].id)
    world.clock.advance(5)
    return world


def _calls(world: World) -> list[Call]:
    now = world.now()
    return world.history(now - 86_400, now + 1, include_ongoing=True)


def _rows(kind: str, calls: Sequence[Call]) -> list[Any]:
    return [(c, leg) for c in calls for leg in c.legs] if kind == "leg" else list(calls)


def _context(world: World, *, style: str = "media", cache: RowCache | None = None) -> RenderContext:
    return RenderContext(
        world, origin="http://uis.example", origin_id=0, url_style=style, cache=cache or RowCache(0)
    )


def _page(world: World, kind: str, rows: Sequence[Any], names: tuple[str, ...], **kw: Any) -> bytes:
    return b"[" + b",".join(render_page(rows, kind, names, _context(world, **kw))) + b"]"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def render_all(world: World) -> dict[str, Any]:
    """Everything the golden pins: {kind: {case: digest, "rows": [row digests]}}."""
    calls = _calls(world)
    out: dict[str, Any] = {}
    for kind, method in METHODS.items():
        rows = _rows(kind, calls)
        names = tuple(catalog(method))
        got: dict[str, Any] = {}
        page = _page(world, kind, rows, names)
        got["rows"] = [_digest(orjson.dumps(row)) for row in orjson.loads(page)]
        got["all"] = _digest(page)
        got["all/app_urls"] = _digest(_page(world, kind, rows, names, style="app"))
        got["all/reversed"] = _digest(_page(world, kind, rows, names[::-1]))
        cache = RowCache(64 << 20)
        got["all/cached"] = _digest(_page(world, kind, rows, names, cache=cache))
        got["all/from_cache"] = _digest(_page(world, kind, rows, names, cache=cache))
        some = (names[-1], names[0], UNDOCUMENTED, names[len(names) // 2], names[0])
        got["some"] = _digest(_page(world, kind, rows, some))
        x = _context(world)
        for name in (*names, UNDOCUMENTED):
            got[f"field/{name}"] = _digest(_page(world, kind, rows, (name,)))
            get = getter(kind, name, x)
            got[f"value/{name}"] = _digest(orjson.dumps([get(row) for row in rows]))
        out[kind] = got
    return out


@pytest.fixture(scope="module")
def world() -> World:
    return _world()


def test_rows__cover_the_cases_that_render_differently(world: World) -> None:
    """In progress, missed, transferred, callbacks, Call API, with and without a visit."""
    calls, now = _calls(world), world.now()
    assert any(c.end_ts > now for c in calls)
    assert any(c.answer_ts is None and c.end_ts <= now for c in calls)
    assert any(c.transferred for c in calls)
    assert any(c.callback_of is not None for c in calls)
    assert any(c.external_id for c in calls)
    assert any(c.source == "dynamic_call_tracking" for c in calls)
    assert any(c.visit for c in calls)
    assert any(c.visit is None for c in calls)


@pytest.mark.parametrize("kind", sorted(METHODS))
def test_every_field__renders_the_bytes_of_the_old_renderer(world: World, kind: str) -> None:
    golden = orjson.loads(GOLDEN.read_bytes())[kind]
    got = render_all(world)[kind]
    rows = _rows(kind, _calls(world))
    page = orjson.loads(_page(world, kind, rows, tuple(catalog(METHODS[kind]))))
    for i, (old, new) in enumerate(zip(golden["rows"], got["rows"], strict=True)):
        assert old == new, f"{kind} row {i} differs from the old renderer's; it is now {page[i]}"
    differing = sorted(case for case in golden if golden[case] != got.get(case))
    assert not differing, f"{kind}: these cases differ from the old renderer's: {differing}"


if __name__ == "__main__":  # regenerate: run against the renderer the golden is to pin
    import mockpbx.providers.uis.render as render_module

    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: test_render_fields.py --write")
    print(f"renderer: {render_module.__file__}")
    GOLDEN.write_bytes(orjson.dumps(render_all(_world()), option=orjson.OPT_INDENT_2) + b"\n")
    print(f"wrote {GOLDEN}")
