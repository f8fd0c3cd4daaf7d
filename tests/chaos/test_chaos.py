"""The chaos suite, bounded for CI: a fixed set of generated fault schedules.

Each seed is a schedule of `tests/chaos/engine.py` (faults of every kind,
SIGKILLs of `pbx-adapter sync` at random moments including its store
creation, clock jumps across midnight, calls more than a day late) played
against a real mockpbx over TCP and a real store; after a final clean sync
nothing is lost, duplicated or wrong, nothing is cached for today, every
store opened after every kill, and every run that exited 0 left its days
complete. A failure names the seed; `python bench/soak_chaos.py --seed N`
replays it. The soak (`bench/soak_chaos.py`) runs a thousand of them.

Marked `chaos` (and `slow`): `pytest -m chaos` runs only this suite.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mockpbx.testing import MockPBXServer
from tests.chaos.engine import KINDS, generate, run_schedule

pytestmark = [pytest.mark.chaos, pytest.mark.slow]

# Chosen so that together they hold every fault kind, both faces, both stores, kills
# (three within the first 0.1 s: the store is being created), jumps across midnight.
SEEDS = (100, 148, 21, 7, 84, 109, 34, 2)


def test_the_ci_schedules__cover_every_fault_kind_face_store_and_step() -> None:
    schedules = [generate(seed) for seed in SEEDS]
    kinds = {f["kind"] for s in schedules for f in s.faults}
    assert kinds == set(KINDS)
    assert {s.provider for s in schedules} == {"uis", "mango"}
    assert {s.store for s in schedules} == {"sqlite", "postgresql"}
    steps = [step for s in schedules for step in s.steps]
    assert any(action == "kill" and at < 0.1 for action, at in steps)
    assert any(action == "jump" and hours >= 13.5 for action, hours in steps)  # from 10:30


def test_a_seed__replays_the_same_schedule() -> None:
    assert generate(417) == generate(417)
    assert generate(417) != generate(418)


@pytest.fixture(scope="module")
def pbx() -> Iterator[MockPBXServer]:
    with MockPBXServer() as server:
        yield server


@pytest.fixture(scope="module")
def pg_admin(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("pg_server"))


@pytest.mark.parametrize("seed", SEEDS)
def test_schedule__loses_duplicates_and_bricks_nothing(
    seed: int, pbx: MockPBXServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    schedule = generate(seed)
    pg = request.getfixturevalue("pg_admin") if schedule.store == "postgresql" else None
    outcome = run_schedule(schedule, tmp_path, pg, pbx)
    assert outcome.ok, f"{outcome.replay()}\n" + "\n".join(outcome.problems)
    assert outcome.runs_ok >= 1
