"""Generated calls stay byte-identical: a pinned digest of days of every built-in scenario.

The generator's hot loop is tuned for speed (daygen.py, fastcalls.py); any
change there must leave the calls of a scenario and seed exactly as they were.
The digest covers every field of every call, leg and visit (their reprs) of a
few days of each built-in, including DST-change days and a scenario with fixed
durations. If a change is *meant* to alter generation, update GOLDEN and say so
in the commit.
"""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from mockpbx.scenarios.engine import Engine
from mockpbx.scenarios.loader import builtin_names, load_scenario
from mockpbx.scenarios.model import Scenario

ANCHOR = date(2026, 5, 14)
DAYS = (date(2026, 5, 14), date(2026, 5, 13), date(2026, 3, 29), date(2025, 10, 26))
FIXED = Scenario(
    durations={"answer_delay": {"kind": "fixed", "median": 7},
               "talk": {"kind": "uniform", "low": 10, "high": 500},
               "patience": {"kind": "fixed", "median": 40}},
    shares={"transfers": 0.3, "late_rows": 0.2},
)  # fmt: skip
GOLDEN = {
    "ad_campaign": "d54091a522a47719b274600fdede9378",
    "clinic_day": "81d7fded3e056adf9e5ed9e2a2b887fe",
    "default": "732ea910b3a1f2fc116019a91ea4807c",
    "faults": "732ea910b3a1f2fc116019a91ea4807c",
    "midnight": "b63daf56b12e45fb90bcd1fbf335d640",
    "network_year": "dbb11d2592e9b5264363eaa70f7d08dc",
    "fixed-durations": "442da114d7fe85132bb95ae7a160a9a7",
}


def _digest(scenario: Scenario, seed: int) -> str:
    engine = Engine(scenario, seed, anchor=ANCHOR)
    h = hashlib.sha256()
    for day in DAYS:
        for call in engine.day(day):
            h.update(repr(call).encode())
    h.update(repr(sorted(engine.scripted_by_call.items())).encode())
    return h.hexdigest()[:32]


def test_golden__covers_every_builtin() -> None:
    assert set(builtin_names()) <= set(GOLDEN)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_generated_days__are_byte_identical_to_the_pinned_digest(name: str) -> None:
    scenario = FIXED if name == "fixed-durations" else load_scenario(name)
    assert _digest(scenario, 3) == GOLDEN[name]
