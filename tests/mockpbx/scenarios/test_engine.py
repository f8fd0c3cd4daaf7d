"""The generator without HTTP: what a scenario's days contain, lazily and deterministically."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mockpbx.core.model import CallKind, LegRole
from mockpbx.core.world import World
from mockpbx.scenarios.engine import Engine, build_world, engine_for
from mockpbx.scenarios.loader import load_scenario
from mockpbx.scenarios.model import Scenario

MSK = ZoneInfo("Europe/Moscow")
DAY = date(2026, 5, 14)  # a Thursday
START = datetime(2026, 5, 14, 0, 0, tzinfo=MSK)


@pytest.fixture(scope="module")
def clinic_day() -> World:
    world = build_world(load_scenario("clinic_day"), seed=1, start=START)
    world.clock.advance(86400)
    return world


def _day(world: World) -> list:  # type: ignore[type-arg]
    return world.history(world.day_start(DAY), world.day_start(DAY) + 86400)


class TestClinicDay:
    def test_morning_peak__outweighs_the_lunch_dip(self, clinic_day: World) -> None:
        hours = [clinic_day.local(c.start_ts).hour for c in _day(clinic_day)
                 if c.kind is CallKind.INCOMING]  # fmt: skip
        assert hours.count(10) > 2 * hours.count(13)

    def test_after_hours_calls__reach_no_one(self, clinic_day: World) -> None:
        late = [c for c in _day(clinic_day) if c.kind is CallKind.INCOMING
                and clinic_day.local(c.start_ts).hour >= 20]  # fmt: skip
        assert late
        assert all(c.finish_reason == "no_operation" and c.answer_ts is None for c in late)

    def test_missed_calls__are_called_back_by_an_administrator(self, clinic_day: World) -> None:
        calls = {c.id: c for c in _day(clinic_day)}
        callbacks = [c for c in calls.values() if c.callback_of is not None]
        assert callbacks
        for cb in callbacks:
            missed = calls[cb.callback_of]  # type: ignore[index]
            assert missed.answer_ts is None
            assert cb.contact_number == missed.contact_number
            assert cb.start_ts > missed.end_ts

    def test_transfers__hand_the_call_to_another_employee(self, clinic_day: World) -> None:
        transferred = [c for c in _day(clinic_day) if c.transferred]
        assert transferred
        for call in transferred:
            new = next(leg for leg in call.legs if leg.is_transferred)
            assert new.taken_from_leg_id in {leg.id for leg in call.legs}

    def test_scripted_calls__happen_at_their_exact_times(self, clinic_day: World) -> None:
        at = int(datetime(2026, 5, 14, 12, 30, tzinfo=MSK).timestamp())
        call = next(c for c in _day(clinic_day) if c.start_ts == at)
        assert call.contact_number == "79251112233"
        assert call.transferred
        engine: Engine = clinic_day.meta["engine"]
        assert engine.scripted_by_call[call.id].topic == "Имплантация"

    def test_answer_rate__is_per_administrator(self) -> None:
        sc = Scenario(staff=[{"key": "a", "answer_rate": 1.0}, {"key": "b", "answer_rate": 0.0}],
                      shares={"transfers": 0})  # fmt: skip
        world = build_world(sc, seed=2, start=START + timedelta(days=1))
        answered = {leg.employee_id for c in world.history(world.now() - 7 * 86400, world.now())
                    if c.kind is CallKind.INCOMING for leg in c.answered_legs()}  # fmt: skip
        assert answered == {world.employees[0].id}


class TestCallers:
    def test_repeat_callers__call_again_the_same_day(self, clinic_day: World) -> None:
        incoming = [c.contact_number for c in _day(clinic_day) if c.kind is CallKind.INCOMING]
        assert len(set(incoming)) < len(incoming)

    def test_new_callers__never_reuse_a_number_across_days(self) -> None:
        engine = engine_for(load_scenario("network_year"), 1)
        seen: dict[str, date] = {}
        base = {p for c in load_scenario("network_year").clinics
                for p in engine.plan(c.id).patients}  # fmt: skip
        for i in range(20):
            day = DAY - timedelta(days=i)
            for call in engine.day(day):
                phone = call.contact_number
                if phone not in base and call.kind is CallKind.INCOMING:
                    assert seen.setdefault(phone, day) == day


class TestNetwork:
    def test_clinics__keep_their_own_working_hours_in_their_timezone(self) -> None:
        world = build_world(load_scenario("network_year"), seed=1, start=START)
        novosibirsk = ZoneInfo("Asia/Novosibirsk")
        calls = world.history(world.now() - 86400 * 3, world.now())
        nsk = [c for c in calls if c.clinic_id == 10 and c.kind is CallKind.INCOMING
               and c.answer_ts is not None]  # fmt: skip
        assert nsk
        assert all(9 <= datetime.fromtimestamp(c.start_ts, novosibirsk).hour < 21 for c in nsk)

    def test_five_years__are_queryable_without_generating_them(self) -> None:
        sc = load_scenario("network_year").model_copy(update={"history_days": 5 * 365})
        world = build_world(sc, seed=1, start=START)
        old = world.day_start(DAY - timedelta(days=4 * 365))
        calls = world.history(old, old + 86400)
        assert len(calls) > 100
        assert len(world.store.loaded_days()) == 1

    def test_dynamic_pool__carries_utm_and_referrer(self) -> None:
        world = build_world(load_scenario("ad_campaign"), seed=1, start=START)
        tracked = [c for c in world.history(world.now() - 86400, world.now())
                   if c.source == "dynamic_call_tracking"]  # fmt: skip
        assert tracked
        keys = {c.visit.channel_key for c in tracked if c.visit is not None}
        assert len(keys) >= 3
        paid = [c.visit for c in tracked if c.visit and c.visit.utm_medium == "cpc"]
        assert all(v.referrer and v.utm_source for v in paid)


class TestMidnight:
    def test_a_call_straddles_midnight_and_arrives_late(self) -> None:
        start = datetime(2026, 5, 14, 23, 30, tzinfo=MSK)
        world = build_world(load_scenario("midnight"), seed=1, start=start)
        at = int(datetime(2026, 5, 14, 23, 55, tzinfo=MSK).timestamp())
        call = next(c for c in world.store.between(at, at + 1))
        assert world.local(call.end_ts).date() == DAY + timedelta(days=1)
        world.clock.advance(call.end_ts - world.now())
        assert call not in world.history(at, at + 1)
        world.clock.advance(1800)
        assert call in world.history(at, at + 1)


class TestCache:
    def test_engine__is_shared_between_resets(self) -> None:
        sc = load_scenario("default")
        assert engine_for(sc, 4) is engine_for(sc, 4)
        assert engine_for(sc, 4) is not engine_for(sc, 5)

    def test_worlds__do_not_share_mutable_state(self) -> None:
        sc = load_scenario("default")
        a = build_world(sc, seed=4, start=START)
        b = build_world(sc, seed=4, start=START)
        a.employees[0].status = "away"
        assert b.employees[0].status == "available"
        assert (
            a.store.between(a.now(), a.now() + 86400)[0]
            is not b.store.between(b.now(), b.now() + 86400)[0]
        )


def test_contact_leg__is_always_first() -> None:
    world = build_world(Scenario(), seed=9, start=START)
    for call in world.store.between(world.now(), world.now() + 86400):
        assert call.legs[0].role is (
            LegRole.CONTACT if call.kind is CallKind.INCOMING else LegRole.EMPLOYEE
        )


class TestScripted:
    def test_number_key__is_the_number_the_contact_dials(self) -> None:
        sc = Scenario(scripted=[{"at": "11:00", "number": "yandex", "contact": "79250000042"}])
        world = build_world(sc, seed=1, start=START)
        at = int(datetime(2026, 5, 14, 11, 0, tzinfo=MSK).timestamp())
        call = next(c for c in world.store.between(at, at + 1))
        yandex = next(n for n in world.numbers if n.channel == "yandex")
        assert call.virtual_number == yandex.number
        assert call.visit is not None

    def test_clinic_without_numbers__skips_its_scripted_calls(self) -> None:
        sc = Scenario(
            clinics=[{"id": 1}, {"id": 2}],
            numbers=[{"key": "main"}],
            scripted=[{"at": "11:00", "clinic": 2, "contact": "79250000042"}],
        )
        world = build_world(sc, seed=1, start=START)
        at = int(datetime(2026, 5, 14, 11, 0, tzinfo=MSK).timestamp())
        assert all(c.contact_number != "79250000042" for c in world.store.between(at, at + 1))

    def test_outgoing__is_dialled_by_the_named_employee(self) -> None:
        sc = Scenario(scripted=[{"at": "12:00", "direction": "out", "answered_by": "admin2",
                                 "contact": "79250000043", "talk": 60}])  # fmt: skip
        world = build_world(sc, seed=1, start=START)
        at = int(datetime(2026, 5, 14, 12, 0, tzinfo=MSK).timestamp())
        call = next(c for c in world.store.between(at, at + 1) if c.contact_number == "79250000043")
        assert call.kind is CallKind.OUTGOING
        assert call.legs[0].employee_id == world.employees[1].id
        assert call.talk_duration == 60
