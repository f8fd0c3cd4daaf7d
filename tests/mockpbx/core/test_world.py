"""The world without HTTP: generation, visibility by the clock, live actions."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mockpbx.core import actions
from mockpbx.core.errors import CallNotFound, LegNotFound
from mockpbx.core.model import CallKind, CallState, LegRole
from mockpbx.core.store import CallIds, CallStore
from mockpbx.core.world import World
from mockpbx.scenarios.engine import build_world
from mockpbx.scenarios.model import Scenario

MSK = ZoneInfo("Europe/Moscow")
START = datetime(2026, 5, 14, 10, 30, tzinfo=MSK)


@pytest.fixture
def world() -> World:
    return build_world(Scenario(), seed=3, start=START)


def _dump(world: World) -> list[tuple[object, ...]]:
    calls = world.history(world.now() - 7 * 86400, world.now())
    return [(c.id, c.start_ts, c.end_ts, c.contact_number, c.finish_reason) for c in calls]


class TestDirectory:
    def test_default_clinic__has_three_administrators_with_sip_lines(self, world: World) -> None:
        admins = [e for e in world.employees if e.role == "administrator"]
        assert len(admins) == 3
        assert all(world.lines_of(e.id) for e in admins)

    def test_default_clinic__has_a_main_and_two_tracking_numbers(self, world: World) -> None:
        assert sorted(n.type.value for n in world.numbers) == ["call_tracking"] * 2 + ["va"]

    def test_names__are_russian(self, world: World) -> None:
        assert all(any("а" <= ch <= "я" for ch in e.full_name.lower()) for e in world.employees)


class TestDeterminism:
    def test_same_seed__gives_the_same_history(self) -> None:
        a = build_world(Scenario(), seed=5, start=START)
        b = build_world(Scenario(), seed=5, start=START)
        assert _dump(a) == _dump(b)
        assert [e.full_name for e in a.employees] == [e.full_name for e in b.employees]

    def test_other_seed__gives_another_history(self) -> None:
        a = build_world(Scenario(), seed=5, start=START)
        b = build_world(Scenario(), seed=6, start=START)
        assert _dump(a) != _dump(b)

    def test_days__do_not_depend_on_the_order_they_are_materialized_in(self) -> None:
        a = build_world(Scenario(), seed=5, start=START)
        b = build_world(Scenario(), seed=5, start=START)
        day = 86400
        b.history(b.now() - 2 * day, b.now())  # materialize the newest days first
        assert _dump(a) == _dump(b)


class TestHistory:
    def test_history__covers_the_last_30_days_only(self, world: World) -> None:
        old = world.history(world.now() - 40 * 86400, world.now() - 31 * 86400)
        recent = world.history(world.now() - 30 * 86400, world.now())
        assert old == []
        assert len(recent) > 300

    def test_history__shows_no_future_and_no_unfinished_calls(self, world: World) -> None:
        now = world.now()
        calls = world.history(now - 86400, now + 86400)
        assert calls
        assert all(c.end_ts <= now for c in calls)

    def test_calls_appear_as_the_clock_moves(self, world: World) -> None:
        day_end = world.day_start(world.today()) + 86400
        before = len(world.history(world.now() - 3600, day_end))
        world.clock.advance(4 * 3600)
        after = len(world.history(world.now() - 8 * 3600, day_end))
        assert after > before

    def test_call_state__is_derived_from_the_clock(self, world: World) -> None:
        calls = world.history(world.now() - 86400, world.now())
        talked = next(c for c in calls if c.answer_ts is not None)
        assert talked.state(talked.start_ts - 1) is None
        assert talked.state(talked.answer_ts - 1) in (CallState.RINGING, CallState.APPEARED)
        assert talked.state(talked.answer_ts) is CallState.TALKING
        assert talked.state(talked.end_ts) is CallState.FINISHED
        missed = next(c for c in calls if c.answer_ts is None)
        assert missed.state(missed.end_ts) is CallState.MISSED

    def test_late_rows__reach_history_only_after_their_delay(self) -> None:
        sc = Scenario(shares={"late_rows": 1.0, "late_rows_delay": 900})
        world = build_world(sc, seed=1, start=START)
        call = world.store.between(world.now() + 1, world.now() + 3 * 3600)[0]
        world.clock.advance(call.end_ts - world.now())
        visible = world.history(call.start_ts, call.start_ts + 1)
        assert call not in visible
        world.clock.advance(900)
        assert call in world.history(call.start_ts, call.start_ts + 1)


class TestActions:
    def test_callback__rings_the_employee_first_then_the_contact(self, world: World) -> None:
        emp = world.employees[0]
        call = actions.start_callback(world, emp.id, "79161234567")
        assert call.kind is CallKind.CALLBACK
        first, second = call.legs
        assert first.role is LegRole.EMPLOYEE
        assert first.employee_id == emp.id
        assert second.role is LegRole.CONTACT
        assert second.called_number == "79161234567"
        assert second.start_ts >= first.answer_ts  # type: ignore[operator]
        assert call in world.live_calls()

    def test_callback__finishes_into_history_with_a_recording(self, world: World) -> None:
        call = actions.start_callback(world, world.employees[1].id, "79161234567")
        world.clock.advance(call.end_ts - world.now())
        assert call in world.history(call.start_ts, call.start_ts + 1)
        if call.answer_ts is not None:
            assert world.recording_hash(call) is not None

    def test_release__ends_every_leg_now(self, world: World) -> None:
        call = actions.start_callback(world, world.employees[0].id, "79161234567")
        world.clock.advance(1)
        actions.release_call(world, call.id)
        assert call.end_ts == world.now()
        assert all(leg.end_ts <= world.now() for leg in call.legs)
        assert call not in world.live_calls()
        with pytest.raises(CallNotFound):
            actions.release_call(world, call.id)

    def test_disconnect_leg__unknown_leg_is_refused(self, world: World) -> None:
        call = actions.start_callback(world, world.employees[0].id, "79161234567")
        with pytest.raises(LegNotFound):
            actions.disconnect_leg(world, call.id, 12345)

    def test_transfer__adds_a_transferred_leg_to_a_talking_call(self, world: World) -> None:
        call = actions.start_callback(world, world.employees[0].id, "79161234567")
        while call.answer_ts is None:  # find a callback the contact answers
            call = actions.start_callback(world, world.employees[0].id, "79161234567")
        world.clock.advance(call.answer_ts - world.now() + 1)
        leg = actions.transfer(world, call.id, world.employees[2].id)
        assert leg.is_transferred
        assert leg.employee_id == world.employees[2].id
        assert call.transferred


class TestStore:
    def test_ids__encode_their_day(self) -> None:
        day = START.date()
        assert CallIds.day_of(CallIds.make(day, 17)) == day

    def test_page__equals_a_slice_of_between(self, world: World) -> None:
        store: CallStore = world.store
        lo, hi = world.now() - 20 * 86400, world.now()
        everything = store.between(lo, hi)
        assert store.page(lo, hi, 150, 40) == everything[150:190]
        assert store.count_between(lo, hi) == len(everything)

    def test_get__finds_a_call_of_a_day_never_queried(self, world: World) -> None:
        other = build_world(Scenario(), seed=3, start=START)
        some = other.history(other.now() - 10 * 86400, other.now() - 9 * 86400)[0]
        assert world.store.get(some.id) is not None


def test_local_day__starts_at_local_midnight(world: World) -> None:
    start = world.day_start(world.today())
    assert world.local(start).hour == 0
    assert world.local(start + 86400 - 1).date() == world.today()
    assert world.local(start).utcoffset() == timedelta(hours=3)


def test_store__a_future_day_queried_early_is_generated_once_it_is_today(world: World) -> None:
    """Querying tomorrow before midnight must not freeze tomorrow as an empty day."""
    tomorrow = world.day_start(world.today()) + 86400
    assert world.store.between(tomorrow, tomorrow + 86400) == []
    world.clock.advance(tomorrow + 12 * 3600 - world.now())
    assert world.store.between(tomorrow, tomorrow + 86400) != []


def test_store__far_off_queries_do_not_grow_memory(world: World) -> None:
    days_before = len(world.store.loaded_days())
    world.store.between(world.now() - 3000 * 86400, world.now() - 2000 * 86400)
    assert len(world.store.loaded_days()) == days_before


def test_store__a_period_of_centuries_costs_only_the_days_with_history(world: World) -> None:
    """A huge period walks only the days that can hold calls (no per-day loop over ages)."""
    from datetime import UTC
    from datetime import datetime as dt

    lo = int(dt(1971, 1, 1, tzinfo=UTC).timestamp())
    hi = int(dt(2400, 1, 1, tzinfo=UTC).timestamp())
    everything = world.store.between(lo, hi)
    assert everything == world.store.between(world.now() - 40 * 86400, world.now() + 86400)
    assert world.store.count_between(lo, hi) == len(everything)


def test_store__without_a_loader_walks_only_stored_days() -> None:
    store = CallStore("Europe/Moscow")
    assert store.between(0, 2**33) == []
    w = build_world(Scenario(), seed=3, start=START)
    calls = w.history(w.now() - 3 * 86400, w.now())
    store.add_many(list(calls))
    assert store.between(0, 2**33) == calls
