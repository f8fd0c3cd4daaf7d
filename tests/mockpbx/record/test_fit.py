"""Fitting a scenario to history, and the distances between histories."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mockpbx.record.fit import FitError, fit_calls, ks_distance, load_calls, tv_distance
from mockpbx.scenarios.model import Scenario

MSK = ZoneInfo("Europe/Moscow")


def test_ks__is_the_largest_gap_between_the_ecdfs() -> None:
    """Equal samples are 0 apart, disjoint ones 1, a half overlap 0.5."""
    assert ks_distance([1, 2, 3], [1, 2, 3]) == 0
    assert ks_distance([1, 2], [5, 6]) == 1
    assert ks_distance([1, 2, 3, 4], [3, 4, 5, 6]) == 0.5


def test_tv__is_half_the_l1_distance_of_the_normalized_counts() -> None:
    """Scale does not matter; disjoint supports are 1 apart."""
    assert tv_distance({"a": 1, "b": 1}, {"a": 10, "b": 10}) == 0
    assert tv_distance({"a": 1}, {"b": 3}) == 1
    assert tv_distance({"a": 3, "b": 1}, {"a": 1, "b": 1}) == pytest.approx(0.25)


def _export(tmp_path: Path) -> Path:
    start = datetime(2026, 5, 11, 9, tzinfo=MSK)
    rows = []
    for day in range(7):
        for n in range(10):
            answered = n % 5 != 0
            rows.append(
                {
                    "provider": "clinic",
                    "provider_call_id": f"{day}-{n}",
                    "started_at": (start + timedelta(days=day, minutes=40 * n)).isoformat(),
                    "direction": "in",
                    "contact_number": f"7916000{day:02d}{n:02d}",
                    "virtual_number": "74950000001" if n % 2 else "74950000002",
                    "answered": answered,
                    "wait_seconds": 8 if answered else 40,
                    "talk_seconds": 60 + 10 * n if answered else 0,
                    "sip_line": f"40{n % 2}",
                }
            )
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_fit__derives_volume_staff_numbers_and_durations_from_an_export(tmp_path: Path) -> None:
    """`pbx-adapter export` lines give a valid scenario with the history's shape."""
    calls, _ = load_calls(_export(tmp_path))
    sc = fit_calls(calls)
    Scenario.model_validate(sc)
    assert sc["volume"]["calls_per_day"] == 10
    assert sc["volume"]["by_hour"][9] > 0
    assert sc["volume"]["by_hour"][3] == 0
    assert [s["sip_lines"][0]["login"] for s in sc["staff"]] == ["400", "401"]
    assert {n["number"]: n["weight"] for n in sc["numbers"]} == {
        "74950000001": 0.5,
        "74950000002": 0.5,
    }
    assert sc["durations"]["talk"]["kind"] == "lognormal"
    assert sc["durations"]["patience"] == {"kind": "uniform", "low": 40, "high": 41}


def test_fit__refuses_a_file_without_calls(tmp_path: Path) -> None:
    """A source with no call rows is an error naming the file."""
    path = tmp_path / "empty.jsonl"
    path.write_text('{"mockpbx_cassette": 1, "face": "clinic"}\n', encoding="utf-8")
    with pytest.raises(FitError, match=r"empty\.jsonl: no calls found"):
        load_calls(path)
