"""A scenario's truth holds only the ad channels it declares (or the default clinic's)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from mockpbx.cli import main
from mockpbx.scenarios.engine import build_world
from mockpbx.scenarios.loader import ScenarioError, parse_scenario
from mockpbx.scenarios.truth import clinic_truth

START = datetime(2026, 5, 14, 10, 30, tzinfo=ZoneInfo("Europe/Moscow"))
OWN_NUMBERS = """
name: own_numbers
history_days: 3
numbers:
  - {key: main, type: va, name: Main}
  - {key: pool, type: dynamic_call_tracking, pool_size: 2}
"""


def _channels_and_spend(text: str) -> tuple[list[str], list[object]]:
    world = build_world(parse_scenario(text), seed=1, start=START)
    truth = clinic_truth(world, world.now() - 2 * 86400, world.now())
    return [c["key"] for c in truth["channels"]], truth["ad_spend"]


def test_scenario_with_numbers_and_no_channels__has_no_channels_or_spend() -> None:
    assert _channels_and_spend(OWN_NUMBERS) == ([], [])


def test_scenario_without_numbers__keeps_the_default_clinics_channels() -> None:
    """The default numbers come with the two channels they name (the default scenario)."""
    keys, spend = _channels_and_spend("name: plain\nhistory_days: 3\n")
    assert keys == ["yandex", "seo"]
    assert spend


def test_number_naming_an_undeclared_channel__is_refused() -> None:
    text = OWN_NUMBERS + "  - {key: ads, type: call_tracking, channel: yandex}\n"
    with pytest.raises(ScenarioError, match=r"numbers\[2\]\.channel: no channel 'yandex'"):
        parse_scenario(text, source="x.yaml")


def test_generate__writes_no_ad_spend_for_a_scenario_without_channels(tmp_path: Path) -> None:
    scenario, out = tmp_path / "own.yaml", tmp_path / "truth.jsonl"
    scenario.write_text(OWN_NUMBERS, encoding="utf-8")
    args = ["generate", "--scenario", str(scenario), "--from", "2026-05-13", "--to",
            "2026-05-13", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    kinds = {json.loads(line)["type"] for line in out.read_text(encoding="utf-8").splitlines()}
    assert "call" in kinds
    assert not kinds & {"ad_spend", "channel"}
