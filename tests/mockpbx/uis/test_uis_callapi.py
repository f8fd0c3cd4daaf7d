"""Call API v4.0 through the app: callbacks, simple calls, list.calls, release, disconnect."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from mockpbx.providers.uis.options import UisOptions
from mockpbx.state import ServerState

if TYPE_CHECKING:
    from tests.mockpbx.uis.conftest import Rpc


CONTACT = "79161234567"


@pytest.fixture(autouse=True)
def _everyone_answers(state: ServerState) -> None:
    state.world.meta["callback"] = {"employee_answer_rate": 1.0, "contact_answer_rate": 1.0}


def _number(state: ServerState) -> str:
    return state.world.numbers[0].number


async def _callback(call: Rpc, state: ServerState, **extra: Any) -> int:
    employee = state.world.employees[0]
    params: dict[str, Any] = {
        "first_call": "employee",
        "virtual_phone_number": _number(state),
        "contact": CONTACT,
        "employee": {"id": employee.id},
        **extra,
    }
    result = await call.ok("start.employee_call", **params)
    session: int = result["data"]["call_session_id"]
    return session


async def _live(call: Rpc, session: int) -> dict[str, Any] | None:
    rows = (await call.ok("list.calls"))["data"]
    return next((r for r in rows if r["call_session_id"] == session), None)


class TestEmployeeCall:
    async def test_callback__rings_the_employee_line_first(
        self, call: Rpc, state: ServerState
    ) -> None:
        session = await _callback(call, state)
        live = await _live(call, session)
        assert live is not None
        employee = state.world.employees[0]
        line = state.world.lines_of(employee.id)[0]
        (leg,) = live["legs"]
        assert leg["called_phone_number"] == line.login
        assert leg["is_operator"] is True
        assert leg["employee_id"] == employee.id
        assert leg["employee_full_name"] == employee.full_name
        assert leg["state"] == "Дозвон"

    async def test_callback__then_the_contact_and_they_talk(
        self, call: Rpc, state: ServerState
    ) -> None:
        session = await _callback(call, state)
        c = state.world.get_call(session)
        assert c.answer_ts is not None
        state.world.clock.advance(c.legs[1].start_ts - state.world.now())
        live = await _live(call, session)
        assert live is not None
        assert [leg["state"] for leg in live["legs"]] == ["Разговор", "Дозвон"]
        state.world.clock.advance(c.answer_ts - state.world.now())
        live = await _live(call, session)
        assert live is not None
        assert [leg["state"] for leg in live["legs"]] == ["Разговор", "Разговор"]
        assert live["legs"][1]["called_phone_number"] == CONTACT

    async def test_finished_callback__leaves_list_calls(
        self, call: Rpc, state: ServerState
    ) -> None:
        session = await _callback(call, state, external_id="crm-42")
        state.world.clock.advance(state.world.get_call(session).end_ts - state.world.now())
        assert await _live(call, session) is None

    async def test_start_time__is_local_like_the_docs_example(
        self, call: Rpc, state: ServerState
    ) -> None:
        session = await _callback(call, state)
        live = await _live(call, session)
        assert live is not None
        assert live["start_time"] == "2026-05-14T10:30:00.000"
        state.options["uis"] = UisOptions(list_calls_time_format="space")
        live = await _live(call, session)
        assert live is not None
        assert live["start_time"] == "2026-05-14 10:30:00"

    async def test_contact_first__rings_the_contact_first(
        self, call: Rpc, state: ServerState
    ) -> None:
        session = await _callback(call, state, first_call="contact")
        live = await _live(call, session)
        assert live is not None
        assert live["legs"][0]["called_phone_number"] == CONTACT
        assert live["legs"][0]["is_operator"] is False

    async def test_unknown_employee__is_employee_not_found(
        self, call: Rpc, state: ServerState
    ) -> None:
        error = await call.error(
            "start.employee_call",
            first_call="employee",
            virtual_phone_number=_number(state),
            contact=CONTACT,
            employee={"id": 999_999},
        )
        assert error["code"] == -32602
        assert error["data"]["mnemonic"] == "employee_not_found"
        assert error["data"]["field"] == "employee.id"
        assert error["message"] == "Employee with id 999999 not found. It is not your employee."

    async def test_foreign_phone__is_no_active_phone_number(
        self, call: Rpc, state: ServerState
    ) -> None:
        error = await call.error(
            "start.employee_call",
            first_call="employee",
            virtual_phone_number=_number(state),
            contact=CONTACT,
            employee={"id": state.world.employees[0].id, "phone_number": "70000000000"},
        )
        assert error["data"]["mnemonic"] == "no_active_phone_number"

    async def test_foreign_virtual_number__is_not_found(
        self, call: Rpc, state: ServerState
    ) -> None:
        error = await call.error(
            "start.employee_call",
            first_call="employee",
            virtual_phone_number="74990000000",
            contact=CONTACT,
            employee={"id": state.world.employees[0].id},
        )
        assert error["code"] == -32007
        assert error["data"]["mnemonic"] == "virtual_phone_number_not_found"

    async def test_own_number_as_contact__is_refused(self, call: Rpc, state: ServerState) -> None:
        error = await call.error(
            "start.employee_call",
            first_call="employee",
            virtual_phone_number=_number(state),
            contact=_number(state),
            employee={"id": state.world.employees[0].id},
        )
        assert error["data"]["mnemonic"] == "own_virtual_phone_number_not_allowed"

    async def test_early_switching__needs_employee_first_and_switch_at_once(
        self, call: Rpc, state: ServerState
    ) -> None:
        error = await call.error(
            "start.employee_call",
            first_call="contact",
            early_switching=True,
            virtual_phone_number=_number(state),
            contact=CONTACT,
            employee={"id": state.world.employees[0].id},
        )
        assert error["data"]["mnemonic"] == "invalid_parameters_combination"

    async def test_bad_first_call__is_invalid_parameter_value(
        self, call: Rpc, state: ServerState
    ) -> None:
        error = await call.error(
            "start.employee_call",
            first_call="nobody",
            virtual_phone_number=_number(state),
            contact=CONTACT,
            employee={"id": state.world.employees[0].id},
        )
        assert error["data"]["mnemonic"] == "invalid_parameter_value"
        assert error["data"]["field"] == "first_call"


class TestSimpleCall:
    async def test_operator__is_rung_first(self, call: Rpc, state: ServerState) -> None:
        result = await call.ok(
            "start.simple_call",
            first_call="operator",
            virtual_phone_number=_number(state),
            contact=CONTACT,
            operator="79031112233",
        )
        live = await _live(call, result["data"]["call_session_id"])
        assert live is not None
        assert live["legs"][0]["called_phone_number"] == "79031112233"
        assert live["legs"][0]["employee_id"] is None


class TestActions:
    async def test_release__ends_the_call(self, call: Rpc, state: ServerState) -> None:
        session = await _callback(call, state)
        result = await call.ok("release.call", call_session_id=session)
        assert result["data"] == {"success": "true"}
        assert await _live(call, session) is None

    async def test_release_unknown__is_call_session_not_found(self, call: Rpc) -> None:
        error = await call.error("release.call", call_session_id=1)
        assert (error["code"], error["data"]["mnemonic"]) == (-32602, "call_session_not_found")

    async def test_disconnect_contact__ends_the_call(self, call: Rpc, state: ServerState) -> None:
        session = await _callback(call, state)
        c = state.world.get_call(session)
        state.world.clock.advance(c.legs[1].start_ts - state.world.now() + 1)
        live = await _live(call, session)
        assert live is not None
        contact_leg = live["legs"][1]["leg_id"]
        result = await call.ok("disconnect.leg", call_session_id=session, leg_id=contact_leg)
        assert result["data"] == {"success": "true"}
        assert await _live(call, session) is None

    async def test_disconnect_unknown_leg__is_leg_not_found(
        self, call: Rpc, state: ServerState
    ) -> None:
        session = await _callback(call, state)
        error = await call.error("disconnect.leg", call_session_id=session, leg_id=5)
        assert error["data"]["mnemonic"] == "leg_not_found"
        assert error["message"] == "The call's leg not found"

    async def test_logout__answers_a_boolean_success(self, call: Rpc, state: ServerState) -> None:
        creds = state.credentials
        login = await call.ok(
            "login.user", auth=False, login=creds.uis_login, password=creds.uis_password
        )
        assert set(login["data"]) == {"access_token", "expire_at"}
        result = await call.ok("logout.user", access_token=login["data"]["access_token"])
        assert result["data"] == {"success": True}


class TestFinishedCallback:
    async def test_report__shows_it_with_the_external_id_and_recording(
        self, call: Rpc, data: Rpc, state: ServerState
    ) -> None:
        session = await _callback(call, state, external_id="crm-42")
        state.world.clock.advance(state.world.get_call(session).end_ts - state.world.now())
        rows = (
            await data.ok(
                "get.calls_report",
                date_from="2026-05-14 00:00:00",
                date_till="2026-05-14 23:59:59",
                fields=[
                    "id",
                    "source",
                    "call_api_external_id",
                    "call_records",
                    "call_api_request_id",
                ],
                filter={"field": "id", "operator": "=", "value": session},
            )
        )["data"]
        assert len(rows) == 1
        row = rows[0]
        assert row["source"] == "callapi"
        assert row["call_api_external_id"] == "crm-42"
        assert row["call_api_request_id"] is not None
        assert len(row["call_records"]) == 1
