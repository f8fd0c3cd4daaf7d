"""The truth names each call by the ids the faces really show (Mango legs, UIS, clinic)."""

from __future__ import annotations

import base64

from mockpbx.core.model import CallKind
from mockpbx.providers.mango.directory import Lookup
from mockpbx.providers.mango.legs import mango_legs
from mockpbx.providers.registry import FACE_IDS
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


def test_truth_ids__name_the_call_as_each_face_does_in_the_documented_order() -> None:
    """`ids` lists uis, mango, clinic (FACE_IDS); UIS shows the world's id, clinic none."""
    world = build_world(Scenario(), seed=4, start=DEFAULT_START)
    now = world.now()
    truth = calls_truth(world, now - 86400, now, FACE_IDS)
    recorded = next(t for t in truth if t["has_recording"])
    ids = recorded["ids"]
    assert list(ids) == ["uis", "mango", "clinic"]
    assert ids["uis"] == {"call_session_id": recorded["id"], "communication_id": recorded["id"]}
    assert ids["clinic"] is None
    entry = base64.b64encode(f"{recorded['id']}:101".encode()).decode()
    record = base64.b64encode(f"1:{recorded['id']}:5009:1".encode()).decode()
    assert (ids["mango"]["entry_id"], ids["mango"]["recording_id"]) == (entry, record)
