"""Cold UIS report rows in-process: the renderer against orjson.dumps of prebuilt dicts.

No HTTP and no row cache: `render_page` turns N rows (ended calls of the
default clinic at ~3,200 calls a day, a fresh `RenderContext` per pass, so the
per-call facts are computed again) into JSON, for the calls report with all
105 fields, with the 20 fields the adapter asks for and with 3 fields, for
the legs report and for the communications report with all their fields.
The baseline of each case is `orjson.dumps` of the same rows as prebuilt
dicts (what serialization alone costs); the ratio is render / baseline.
Passes are interleaved (render, baseline, render, ...), timed in CPU seconds
of this process, and the median kept, so a noisy neighbour hits both alike.

    python bench/bench_uis_render.py            # 20,000 rows per case, 15 rounds
    python bench/bench_uis_render.py --quick    # 5,000 rows, 7 rounds
    python bench/bench_uis_render.py --against ../before   # + that checkout's renderer

With `--against DIR` the renderer of another checkout (DIR's render.py, loaded
beside this one, sharing the rest of the package) is timed in the same rounds:
a before/after column that one process's noise hits alike.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from mockpbx.app import create_state
from mockpbx.core.model import Call
from mockpbx.core.world import World
from mockpbx.providers.uis.render import RenderContext, render_page
from mockpbx.providers.uis.runtime import RowCache
from mockpbx.providers.uis.schemas import catalog
from mockpbx.scenarios.model import Scenario, Volume

MSK = ZoneInfo("Europe/Moscow")
START = datetime(2026, 5, 14, 10, 30, tzinfo=MSK)
# The fields of get.calls_report the adapter reads (adapter/providers/uis.py REPORT_FIELDS).
ADAPTER_FIELDS = (
    "id", "start_time", "finish_time", "direction", "is_lost", "finish_reason",
    "contact_phone_number", "virtual_phone_number", "operator_phone_number", "wait_duration",
    "talk_duration", "full_record_file_link", "last_answered_employee_id",
    "last_answered_employee_full_name", "utm_source", "utm_medium", "utm_campaign", "utm_term",
    "utm_content", "referrer",
)  # fmt: skip
TINY_FIELDS = ("id", "start_time", "is_lost")


def _world(rows: int) -> tuple[World, list[Call]]:
    """A world of the default clinic with at least `rows` ended calls (and their legs)."""
    days = rows // 3000 + 2
    scenario = Scenario(history_days=days, volume=Volume(calls_per_day=2000, by_weekday=[1] * 7))
    world = create_state(seed=1, start=START, scenario=scenario, secret_key="1").world
    calls = world.history(world.now() - days * 86_400, world.now() - 86_400)
    return world, calls


def _cases(calls: list[Call], n: int) -> dict[str, tuple[str, tuple[str, ...], list[Any]]]:
    legs = [(c, leg) for c in calls for leg in c.legs][:n]
    everything = tuple(catalog("get.calls_report"))
    return {
        "calls, all 105 fields": ("call", everything, calls[:n]),
        "calls, adapter's 20 fields": ("call", ADAPTER_FIELDS, calls[:n]),
        "calls, 3 fields": ("call", TINY_FIELDS, calls[:n]),
        "legs, all 34 fields": ("leg", tuple(catalog("get.call_legs_report")), legs),
        "comms, all 62 fields": ("comm", tuple(catalog("get.communications_report")), calls[:n]),
    }


def _seconds(fn: Callable[[], object]) -> float:
    """CPU seconds of this process: time spent waiting for a busy machine's cores is left out."""
    started = time.process_time()
    fn()
    return time.process_time() - started


def _load_render(checkout: Path) -> ModuleType:
    """The render module of another checkout, loaded beside ours (the rest is shared)."""
    path = checkout / "mockpbx" / "providers" / "uis" / "render.py"
    spec = importlib.util.spec_from_file_location("render_against", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"no renderer at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pass(module: Any, world: World, kind: str, names: tuple[str, ...], rows: list[Any]) -> None:
    """One cold page of `rows` by the render module `module` (a fresh request context)."""
    x = module.RenderContext(
        world, origin="http://h", origin_id=0, url_style="media", cache=RowCache(0)
    )
    module.render_page(rows, kind, names, x)


def _measure(
    renders: dict[str, Any], world: World, case: tuple[str, tuple[str, ...], list[Any]], rounds: int
) -> dict[str, float]:
    """Median seconds of each renderer and of the baseline, over interleaved rounds."""
    kind, names, rows = case
    x = RenderContext(world, origin="http://h", origin_id=0, url_style="media", cache=RowCache(0))
    prebuilt = orjson.loads(b"[" + b",".join(render_page(rows, kind, names, x)) + b"]")
    runs: dict[str, list[float]] = {name: [] for name in [*renders, "dumps"]}
    order = list(renders.items())
    for _ in range(rounds):
        for name, module in order:
            runs[name].append(_seconds(lambda m=module: _pass(m, world, kind, names, rows)))
        runs["dumps"].append(_seconds(lambda: orjson.dumps(prebuilt)))
        order.reverse()  # who goes first warms shared caches (recording hashes) for the other
    return {name: statistics.median(times) for name, times in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 rows, 7 rounds")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument(
        "--against", type=Path, default=None, help="a checkout whose renderer to time too"
    )
    args = parser.parse_args()
    n = args.rows or (5_000 if args.quick else 20_000)
    rounds = args.rounds or (7 if args.quick else 15)
    world, calls = _world(n)
    renders: dict[str, Any] = {"render": sys.modules[render_page.__module__]}
    if args.against:
        renders["against"] = _load_render(args.against)
    print(f"{n:,} rows per case (cold: row cache off), CPU time, median of {rounds} rounds")
    head = f"{'case':<28}{'render us/row':>15}{'dumps us/row':>14}{'vs dumps':>10}"
    print(head + (f"{'against us/row':>16}{'vs against':>12}" if args.against else ""))
    for label, case in _cases(calls, n).items():
        got = _measure(renders, world, case, rounds)
        per = 1e6 / len(case[2])
        line = f"{label:<28}{got['render'] * per:>15.2f}{got['dumps'] * per:>14.2f}"
        line += f"{got['render'] / got['dumps']:>9.1f}x"
        if args.against:
            line += f"{got['against'] * per:>16.2f}{got['render'] / got['against']:>11.2f}x"
        print(line)


if __name__ == "__main__":
    main()
