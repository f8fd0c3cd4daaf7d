"""core.calls.add_transfer: a planned transfer laid out like a live World.transfer."""

from __future__ import annotations

import pytest

from mockpbx.core.calls import Target, add_transfer, build_incoming
from mockpbx.core.model import Call, CallState, Employee, LegRole, SipLine


def _target(emp_id: int, line_id: int) -> Target:
    emp = Employee(emp_id, "Иванова", "Анна", "Петровна", str(100 + emp_id))
    return Target(SipLine(line_id, f"sip{line_id}", emp_id), emp)


def _answered_call() -> Call:
    return build_incoming(
        3_000_000_001,
        start=1000,
        contact="79161234567",
        virtual_number="74951234567",
        targets=[_target(1, 11)],
        answered_by=0,
        answer_delay=5,
        talk=100,
    )


def test_add_transfer__hands_the_talk_to_the_new_employee() -> None:
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


def test_add_transfer__refuses_a_call_not_in_conversation() -> None:
    call = _answered_call()
    with pytest.raises(ValueError, match="in conversation"):
        add_transfer(call, _target(2, 22), at=1001, ring=4)
