"""Data API v2.0 through the app: reports, fields, filters, sort, paging, directory."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from mockpbx.providers.uis.options import UisOptions
from mockpbx.providers.uis.schemas import catalog
from mockpbx.state import ServerState

if TYPE_CHECKING:
    from tests.mockpbx.uis.conftest import Rpc

YESTERDAY = {"date_from": "2026-05-13 00:00:00", "date_till": "2026-05-13 23:59:59"}


ALL_CALL_FIELDS = list(catalog("get.calls_report"))
ALL_LEG_FIELDS = list(catalog("get.call_legs_report"))


async def _report(data: Rpc, **params: Any) -> dict[str, Any]:
    result: dict[str, Any] = await data.ok("get.calls_report", **{**YESTERDAY, **params})
    return result


class TestCallsReport:
    async def test_default_fields__are_the_documented_defaults(self, data: Rpc) -> None:
        rows = (await _report(data, limit=5))["data"]
        defaults = [name for name, f in catalog("get.calls_report").items() if f.default]
        assert rows
        assert all(sorted(row) == sorted(defaults) for row in rows)

    async def test_all_fields__are_returned_when_asked(self, data: Rpc) -> None:
        rows = (await _report(data, fields=ALL_CALL_FIELDS, limit=50))["data"]
        assert len(ALL_CALL_FIELDS) == 105
        assert all(sorted(row) == sorted(ALL_CALL_FIELDS) for row in rows)

    async def test_unknown_field__is_unexpected_parameters(self, data: Rpc) -> None:
        error = await data.error("get.calls_report", **YESTERDAY, fields=["id", "colour"])
        assert error["data"]["mnemonic"] == "unexpected_parameters"
        assert error["data"]["field"] == "fields"
        assert error["data"]["value"] == "colour"

    async def test_times__are_local_wall_clock_within_the_period(self, data: Rpc) -> None:
        rows = (await _report(data, fields=["start_time", "finish_time"]))["data"]
        assert rows
        for row in rows:
            start = datetime.strptime(row["start_time"], "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007
            assert start.date().isoformat() == "2026-05-13"
            assert row["finish_time"] >= row["start_time"]

    async def test_window__selects_by_start_time(self, data: Rpc, state: ServerState) -> None:
        world = state.world
        start = int(datetime(2026, 5, 13, 12, tzinfo=world.tz).timestamp())
        expected = [c.id for c in world.history(start, start + 3600)]
        result = await data.ok(
            "get.calls_report",
            date_from="2026-05-13 12:00:00",
            date_till="2026-05-13 12:59:59",
            fields=["id"],
        )
        assert [row["id"] for row in result["data"]] == expected
        assert result["metadata"]["total_items"] == len(expected)

    async def test_paging__limit_offset_cover_the_period_once(self, data: Rpc) -> None:
        total = (await _report(data, fields=["id"]))["metadata"]["total_items"]
        seen: list[int] = []
        for offset in range(0, total, 7):
            page = await _report(data, fields=["id"], limit=7, offset=offset)
            assert page["metadata"]["total_items"] == total
            seen += [row["id"] for row in page["data"]]
        assert len(seen) == len(set(seen)) == total

    async def test_interval__over_three_months_is_refused(self, data: Rpc) -> None:
        error = await data.error(
            "get.calls_report", date_from="2026-01-01 00:00:00", date_till="2026-04-01 00:00:01"
        )
        assert error["code"] == -32602
        assert error["data"]["mnemonic"] == "date_interval_limit_reached"
        assert error["message"] == "Max value of requested date interval is 3 months"

    async def test_interval__of_exactly_three_months_is_accepted(self, data: Rpc) -> None:
        await data.ok(
            "get.calls_report", date_from="2026-01-01 00:00:00", date_till="2026-04-01 00:00:00"
        )

    async def test_interval__can_be_90_days(self, data: Rpc, state: ServerState) -> None:
        period = {"date_from": "2025-05-01 00:00:00", "date_till": "2025-08-01 00:00:00"}
        await data.ok("get.calls_report", **period)  # 92 days are within 3 months
        state.options["uis"] = UisOptions(interval_limit="90 days")
        error = await data.error("get.calls_report", **period)
        assert error["data"]["mnemonic"] == "date_interval_limit_reached"

    @pytest.mark.parametrize("bad", ["2026-05-13", "2026-05-13T00:00:00", "13.05.2026 00:00:00"])
    async def test_date_format__must_be_wall_clock(self, data: Rpc, bad: str) -> None:
        error = await data.error(
            "get.calls_report", date_from=bad, date_till=YESTERDAY["date_till"]
        )
        assert error["data"]["mnemonic"] == "invalid_parameter_value"
        assert error["data"]["field"] == "date_from"

    async def test_reversed_period__is_invalid(self, data: Rpc) -> None:
        error = await data.error(
            "get.calls_report", date_from="2026-05-13 10:00:00", date_till="2026-05-13 09:00:00"
        )
        assert error["data"]["mnemonic"] == "invalid_parameter_value"

    async def test_recording__links_to_the_public_url(self, data: Rpc, client: Any) -> None:
        rows = (await _report(data, fields=["id", "call_records", "full_record_file_link"]))["data"]
        recorded = [row for row in rows if row["call_records"]]
        assert recorded
        row = recorded[0]
        origin = str(client.make_url("/"))[:-1]
        assert row["full_record_file_link"] == (
            f"{origin}/media/{row['id']}/{row['call_records'][0]}"
        )
        assert len(row["call_records"][0]) == 32

    async def test_recording_url__can_be_app_style(self, data: Rpc, state: ServerState) -> None:
        state.options["uis"] = UisOptions(recording_url_style="app")
        rows = (await _report(data, fields=["id", "full_record_file_link"]))["data"]
        link = next(row["full_record_file_link"] for row in rows if row["full_record_file_link"])
        assert "/system/media/talk/" in link
        assert link.endswith("/")

    async def test_sip_line__is_carried_by_operator_phone_number(self, data: Rpc) -> None:
        logins = {line["phone_number"] for line in (await data.ok("get.sip_lines"))["data"]}
        rows = (await _report(data, fields=["operator_phone_number", "is_lost", "direction"]))[
            "data"
        ]
        answered = [r for r in rows if not r["is_lost"] and r["direction"] == "in"]
        assert answered
        assert {r["operator_phone_number"] for r in answered} <= logins

    async def test_cached_rows__equal_fresh_ones(self, data: Rpc, state: ServerState) -> None:
        first = await _report(data, fields=ALL_CALL_FIELDS)
        second = await _report(data, fields=ALL_CALL_FIELDS)
        state.options["uis"] = UisOptions(row_cache_bytes=0)
        cold = await _report(data, fields=ALL_CALL_FIELDS)
        assert first["data"] == second["data"] == cold["data"]


class TestFilterAndSort:
    async def test_equality__selects_matching_rows(self, data: Rpc) -> None:
        rows = (
            await _report(
                data,
                fields=["id", "is_lost"],
                filter={"field": "is_lost", "operator": "=", "value": True},
            )
        )["data"]
        assert rows
        assert all(row["is_lost"] for row in rows)

    async def test_tree__combines_with_or(self, data: Rpc) -> None:
        everything = (await _report(data, fields=["id", "source"]))["data"]
        sources = sorted({row["source"] for row in everything})
        tree = {
            "filters": [{"field": "source", "operator": "=", "value": s} for s in sources],
            "condition": "or",
        }
        rows = (await _report(data, fields=["id", "source"], filter=tree))["data"]
        assert rows == everything

    async def test_like__matches_with_percent(self, data: Rpc) -> None:
        rows = (
            await _report(
                data,
                fields=["contact_phone_number"],
                filter={"field": "contact_phone_number", "operator": "like", "value": "7916%"},
            )
        )["data"]
        assert all(row["contact_phone_number"].startswith("7916") for row in rows)

    async def test_jsquery__finds_an_employee(self, data: Rpc, state: ServerState) -> None:
        employee = state.world.employees[0].id
        rows = (
            await _report(
                data,
                fields=["employees"],
                filter={
                    "field": "employees",
                    "operator": "jsquery",
                    "value": f"#.employee_id = {employee}",
                },
            )
        )["data"]
        assert rows
        assert all(any(e["employee_id"] == employee for e in r["employees"]) for r in rows)

    async def test_not_filterable__is_filter_prohibited(self, data: Rpc) -> None:
        error = await data.error(
            "get.calls_report",
            **YESTERDAY,
            filter={"field": "start_time", "operator": ">", "value": "2026-05-13 10:00:00"},
        )
        assert error["data"]["mnemonic"] == "filter_prohibited"

    async def test_unknown_operator__is_invalid(self, data: Rpc) -> None:
        error = await data.error(
            "get.calls_report", **YESTERDAY, filter={"field": "id", "operator": "~", "value": 1}
        )
        assert error["data"]["mnemonic"] == "invalid_parameter_value"
        assert error["data"]["field"] == "filter.operator"

    async def test_sort__desc_by_start_time(self, data: Rpc) -> None:
        rows = (
            await _report(
                data, fields=["start_time"], sort=[{"field": "start_time", "order": "desc"}]
            )
        )["data"]
        times = [row["start_time"] for row in rows]
        assert times == sorted(times, reverse=True)

    async def test_sort__by_unsortable_field_is_sort_prohibited(self, data: Rpc) -> None:
        error = await data.error("get.calls_report", **YESTERDAY, sort=[{"field": "id"}])
        assert error["data"]["mnemonic"] == "sort_prohibited"


class TestOngoing:
    async def test_live_call__shows_only_with_include_ongoing_calls(
        self, data: Rpc, call: Rpc, state: ServerState
    ) -> None:
        employee = state.world.employees[0]
        number = state.world.numbers[0].number
        started = await call.ok(
            "start.employee_call",
            first_call="employee",
            virtual_phone_number=number,
            contact="79161234567",
            employee={"id": employee.id},
        )
        session = started["data"]["call_session_id"]
        today = {"date_from": "2026-05-14 00:00:00", "date_till": "2026-05-14 23:59:59"}
        params = {**today, "fields": ["id", "finish_time", "finish_reason"]}
        ids = [r["id"] for r in (await data.ok("get.calls_report", **params))["data"]]
        assert session not in ids
        rows = (await data.ok("get.calls_report", **params, include_ongoing_calls=True))["data"]
        live = next(r for r in rows if r["id"] == session)
        assert live["finish_time"] is None
        assert live["finish_reason"] is None


class TestLegsReport:
    async def test_all_fields__one_row_per_leg(self, data: Rpc, state: ServerState) -> None:
        result = await data.ok("get.call_legs_report", **YESTERDAY, fields=ALL_LEG_FIELDS)
        rows = result["data"]
        assert all(sorted(row) == sorted(ALL_LEG_FIELDS) for row in rows)
        start = int(datetime(2026, 5, 13, tzinfo=state.world.tz).timestamp())
        calls = state.world.history(start, start + 86400)
        assert result["metadata"]["total_items"] == sum(len(c.legs) for c in calls)

    async def test_employee_legs__carry_the_sip_line(self, data: Rpc) -> None:
        logins = {line["phone_number"] for line in (await data.ok("get.sip_lines"))["data"]}
        rows = (
            await data.ok(
                "get.call_legs_report",
                **YESTERDAY,
                fields=["is_operator", "called_phone_number", "employee_phone_number"],
                filter={"field": "is_operator", "operator": "=", "value": True},
            )
        )["data"]
        assert rows
        assert all(r["employee_phone_number"] in logins for r in rows)


class TestDirectory:
    async def test_employees__have_lines_among_their_numbers(self, data: Rpc) -> None:
        employees = (await data.ok("get.employees"))["data"]
        lines = (await data.ok("get.sip_lines"))["data"]
        assert len(employees) == 3
        by_id = {e["id"]: e for e in employees}
        for line in lines:
            numbers = [p["phone_number"] for p in by_id[line["employee_id"]]["phone_numbers"]]
            assert line["phone_number"] in numbers

    async def test_sip_lines__physical_state_language_is_configurable(
        self, data: Rpc, state: ServerState
    ) -> None:
        assert (await data.ok("get.sip_lines"))["data"][0]["physical_state"] == "Зарегистрирован"
        state.options["uis"] = UisOptions(physical_state_language="en")
        assert (await data.ok("get.sip_lines"))["data"][0]["physical_state"] == "Registered"

    async def test_virtual_numbers__filter_by_type(self, data: Rpc) -> None:
        result = await data.ok(
            "get.virtual_numbers",
            fields=["virtual_phone_number", "type"],
            filter={"field": "type", "operator": "=", "value": "call_tracking"},
        )
        assert result["metadata"]["total_items"] == 2
        assert {row["type"] for row in result["data"]} == {"call_tracking"}

    async def test_employees__sort_and_page(self, data: Rpc) -> None:
        rows = (
            await data.ok(
                "get.employees",
                fields=["full_name"],
                sort=[{"field": "full_name", "order": "asc"}],
                limit=2,
                offset=1,
            )
        )["data"]
        everyone = sorted(e["full_name"] for e in (await data.ok("get.employees"))["data"])
        assert [r["full_name"] for r in rows] == everyone[1:3]

    async def test_account__gives_the_timezone(self, data: Rpc, state: ServerState) -> None:
        rows = (await data.ok("get.account"))["data"]
        assert rows == [
            {"app_id": state.world.account.app_id, "name": "Клиника", "timezone": "Europe/Moscow"}
        ]


class TestExtremePeriods:
    @pytest.mark.parametrize(
        ("date_from", "date_till"),
        [
            ("0001-01-01 00:00:00", "0001-01-02 00:00:00"),
            ("9999-12-01 00:00:00", "9999-12-31 23:59:59"),
            ("1969-12-31 00:00:00", "1970-01-01 12:00:00"),
            ("2026-11-30 00:00:00", "2027-02-28 00:00:00"),
        ],
    )
    async def test_far_periods__answer_empty(
        self, data: Rpc, date_from: str, date_till: str
    ) -> None:
        result = await data.ok("get.calls_report", date_from=date_from, date_till=date_till)
        assert result["data"] == []
        assert result["metadata"]["total_items"] == 0

    async def test_month_end__plus_three_months_clamps_the_day(self, data: Rpc) -> None:
        await data.ok(
            "get.calls_report", date_from="2025-11-30 00:00:00", date_till="2026-02-28 00:00:00"
        )
        error = await data.error(
            "get.calls_report", date_from="2025-11-30 00:00:00", date_till="2026-03-01 00:00:00"
        )
        assert error["data"]["mnemonic"] == "date_interval_limit_reached"


async def test_sort_start_time_asc__is_the_natural_order(data: Rpc) -> None:
    """The shortcut for `start_time asc` (what sync clients send) gives the sorted order."""
    rows = (await _report(data, fields=["id", "start_time"], sort=[{"field": "start_time"}]))[
        "data"
    ]
    assert [r["start_time"] for r in rows] == sorted(r["start_time"] for r in rows)
    unsorted = (await _report(data, fields=["id", "start_time"]))["data"]
    assert rows == unsorted


async def test_sort_by_start_time__is_unknown_to_employees(data: Rpc) -> None:
    error = await data.error("get.employees", sort=[{"field": "start_time"}])
    assert error["data"]["mnemonic"] == "unexpected_parameters"
