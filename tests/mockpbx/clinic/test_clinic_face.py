"""The clinic reference face (/clinic/v1) through aiohttp's test client."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient

from mockpbx.core import actions
from mockpbx.state import ProviderErrorFault, ServerState, TokenExpiredFault
from tests.mockpbx.mp3 import frame_offsets

MSK = ZoneInfo("Europe/Moscow")
DAY = datetime(2026, 5, 13, tzinfo=MSK)
BASE = "/clinic/v1"


def key(state: ServerState) -> dict[str, str]:
    return {"IDENT-Integration-Key": state.credentials.clinic_key}


def period(start: datetime = DAY, end: datetime | None = None, **extra: Any) -> dict[str, Any]:
    end = end or start + timedelta(days=1)
    return {"dateTimeFrom": start.isoformat(), "dateTimeTo": end.isoformat(), **extra}


async def finished(client: TestClient, state: ServerState, **params: Any) -> Any:  # type: ignore[type-arg]
    response = await client.get(f"{BASE}/GetFinishedCalls", params=params, headers=key(state))
    assert response.status == 200, await response.text()
    return await response.json()


class TestAuth:
    @pytest.mark.parametrize("headers", [{}, {"IDENT-Integration-Key": "wrong"}])
    async def test_every_endpoint__refuses_a_missing_or_wrong_key(
        self, client: TestClient, headers: dict[str, str]
    ) -> None:  # type: ignore[type-arg]
        for name in ("GetFinishedCalls", "GetOngoingCalls", "GetTickets"):
            response = await client.get(f"{BASE}/{name}", params=period(), headers=headers)
            assert response.status == 401
            assert (await response.json())["error"] == "unauthorized"

    async def test_auth_status__is_configurable_to_403(
        self, client: TestClient, state: ServerState
    ) -> None:  # type: ignore[type-arg]
        state.options["clinic"] = {"auth_status": 403}
        response = await client.get(f"{BASE}/GetOngoingCalls")
        assert response.status == 403


class TestFinishedCalls:
    async def test_finished_calls__match_the_world_history(
        self, client: TestClient, state: ServerState
    ) -> None:  # type: ignore[type-arg]
        body = await finished(client, state, **period(limit=1000))
        truth = state.world.history(int(DAY.timestamp()), int(DAY.timestamp()) + 86400)
        assert [c["Id"] for c in body] == [str(c.id) for c in truth]
        assert all(c["DateAndTime"].endswith("+03:00") for c in body)

    async def test_period__from_is_inclusive_and_to_exclusive(
        self, client: TestClient, state: ServerState
    ) -> None:  # type: ignore[type-arg]
        first = (await finished(client, state, **period(limit=1)))[0]
        at = datetime.fromisoformat(first["DateAndTime"])
        assert (await finished(client, state, **period(at, at + timedelta(seconds=1))))[0][
            "Id"
        ] == first["Id"]
        assert await finished(client, state, **period(at - timedelta(hours=1), at)) == []

    async def test_period__honours_the_offset_sent(
        self, client: TestClient, state: ServerState
    ) -> None:  # type: ignore[type-arg]
        utc = ZoneInfo("UTC")
        moscow = await finished(client, state, **period(limit=1000))
        same = await finished(
            client,
            state,
            **period(DAY.astimezone(utc), (DAY + timedelta(days=1)).astimezone(utc), limit=1000),
        )
        assert moscow == same

    async def test_to_inclusive_option__returns_a_call_at_exactly_to(
        self, client: TestClient, state: ServerState
    ) -> None:  # type: ignore[type-arg]
        first = (await finished(client, state, **period(limit=1)))[0]
        at = datetime.fromisoformat(first["DateAndTime"])
        state.options["clinic"] = {"to_inclusive": True}
        assert len(await finished(client, state, **period(at - timedelta(hours=1), at))) == 1

    async def test_paging__pages_concatenate_to_the_whole_period(
        self, client: TestClient, state: ServerState
    ) -> None:  # type: ignore[type-arg]
        whole = await finished(client, state, **period(limit=1000))
        pages: list[Any] = []
        offset = 0
        while True:
            page = await finished(client, state, **period(limit=7, offset=offset))
            pages.extend(page)
            offset += 7
            if len(page) < 7:
                break
        assert pages == whole

    async def test_paging__offSet_spelling_is_accepted(
        self, client: TestClient, state: ServerState
    ) -> None:  # type: ignore[type-arg]
        a = await finished(client, state, **period(limit=2, offset=3))
        b = await finished(client, state, **period(limit=2, offSet=3))
        assert a == b != []

    async def test_recording_url__opens_without_a_key_and_is_audio(
        self, client: TestClient, state: ServerState
    ) -> None:  # type: ignore[type-arg]
        body = await finished(client, state, **period(limit=1000))
        url = next(c["RecordUrl"] for c in body if c["RecordUrl"])
        path = url.split("://", 1)[1].split("/", 1)[1]
        response = await client.get("/" + path)
        assert response.status == 200
        assert response.content_type == "audio/mpeg"
        assert frame_offsets(await response.read())

    async def test_missed_call__talk_is_null_or_zero_by_option(
        self, client: TestClient, state: ServerState
    ) -> None:  # type: ignore[type-arg]
        body = await finished(client, state, **period(limit=1000))
        missed = [c for c in body if c["TalkInSeconds"] is None]
        assert missed
        assert all(c["RecordUrl"] is None for c in missed)
        state.options["clinic"] = {"missed_talk": "zero"}
        again = await finished(client, state, **period(limit=1000))
        assert {c["Id"] for c in again if c["TalkInSeconds"] == 0} >= {c["Id"] for c in missed}

    async def test_tracked_calls__carry_utm_and_referrer(
        self, client: TestClient, state: ServerState
    ) -> None:  # type: ignore[type-arg]
        body = await finished(client, state, **period(limit=1000))
        tracked = [c for c in body if c["UtmSource"]]
        assert tracked
        assert all(c["HttpReferer"] for c in tracked)

    @pytest.mark.parametrize(
        "params",
        [
            {"dateTimeTo": "2026-05-14T00:00:00+03:00"},
            period(DAY.replace(tzinfo=None)),
            {**period(), "dateTimeFrom": "yesterday"},
            period(limit=0),
            period(limit=1001),
            period(limit="ten"),
            period(offset=-1),
        ],
    )
    async def test_bad_parameters__get_400_naming_the_parameter(
        self, client: TestClient, state: ServerState, params: dict[str, Any]
    ) -> None:  # type: ignore[type-arg]
        response = await client.get(
            f"{BASE}/GetFinishedCalls",
            params={k: str(v) for k, v in params.items()},
            headers=key(state),
        )
        assert response.status == 400
        body = await response.json()
        assert body["error"] == "invalid_parameter"
        assert any(name in body["message"] for name in ("dateTimeFrom", "limit", "offset"))

    async def test_extreme_years__are_answered_not_crashed(
        self, client: TestClient, state: ServerState
    ) -> None:  # type: ignore[type-arg]
        body = await finished(
            client,
            state,
            dateTimeFrom="0001-01-01T00:00:00+14:00",
            dateTimeTo="9999-12-31T23:59:59-14:00",
            limit=1,
        )
        assert len(body) == 1


class TestOngoingCalls:
    async def test_ongoing__lists_a_live_call_then_drops_it(
        self, client: TestClient, state: ServerState
    ) -> None:  # type: ignore[type-arg]
        employee = state.world.employees[0]
        call = actions.start_callback(state.world, employee.id, "79161112233")
        response = await client.get(f"{BASE}/GetOngoingCalls", headers=key(state))
        listed = await response.json()
        assert any(c["Id"] == str(call.id) and c["TalkInSeconds"] is None for c in listed)
        state.world.clock.advance(call.end_ts - state.world.now() + 1)
        after = await (await client.get(f"{BASE}/GetOngoingCalls", headers=key(state))).json()
        assert all(c["Id"] != str(call.id) for c in after)

    async def test_ongoing__counts_talk_up_to_now(
        self, client: TestClient, state: ServerState
    ) -> None:  # type: ignore[type-arg]
        call = actions.start_callback(state.world, state.world.employees[0].id, "79161112233")
        assert call.answer_ts is not None
        state.world.clock.advance(call.answer_ts - state.world.now() + 5)
        listed = await (await client.get(f"{BASE}/GetOngoingCalls", headers=key(state))).json()
        (mine,) = [c for c in listed if c["Id"] == str(call.id)]
        assert mine["TalkInSeconds"] == 5
        assert mine["WaitInSeconds"] == call.answer_ts - call.start_ts

    async def test_answer_date__is_the_virtual_time(
        self, client: TestClient, state: ServerState
    ) -> None:  # type: ignore[type-arg]
        response = await client.get(f"{BASE}/GetOngoingCalls", headers=key(state))
        assert response.headers["Date"].startswith("Thu, 14 May 2026")


class TestWritesAndErrors:
    async def test_start_callback__rings_the_employee_first(
        self, client: TestClient, state: ServerState
    ) -> None:  # type: ignore[type-arg]
        employee = state.world.employees[0]
        line = state.world.lines_of(employee.id)[0].login
        response = await client.post(
            f"{BASE}/StartCallback",
            json={"EmployeePhone": line, "ClientPhone": "79161112233"},
            headers=key(state),
        )
        assert response.status == 202
        call = state.world.get_call(int((await response.json())["Id"]))
        first = call.legs[0]
        assert first.role.value == "employee"
        assert first.employee_id == employee.id
        assert all(leg.start_ts >= (first.answer_ts or first.end_ts) for leg in call.legs[1:])

    @pytest.mark.parametrize(
        ("body", "status"),
        [
            ({"EmployeePhone": "nobody", "ClientPhone": "79161112233"}, 404),
            ({"EmployeePhone": "101", "ClientPhone": "call me"}, 400),
            ({"EmployeePhone": "101"}, 400),
        ],
    )
    async def test_start_callback__bad_requests(
        self, client: TestClient, state: ServerState, body: dict[str, str], status: int
    ) -> None:  # type: ignore[type-arg]
        response = await client.post(f"{BASE}/StartCallback", json=body, headers=key(state))
        assert response.status == status

    async def test_start_callback__can_be_turned_off(
        self, client: TestClient, state: ServerState
    ) -> None:  # type: ignore[type-arg]
        state.options["clinic"] = {"callback": False}
        response = await client.post(
            f"{BASE}/StartCallback",
            json={"EmployeePhone": "101", "ClientPhone": "79161112233"},
            headers=key(state),
        )
        assert response.status == 501

    async def test_time_table__is_stored(self, client: TestClient, state: ServerState) -> None:  # type: ignore[type-arg]
        table = {"Doctors": [{"Id": 1}], "Branches": [], "Intervals": [{"IsBusy": True}]}
        response = await client.post(f"{BASE}/PostTimeTable", json=table, headers=key(state))
        assert response.status == 200
        assert state.extras["clinic.timetable"]["Intervals"] == [{"IsBusy": True}]

    async def test_unknown_endpoint_and_method__are_json_errors(self, client: TestClient) -> None:  # type: ignore[type-arg]
        missing = await client.get(f"{BASE}/GetEverything")
        wrong = await client.post(f"{BASE}/GetFinishedCalls")
        assert (missing.status, wrong.status) == (404, 405)
        assert (await missing.json())["error"] == "not_found"

    async def test_tickets__are_deterministic_and_in_period(
        self, client: TestClient, state: ServerState
    ) -> None:  # type: ignore[type-arg]
        params = period(limit=1000)
        first = await (
            await client.get(f"{BASE}/GetTickets", params=params, headers=key(state))
        ).json()
        again = await (
            await client.get(f"{BASE}/GetTickets", params=params, headers=key(state))
        ).json()
        assert first == again
        assert first
        assert all(t["DateAndTime"].startswith("2026-05-13") for t in first)
        assert len({t["Id"] for t in first}) == len(first)


class _Faults:
    def __init__(self, fault: Exception | None = None, response: Any = None) -> None:
        self.fault, self.response, self.seen = fault, response, []

    async def intercept(self, request: Any, face: str, method: str) -> Any:
        self.seen.append((face, method))
        if self.fault is not None:
            raise self.fault
        return self.response


@pytest.mark.parametrize(
    ("fault", "status"),
    [(ProviderErrorFault(), 503), (ProviderErrorFault(code=502), 502), (TokenExpiredFault(), 401)],
)
async def test_injected_faults__render_as_errors(
    client: TestClient, state: ServerState, fault: Exception, status: int
) -> None:  # type: ignore[type-arg]
    hook = _Faults(fault)
    state.faults = hook
    response = await client.get(f"{BASE}/GetFinishedCalls", params=period(), headers=key(state))
    assert response.status == status
    assert hook.seen == [("clinic", "GetFinishedCalls")]
    assert state.journal.count(face="clinic", method="GetFinishedCalls") == 1


class TestControlOptions:
    async def test_options__are_read_and_changed_over_the_control_plane(
        self, client: TestClient, state: ServerState
    ) -> None:  # type: ignore[type-arg]
        assert (await (await client.get("/_mockpbx/clinic/options")).json())["auth_status"] == 401
        changed = await client.post("/_mockpbx/clinic/options", json={"auth_status": 403})
        assert (await changed.json())["auth_status"] == 403
        assert (await client.get(f"{BASE}/GetOngoingCalls")).status == 403

    async def test_options__unknown_or_bad_values_are_400(self, client: TestClient) -> None:  # type: ignore[type-arg]
        for body in ({"auth_status": 500}, {"no_such_option": 1}):
            response = await client.post("/_mockpbx/clinic/options", json=body)
            assert response.status == 400
            assert "error" in await response.json()


async def test_duplicate_rows_fault__repeats_rows_and_loses_none(
    client: TestClient,  # type: ignore[type-arg]
    state: ServerState,
) -> None:
    """Rows arriving after the first page push the next pages back: repeats, no loss."""
    everything = [c["Id"] for c in await finished(client, state, **period(limit=1000))]
    fault = {"face": "clinic", "method": "*", "kind": "duplicate_rows", "rows": 2, "count": 1}
    assert (await client.post("/_mockpbx/faults", json=fault)).status in (200, 201)
    pages, offset = [], 0
    while not pages or len(pages[-1]) == 5:
        pages.append(
            [c["Id"] for c in await finished(client, state, **period(limit=5, offset=offset))]
        )
        offset += 5
    assert pages[1] == everything[3:8]
    assert sorted({i for page in pages for i in page}) == sorted(everything)
