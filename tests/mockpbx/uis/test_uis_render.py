"""Row rendering helpers without HTTP."""

from __future__ import annotations

import ast
import random
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest

from mockpbx.app import create_state
from mockpbx.providers.uis import context
from mockpbx.providers.uis.render import RenderContext, plan, wall_clock
from mockpbx.providers.uis.runtime import RowCache
from mockpbx.providers.uis.schemas import catalog
from mockpbx.testing import DEFAULT_START


@pytest.mark.parametrize(
    "zone",
    ["Europe/Moscow", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"],
)
def test_wall_clock__matches_datetime_across_zone_changes(zone: str) -> None:
    """Including DST switches, half-hour shifts and quarter-hour offsets."""
    tz = ZoneInfo(zone)
    rnd = random.Random(zone)
    stamps = [rnd.randrange(0, 2_000_000_000) for _ in range(3000)]
    stamps += [
        t + d for t in range(1_711_843_200, 1_711_843_200 + 86_400 * 3, 900) for d in (-1, 0, 1)
    ]
    for ts in stamps:
        assert wall_clock(ts, tz) == datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M:%S")


def test_wall_clock__stays_right_when_its_kept_texts_are_emptied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The per-zone offsets and minute texts are bounded: emptied when full, then made again."""
    monkeypatch.setattr(context, "_TEXTS", 8)
    tz = ZoneInfo("Asia/Kathmandu")  # a quarter-hour offset
    text = context.clock(tz)
    for ts in range(1_700_000_000, 1_700_000_000 + 86_400, 599):
        assert text(ts) == datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M:%S")
    offsets, minutes = context._ZONES[tz]
    assert len(offsets) <= 8
    assert len(minutes) <= 8


@pytest.mark.parametrize("kind", ["call", "leg"])
def test_fast_dump__equals_the_plain_row_dict(kind: str) -> None:
    """The wire-order row (a copy of a prebuilt dict, parts run on it) says what `row` says."""
    world = create_state(seed=2, start=DEFAULT_START).world
    calls = world.history(world.now() - 3 * 86_400, world.now())
    assert any(c.visit for c in calls)
    assert any(c.visit is None for c in calls)
    method = "get.calls_report" if kind == "call" else "get.call_legs_report"
    rows = calls if kind == "call" else [(c, leg) for c in calls for leg in c.legs]
    x = RenderContext(world, origin="http://h", origin_id=0, url_style="media", cache=RowCache(0))
    for names in (
        tuple(catalog(method)),
        ("id",),
        ("communication_type", "tags")[: 2 if kind == "call" else 0] or ("is_coach",),
    ):
        compiled = plan(kind, names)
        for row in rows:
            assert orjson.loads(compiled.dump(row, x)) == compiled.row(row, x)


def test_wire_order__varying_fields_as_asked_then_constants() -> None:
    """Without a web visit, the fields null without one follow the other varying fields."""
    world = create_state(seed=2, start=DEFAULT_START).world
    calls = world.history(world.now() - 3 * 86_400, world.now())
    visited = next(c for c in calls if c.visit)
    bare = next(c for c in calls if c.visit is None)
    names = ("tags", "utm_source", "id", "undocumented", "visits_count", "start_time", "id")
    x = RenderContext(world, origin="http://h", origin_id=0, url_style="media", cache=RowCache(0))
    p = plan("call", names)
    assert list(p.values(visited, x)) == [
        "utm_source", "id", "visits_count", "start_time", "tags", "undocumented"
    ]  # fmt: skip
    assert list(p.values(bare, x)) == [
        "id", "start_time", "utm_source", "visits_count", "tags", "undocumented"
    ]  # fmt: skip
    assert list(p.row(bare, x)) == [
        "tags",
        "utm_source",
        "id",
        "undocumented",
        "visits_count",
        "start_time",
    ]
    assert p.values(bare, x)["visits_count"] is None
    assert p.values(visited, x)["visits_count"] == 1


_DYNAMIC = {"exec", "eval", "compile"}
PACKAGE = Path(__file__).resolve().parents[3] / "mockpbx"


def _names_builtin(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id in _DYNAMIC
    return (
        isinstance(node, ast.Attribute)
        and node.attr in _DYNAMIC
        and isinstance(node.value, ast.Name)
        and node.value.id == "builtins"
    )


def _dynamic_code(source: str) -> list[int]:
    """Lines naming the builtins exec, eval or compile (not `re.compile`, `ast.literal_eval`)."""
    return [node.lineno for node in ast.walk(ast.parse(source)) if _names_builtin(node)]


def test_dynamic_code_check__finds_exec_eval_and_compile() -> None:
    source = "import re\nre.compile('x')\nf = exec\neval('1')\nbuiltins.compile('', '', 'exec')\n"
    assert _dynamic_code(source) == [3, 4, 5]


def test_mockpbx_source__builds_no_code_from_strings() -> None:
    """No exec, eval or compile anywhere in the package: mypy, ruff and renames see all code."""
    offenders = {
        str(path.relative_to(PACKAGE)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if (lines := _dynamic_code(path.read_text(encoding="utf-8")))
    }
    assert (PACKAGE / "providers" / "uis" / "render.py").exists()
    assert not offenders


def test_facts__computed_for_one_list_are_completed_for_the_next() -> None:
    """A request's facts of a call grow by the groups a later field list needs."""
    world = create_state(seed=2, start=DEFAULT_START).world
    calls = world.history(world.now() - 86_400, world.now())
    names = tuple(catalog("get.calls_report"))

    def context_() -> RenderContext:
        return RenderContext(
            world, origin="http://h", origin_id=0, url_style="media", cache=RowCache(0)
        )

    x = context_()
    for call in calls:
        plan("call", ("cpn_region_id",)).values(call, x)  # the region group only
    assert {x.facts(c, 0).has for c in calls} == {context.REGION}
    fresh = context_()
    for call in calls:
        assert plan("call", names).values(call, x) == plan("call", names).values(call, fresh)
    assert {x.facts(c, 0).has for c in calls} == {context.ALL_FACTS}
