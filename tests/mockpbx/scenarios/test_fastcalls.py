"""The engine's fast call builders agree with the core builders field for field."""

from __future__ import annotations

import dataclasses
import random

import pytest

from mockpbx.core.calls import Target, build_incoming, build_outgoing
from mockpbx.core.model import Call, Employee, SipLine
from mockpbx.scenarios.fastcalls import fast_incoming, fast_outgoing

TARGETS = [
    Target(SipLine(10 + i, f"70000{i}", i + 1), Employee(i + 1, "Петров", "Иван", "", str(i)))
    for i in range(4)
]


def _fields(call: Call) -> dict[str, object]:
    return dataclasses.asdict(call)


@pytest.mark.parametrize("seed", range(40))
def test_fast_incoming__matches_build_incoming(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(25):
        targets = TARGETS[: rnd.randrange(0, 5)]
        args = {
            "start": 1_000_000 + rnd.randrange(1000),
            "contact": "79250000000",
            "virtual_number": "74950000000",
            "targets": targets,
            "answered_by": rnd.choice([None, *range(len(targets))]),
            "answer_delay": rnd.randrange(0, 40),
            "talk": rnd.randrange(0, 300),
            "strategy": rnd.choice(["sequential", "simultaneous"]),
            "ring_seconds": rnd.randrange(5, 30),
            "patience": rnd.randrange(1, 120),
            "contact_hangs_up": rnd.random() < 0.5,
            "source": "va",
            "visit": None,
            "clinic_id": 2,
            "recorded": rnd.random() < 0.5,
            "closed": rnd.random() < 0.1,
        }
        assert _fields(fast_incoming(**args)) == _fields(build_incoming(0, **args))  # type: ignore[arg-type]


@pytest.mark.parametrize("talk", [None, 0, 1, 95])
def test_fast_outgoing__matches_build_outgoing(talk: int | None) -> None:
    args = {
        "start": 5000,
        "target": TARGETS[1],
        "contact": "79250000000",
        "caller_id": "74950000000",
        "ring": 12,
        "talk": talk,
        "clinic_id": 1,
        "recorded": True,
    }
    assert _fields(fast_outgoing(**args)) == _fields(build_outgoing(0, **args))  # type: ignore[arg-type]
