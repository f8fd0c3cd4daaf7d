"""The clinic-side truth is deterministic, lazy, and consistent with the calls."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from mockpbx.core.world import World
from mockpbx.providers.registry import FACE_IDS
from mockpbx.scenarios.engine import build_world
from mockpbx.scenarios.loader import load_scenario
from mockpbx.scenarios.truth import calls_truth, clinic_truth

MSK = ZoneInfo("Europe/Moscow")
START = datetime(2026, 5, 14, 10, 30, tzinfo=MSK)
WEEK = 7 * 86400


def _world(name: str = "default", seed: int = 1) -> World:
    return build_world(load_scenario(name), seed=seed, start=START)


@pytest.fixture(scope="module")
def world() -> World:
    return _world()


@pytest.fixture(scope="module")
def truth(world: World) -> dict[str, Any]:
    return clinic_truth(world, world.now() - WEEK, world.now())


@pytest.fixture(scope="module")
def calls(world: World) -> dict[int, dict[str, Any]]:
    return {
        c["id"]: c for c in calls_truth(world, world.now() - WEEK - 86400, world.now(), FACE_IDS)
    }


class TestConsistency:
    def test_every_booking__refers_to_a_real_call_answered_by_that_admin(
        self, truth: dict[str, Any], calls: dict[int, dict[str, Any]]
    ) -> None:
        assert truth["appointments"]
        for appointment in truth["appointments"]:
            call = calls[appointment["call_id"]]
            assert call["answer"] is not None
            answered = {leg["employee_id"] for leg in call["legs"] if leg["answer"]}
            assert appointment["administrator_id"] in answered
            assert appointment["booked_at"] == call["end"]
            assert appointment["phone"] == call["contact_number"]

    def test_new_and_existing__follow_the_phone(self, truth: dict[str, Any]) -> None:
        base = {p["phone"]: p["id"] for p in truth["patients"] if not p["new"]}
        for comment in truth["comments"]:
            if comment["phone"] in base:
                assert comment["patient_id"] == base[comment["phone"]]
                assert not comment["new_caller"]
                assert comment["call_type"].startswith("Пациент")

    def test_first_bookings__create_patients_with_the_callers_phone(
        self, truth: dict[str, Any]
    ) -> None:
        patients = {p["id"]: p for p in truth["patients"]}
        firsts = [a for a in truth["appointments"] if a["first_visit"]]
        assert firsts
        for a in firsts:
            patient = patients[a["patient_id"]]
            assert patient["new"]
            assert patient["phone"] == a["phone"]
            assert patient["since"] == a["booked_at"][:10]

    def test_visits__belong_to_known_patients_and_doctors(self, truth: dict[str, Any]) -> None:
        patients = {p["id"] for p in truth["patients"]}
        doctors = {d["id"] for d in truth["doctors"]}
        assert truth["visits"]
        for visit in truth["visits"]:
            assert visit["doctor_id"] in doctors
            assert visit["sum"] >= 0
            assert (visit["sum"] > 0) == visit["completed"]
            if visit["appointment_id"] is None:
                assert visit["patient_id"] in patients

    def test_nothing_from_the_future(self, world: World, truth: dict[str, Any]) -> None:
        now = world.local(world.now()).isoformat()
        assert all(v["start"] <= now for v in truth["visits"])
        assert all(a["booked_at"] <= now for a in truth["appointments"])

    def test_comments__only_for_answered_calls(
        self, truth: dict[str, Any], calls: dict[int, dict[str, Any]]
    ) -> None:
        assert truth["comments"]
        assert all(calls[c["call_id"]]["answer"] for c in truth["comments"])


class TestDeterminism:
    def test_same_seed__same_bytes(self) -> None:
        a, b = _world(seed=5), _world(seed=5)
        period = (START.timestamp() - WEEK, START.timestamp())
        ta = orjson.dumps(clinic_truth(a, int(period[0]), int(period[1])))
        tb = orjson.dumps(clinic_truth(b, int(period[0]), int(period[1])))
        assert ta == tb

    def test_days__do_not_depend_on_query_order(self) -> None:
        a, b = _world(seed=6), _world(seed=6)
        now = a.now()
        clinic_truth(b, now - 86400, now)  # materialize the last day first
        assert clinic_truth(a, now - WEEK, now) == clinic_truth(b, now - WEEK, now)

    def test_scripted_comment__is_what_the_scenario_says(self) -> None:
        world = build_world(
            load_scenario("clinic_day"), seed=1, start=START.replace(hour=0, minute=0)
        )
        world.clock.advance(86400)
        truth = clinic_truth(world, world.now() - 86400, world.now())
        at = datetime(2026, 5, 14, 12, 30, tzinfo=MSK).isoformat()
        comment = next(c for c in truth["comments"] if c["call_start"] == at)
        assert comment["call_type"] == "Новый клиент. Хочет записаться"
        assert any(a["call_id"] == comment["call_id"] for a in truth["appointments"])
