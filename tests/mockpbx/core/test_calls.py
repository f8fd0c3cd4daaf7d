"""core.calls: the builders that lay out every call, and the one leg-id rule."""

from __future__ import annotations

import dataclasses

import pytest

from mockpbx.core.calls import (
    LEGS_PER_CALL,
    Party,
    Target,
    add_transfer,
    build_callback,
    build_incoming,
    build_outgoing,
    build_two_party,
    call_of_leg,
    leg_id,
    renumber,
)
from mockpbx.core.errors import InvalidState, TooManyLegs, WorldError
from mockpbx.core.model import Call, CallState, Employee, LegRole, SipLine

CALL_ID = 3_000_000_001


def _target(emp_id: int, line_id: int) -> Target:
    emp = Employee(emp_id, "Иванова", "Анна", "Петровна", str(100 + emp_id))
    return Target(SipLine(line_id, f"sip{line_id}", emp_id), emp)


TARGETS = [_target(i, 10 + i) for i in range(1, 13)]


def _answered_call(call_id: int = CALL_ID, targets: list[Target] | None = None) -> Call:
    targets = targets or [_target(1, 11)]
    return build_incoming(
        call_id,
        start=1000,
        contact="79161234567",
        virtual_number="74951234567",
        targets=targets,
        answered_by=len(targets) - 1,
        answer_delay=5,
        talk=100,
        ring_seconds=5,
        patience=10**6,
    )


class TestLegIds:
    def test_leg_id__is_the_call_id_times_the_bound_plus_the_index(self) -> None:
        assert leg_id(CALL_ID, 0) == CALL_ID * LEGS_PER_CALL
        assert leg_id(CALL_ID, LEGS_PER_CALL - 1) == CALL_ID * LEGS_PER_CALL + 9

    def test_call_of_leg__inverts_leg_id_for_every_index(self) -> None:
        for call_id in (1, CALL_ID, 2 * CALL_ID + 7):
            for index in range(LEGS_PER_CALL):
                assert call_of_leg(leg_id(call_id, index)) == call_id

    def test_leg_id__past_the_bound_is_a_domain_error(self) -> None:
        """Leg 10 would have the id of the next call's first leg: refused, as InvalidState."""
        with pytest.raises(TooManyLegs, match="at most 10 legs") as caught:
            leg_id(CALL_ID, LEGS_PER_CALL)
        assert isinstance(caught.value, InvalidState)
        assert isinstance(caught.value, WorldError)

    def test_every_builder__numbers_legs_by_the_rule(self) -> None:
        calls = [
            _answered_call(targets=TARGETS[:3]),
            build_outgoing(CALL_ID, start=0, target=TARGETS[0], contact="7916", caller_id="7495",
                           ring=5, talk=30),
            build_callback(CALL_ID, start=0, target=TARGETS[0], contact="7916", caller_id=None,
                           employee_ring=3, employee_answers=True, contact_ring=4,
                           contact_answers=True, talk=30),
        ]  # fmt: skip
        add_transfer(calls[0], TARGETS[5], at=1050, ring=4)
        for call in calls:
            assert [leg.id for leg in call.legs] == [
                leg_id(CALL_ID, i) for i in range(len(call.legs))
            ]

    def test_build_incoming__ringing_ten_lines_at_once_is_too_many_legs(self) -> None:
        with pytest.raises(TooManyLegs):
            build_incoming(CALL_ID, start=0, contact="7916", virtual_number="7495",
                           targets=TARGETS[:10], answered_by=None, answer_delay=5, talk=10,
                           strategy="simultaneous")  # fmt: skip

    def test_build_incoming__a_long_list_answered_early_stays_within_the_bound(self) -> None:
        call = build_incoming(CALL_ID, start=0, contact="7916", virtual_number="7495",
                              targets=TARGETS, answered_by=2, answer_delay=5, talk=10,
                              patience=10**6)  # fmt: skip
        assert len(call.legs) == 4

    def test_add_transfer__past_the_bound_refuses_and_leaves_the_call_as_it_was(self) -> None:
        call = _answered_call(targets=TARGETS[:9])  # the contact's leg + nine: ten legs
        before = dataclasses.asdict(call)
        with pytest.raises(TooManyLegs):
            add_transfer(call, TARGETS[10], at=1060, ring=4)
        assert dataclasses.asdict(call) == before

    def test_renumber__moves_the_legs_and_the_links_between_them(self) -> None:
        call = _answered_call(call_id=0)
        new = add_transfer(call, _target(2, 22), at=1030, ring=4)
        renumber([call], CALL_ID)
        assert call.id == CALL_ID
        assert [leg.id for leg in call.legs] == [leg_id(CALL_ID, i) for i in range(3)]
        assert new.taken_from_leg_id == leg_id(CALL_ID, 1)
        assert dataclasses.asdict(call) == dataclasses.asdict(_transferred(CALL_ID))

    def test_renumber__gives_calls_consecutive_ids_from_the_first(self) -> None:
        calls = [_answered_call(call_id=0), _transferred(0)]
        renumber(calls, CALL_ID)
        assert [c.id for c in calls] == [CALL_ID, CALL_ID + 1]
        assert [leg.id for leg in calls[1].legs] == [leg_id(CALL_ID + 1, i) for i in range(3)]
        assert dataclasses.asdict(calls[1]) == dataclasses.asdict(_transferred(CALL_ID + 1))


def _transferred(call_id: int) -> Call:
    call = _answered_call(call_id=call_id)
    add_transfer(call, _target(2, 22), at=1030, ring=4)
    return call


class TestTransfer:
    def test_add_transfer__hands_the_talk_to_the_new_employee(self) -> None:
        call = _answered_call()
        end_before = call.end_ts
        leg = add_transfer(call, _target(2, 22), at=1030, ring=4)
        assert call.transferred
        assert leg.is_transferred
        assert leg.answer_ts == 1034
        assert leg.employee_id == 2
        first = call.legs[1]
        assert first.end_ts == 1030
        assert first.finish_reason == "transfer_disconnects"
        assert leg.taken_from_leg_id == first.id
        assert call.end_ts == end_before + 4
        contact = next(lg for lg in call.legs if lg.role is LegRole.CONTACT)
        assert contact.end_ts == call.end_ts
        assert call.state(1032) is CallState.TALKING
        assert call.last_answered_leg() is leg

    def test_add_transfer__refuses_a_call_not_in_conversation(self) -> None:
        call = _answered_call()
        with pytest.raises(InvalidState, match="in conversation"):
            add_transfer(call, _target(2, 22), at=1001, ring=4)


class TestTwoParty:
    def test_build_callback__is_a_two_party_call_with_the_employee_first(self) -> None:
        target = TARGETS[0]
        args = {"start": 50, "first_ring": 3, "first_answers": True, "second_ring": 7,
                "second_answers": False, "talk": 60, "contact": "7916", "caller_id": "7495",
                "external_id": "x", "clinic_id": 2}  # fmt: skip
        two = build_two_party(
            CALL_ID,
            first=Party.employee(target, "7495"),
            second=Party(LegRole.CONTACT, "7495", "7916"),
            **args,  # type: ignore[arg-type]
        )
        callback = build_callback(
            CALL_ID, start=50, target=target, contact="7916", caller_id="7495", employee_ring=3,
            employee_answers=True, contact_ring=7, contact_answers=False, talk=60,
            external_id="x", clinic_id=2,
        )  # fmt: skip
        assert dataclasses.asdict(two) == dataclasses.asdict(callback)

    @pytest.mark.parametrize(
        ("first", "reason"),
        [(LegRole.EMPLOYEE, "no_success_operator_call"),
         (LegRole.CONTACT, "no_success_subscriber_call")],
    )  # fmt: skip
    def test_a_party_that_does_not_answer__ends_the_call_with_its_roles_reason(
        self, first: LegRole, reason: str
    ) -> None:
        emp = Party.employee(TARGETS[0], "7495")
        ct = Party(LegRole.CONTACT, "7495", "7916")
        one, two = (emp, ct) if first is LegRole.EMPLOYEE else (ct, emp)
        common = {"start": 0, "first_ring": 3, "second_ring": 5, "talk": 9, "contact": "7916",
                  "caller_id": None}  # fmt: skip
        missed = build_two_party(CALL_ID, first=one, second=two, first_answers=False,
                                 second_answers=True, **common)  # type: ignore[arg-type]  # fmt: skip
        assert (len(missed.legs), missed.finish_reason, missed.end_ts) == (1, reason, 3)
        other = build_two_party(CALL_ID, first=two, second=one, first_answers=True,
                                second_answers=False, **common)  # type: ignore[arg-type]  # fmt: skip
        assert (len(other.legs), other.finish_reason, other.end_ts) == (2, reason, 8)
        assert other.answer_ts is None

    def test_second_takes_over__links_the_second_leg_to_the_first(self) -> None:
        call = build_two_party(
            CALL_ID, start=0, first=Party(LegRole.CONTACT, "7495", "7916"),
            second=Party.employee(TARGETS[0], "7916"), first_ring=4, first_answers=True,
            second_ring=2, second_answers=True, talk=30, contact="7916", caller_id=None,
            second_takes_over=True,
        )  # fmt: skip
        assert call.legs[1].taken_from_leg_id == call.legs[0].id
        assert (call.answer_ts, call.end_ts) == (6, 36)
