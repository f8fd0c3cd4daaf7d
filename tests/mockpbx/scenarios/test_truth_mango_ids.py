"""The truth names each call's legs by the ids the Mango face really shows."""

from __future__ import annotations

from mockpbx.core.model import CallKind
from mockpbx.face_ids import FACE_IDS
from mockpbx.providers.mango.directory import Lookup
from mockpbx.providers.mango.legs import mango_legs
from mockpbx.scenarios.engine import build_world
from mockpbx.scenarios.model import Scenario
from mockpbx.scenarios.truth import calls_truth
from mockpbx.testing import DEFAULT_START


def test_truth_mango_call_ids__match_the_legs_the_mango_face_renders() -> None:
    world = build_world(Scenario(), seed=4, start=DEFAULT_START)
    now = world.now()
    truth = {t["id"]: t for t in calls_truth(world, now - 3 * 86400, now, FACE_IDS)}
    calls = world.history(now - 3 * 86400, now)
    assert any(c.kind is CallKind.OUTGOING for c in calls)
    look = Lookup(world)
    for call in calls:
        shown = [leg.call_id for leg in mango_legs(call, look, steps=False)]
        assert truth[call.id]["ids"]["mango"]["call_ids"] == shown, call.kind
