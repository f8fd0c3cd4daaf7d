"""comagic-data-api-sdk 0.0.3.4's requests: its default field lists, sent as it sends them.

The SDK asks every `get.*` with its model's full field list. Where the docs
contradict themselves (table vs JSON sample) the mock accepts both readings by
default and `UisOptions` narrows to one; `utm_referrer` is in no calls-report
docs we hold, so it stays refused unless the options list it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from mockpbx.providers.uis.options import UisOptions
from mockpbx.providers.uis.schemas import catalog
from mockpbx.state import ServerState

if TYPE_CHECKING:
    from tests.mockpbx.uis.conftest import Rpc

# The SDK's model field lists (comagic/models.py), in its order.
SDK_VIRTUAL_NUMBER = [
    "id", "virtual_phone_number", "redirection_phone_number", "activation_date", "status",
    "category", "type", "campaigns", "site_blocks", "scenarios",
]  # fmt: skip
SDK_SCENARIO = ["id", "name", "virtual_phone_numbers", "sites", "campaigns"]
SDK_MEDIA_FILE = ["id", "name", "duration", "play_link", "normalization", "size", "type"]
SDK_TAG = ["id", "name", "is_system"]
SDK_EMPLOYEE_GROUP = [
    "id", "name", "members", "phone_number", "group_phone_number", "queue_enabled",
    "channels_count",
]  # fmt: skip
SDK_CALL = [
    "id", "start_time", "finish_time", "finish_reason", "direction", "cpn_region_id",
    "cpn_region_name", "scenario_operations", "is_lost", "communication_number",
    "communication_page_url", "contact_phone_number", "communication_id", "communication_type",
    "wait_duration", "total_wait_duration", "lost_call_processing_duration", "talk_duration",
    "clean_talk_duration", "total_duration", "postprocess_duration", "call_records",
    "virtual_phone_number", "ua_client_id", "ym_client_id", "sale_date", "sale_cost",
    "is_transfer", "search_query", "search_engine", "referrer_domain", "referrer",
    "entrance_page", "gclid", "yclid", "ymclid", "ef_id", "channel", "tags", "employees",
    "last_answered_employee_id", "last_answered_employee_full_name",
    "last_answered_employee_rating", "first_answered_employee_id",
    "first_answered_employee_full_name", "scenario_id", "scenario_name", "site_domain_name",
    "site_id", "campaign_name", "campaign_id", "visit_other_campaign", "visitor_id",
    "person_id", "visitor_type", "visitor_session_id", "visits_count",
    "visitor_first_campaign_id", "visitor_first_campaign_name", "visitor_city",
    "visitor_region", "visitor_country", "visitor_device", "visitor_custom_properties",
    "segments", "contact_id", "contact_full_name", "utm_source", "utm_medium", "utm_term",
    "utm_content", "utm_campaign", "openstat_ad", "openstat_campaign", "openstat_service",
    "openstat_source", "attributes", "eq_utm_source", "eq_utm_medium", "eq_utm_term",
    "eq_utm_content", "eq_utm_campaign", "eq_utm_referrer", "eq_utm_expid", "utm_referrer",
    "source",
]  # fmt: skip
WEEK = {"date_from": "2026-05-07 00:00:00", "date_till": "2026-05-14 00:00:00"}


def _opts(state: ServerState, **kwargs: Any) -> None:
    state.options["uis"] = UisOptions(**kwargs)


async def _error(data: Rpc, method: str, **params: Any) -> dict[str, Any]:
    error = await data.error(method, **params)
    assert error["code"] == -32602
    data_: dict[str, Any] = error["data"]
    return data_


class TestSiteBlocks:
    async def test_sdk_fields__site_blocks_top_level_and_nested(self, data: Rpc) -> None:
        result = await data.ok("get.virtual_numbers", fields=SDK_VIRTUAL_NUMBER)
        rows = result["data"]
        assert rows
        assert result["metadata"]["total_items"] == len(rows)
        for row in rows:
            assert list(row) == SDK_VIRTUAL_NUMBER
            assert row["site_blocks"] == []
            assert all(c["site_blocks"] == [] for c in row["campaigns"])
        assert any(row["campaigns"] for row in rows)  # a tracking number's campaign

    async def test_default_fields__unchanged_nested_only(self, data: Rpc) -> None:
        rows = (await data.ok("get.virtual_numbers"))["data"]
        assert all("site_blocks" not in row for row in rows)
        assert all("site_blocks" in c for row in rows for c in row["campaigns"])

    async def test_strict_nested__refuses_the_top_level_name(
        self, data: Rpc, state: ServerState
    ) -> None:
        _opts(state, site_fields_placement="nested")
        error = await _error(data, "get.virtual_numbers", fields=SDK_VIRTUAL_NUMBER)
        assert error["mnemonic"] == "unexpected_parameters"
        assert (error["field"], error["value"]) == ("fields", "site_blocks")

    async def test_strict_top_level__not_in_campaigns_and_returned_by_default(
        self, data: Rpc, state: ServerState
    ) -> None:
        _opts(state, site_fields_placement="top_level")
        rows = (await data.ok("get.virtual_numbers"))["data"]
        assert rows
        assert all(row["site_blocks"] == [] for row in rows)
        campaigns = [c for row in rows for c in row["campaigns"]]
        assert campaigns
        assert all("site_blocks" not in c for c in campaigns)


class TestOperatorSites:
    FIELDS = ("id", "full_name", "operator", "operator_sites")

    async def test_top_level__an_empty_list(self, data: Rpc) -> None:
        rows = (await data.ok("get.employees", fields=list(self.FIELDS)))["data"]
        assert rows
        assert all(row["operator_sites"] == [] and row["operator"] == {} for row in rows)

    async def test_strict_nested__refuses_the_top_level_name(
        self, data: Rpc, state: ServerState
    ) -> None:
        _opts(state, site_fields_placement="nested")
        error = await _error(data, "get.employees", fields=list(self.FIELDS))
        assert (error["mnemonic"], error["value"]) == ("unexpected_parameters", "operator_sites")

    async def test_not_filterable(self, data: Rpc) -> None:
        flt = {"field": "operator_sites", "operator": "=", "value": 1}
        error = await _error(data, "get.employees", filter=flt)
        assert error["mnemonic"] == "filter_prohibited"


class TestCallsReportUtmReferrer:
    async def test_sdk_fields__utm_referrer_refused_by_default(self, data: Rpc) -> None:
        error = await _error(data, "get.calls_report", **WEEK, limit=50, fields=SDK_CALL)
        assert error["mnemonic"] == "unexpected_parameters"
        assert (error["field"], error["value"]) == ("fields", "utm_referrer")

    async def test_listed_in_options__accepted_and_null(
        self, data: Rpc, state: ServerState
    ) -> None:
        _opts(state, calls_report_extra_fields=("utm_referrer",))
        result = await data.ok("get.calls_report", **WEEK, limit=50, fields=SDK_CALL)
        rows = result["data"]
        assert rows
        assert all(set(row) == set(SDK_CALL) for row in rows)
        assert all(row["utm_referrer"] is None for row in rows)
        # still not a documented filter or sort key, and not a default field
        flt = {"field": "utm_referrer", "operator": "=", "value": "x"}
        error = await _error(data, "get.calls_report", **WEEK, filter=flt)
        assert error["mnemonic"] == "filter_prohibited"
        defaults = (await data.ok("get.calls_report", **WEEK, limit=1))["data"]
        assert defaults
        assert "utm_referrer" not in defaults[0]

    async def test_options_from_a_dict__take_a_list(self, data: Rpc, state: ServerState) -> None:
        state.options["uis"] = {"calls_report_extra_fields": ["utm_referrer"]}
        rows = (await data.ok("get.calls_report", **WEEK, limit=5, fields=SDK_CALL))["data"]
        assert rows
        assert rows[0]["utm_referrer"] is None


class TestScenarios:
    async def test_sdk_fields__the_scenarios_numbers_and_calls_use(
        self, data: Rpc, state: ServerState
    ) -> None:
        result = await data.ok("get.scenarios", fields=SDK_SCENARIO)
        rows = result["data"]
        world = state.world
        expected: dict[int, list[str]] = {}
        for n in world.numbers:
            if n.scenario_id:
                expected.setdefault(n.scenario_id, []).append(n.number)
        assert rows
        assert {row["id"]: row["virtual_phone_numbers"] for row in rows} == expected
        assert result["metadata"]["total_items"] == len(expected)
        assert all(list(row) == SDK_SCENARIO and row["sites"] == [] for row in rows)
        names = {n.scenario_id: n.scenario_name for n in world.numbers}
        assert all(row["name"] == names[row["id"]] for row in rows)
        # the ids the calls report names are listed here
        calls = await data.ok("get.calls_report", **WEEK, fields=["scenario_id", "scenario_name"])
        used = {(r["scenario_id"], r["scenario_name"]) for r in calls["data"] if r["scenario_id"]}
        assert used
        assert used <= {(row["id"], row["name"]) for row in rows}

    async def test_campaigns__those_of_the_scenarios_tracking_numbers(self, data: Rpc) -> None:
        numbers = (await data.ok("get.virtual_numbers"))["data"]
        by_scenario: dict[int, list[int]] = {}
        for n in numbers:
            for c in n["campaigns"]:
                by_scenario.setdefault(n["scenarios"][0]["scenario_id"], []).append(
                    c["campaign_id"]
                )
        rows = (await data.ok("get.scenarios"))["data"]
        got = {r["id"]: [c["campaign_id"] for c in r["campaigns"]] for r in rows if r["campaigns"]}
        assert got == by_scenario
        assert all("operations" not in r for r in rows)  # not a default field

    async def test_operations__match_the_calls_report(self, data: Rpc) -> None:
        rows = (await data.ok("get.scenarios", fields=["id", "operations"]))["data"]
        ops = {r["id"]: r["operations"] for r in rows}
        calls = await data.ok(
            "get.calls_report", **WEEK, fields=["scenario_id", "scenario_operations"]
        )
        seen = [r for r in calls["data"] if r["scenario_id"]]
        assert seen
        assert all(r["scenario_operations"] == ops[r["scenario_id"]] for r in seen)

    async def test_filter_sort_and_paging(self, data: Rpc) -> None:
        rows = (await data.ok("get.scenarios", sort=[{"field": "id", "order": "desc"}]))["data"]
        ids = [r["id"] for r in rows]
        assert ids == sorted(ids, reverse=True)
        page = await data.ok("get.scenarios", limit=1, offset=1, sort=[{"field": "id"}])
        assert [r["id"] for r in page["data"]] == sorted(ids)[1:2]
        flt = {"field": "id", "operator": "=", "value": ids[0]}
        assert [r["id"] for r in (await data.ok("get.scenarios", filter=flt))["data"]] == ids[:1]
        error = await _error(data, "get.scenarios", sort=[{"field": "campaigns"}])
        assert error["mnemonic"] == "sort_prohibited"


class TestTagsAndMedia:
    @pytest.mark.parametrize(
        ("method", "fields"), [("get.tags", SDK_TAG), ("get.media_files", SDK_MEDIA_FILE)]
    )
    async def test_sdk_fields__an_empty_list_with_metadata(
        self, data: Rpc, method: str, fields: list[str]
    ) -> None:
        assert fields == list(catalog(method))  # the SDK asks exactly the documented fields
        result = await data.ok(method, fields=fields)
        assert result["data"] == []
        assert result["metadata"]["total_items"] == 0
        assert "limits" in result["metadata"]

    async def test_unknown_field_and_forbidden_sort__the_usual_errors(self, data: Rpc) -> None:
        error = await _error(data, "get.media_files", fields=["id", "colour"])
        assert (error["mnemonic"], error["value"]) == ("unexpected_parameters", "colour")
        error = await _error(data, "get.tags", sort=[{"field": "id", "order": "asc"}])
        assert error["mnemonic"] == "sort_prohibited"
        flt = {"field": "play_link", "operator": "=", "value": "x"}
        error = await _error(data, "get.media_files", filter=flt)
        assert error["mnemonic"] == "filter_prohibited"


class TestGroupEmployees:
    async def test_sdk_fields__the_groups_get_employees_names(self, data: Rpc) -> None:
        groups = (await data.ok("get.group_employees", fields=SDK_EMPLOYEE_GROUP))["data"]
        employees = (await data.ok("get.employees", fields=["id", "full_name", "groups"]))["data"]
        assert groups
        assert all(list(g) == SDK_EMPLOYEE_GROUP for g in groups)
        expected: dict[tuple[int, str], list[int]] = {}
        for e in employees:
            for g in e["groups"]:
                expected.setdefault((g["group_id"], g["group_name"]), []).append(e["id"])
        got = {(g["id"], g["name"]): [m["employee_id"] for m in g["members"]] for g in groups}
        assert got == expected
        assert len({g["id"] for g in groups}) == len(groups)  # one name per group id

    async def test_numbers__the_members_numbers(self, data: Rpc) -> None:
        groups = (await data.ok("get.group_employees"))["data"]
        employees = (await data.ok("get.employees", fields=["id", "phone_numbers"]))["data"]
        phones = {e["id"]: [p["phone_number"] for p in e["phone_numbers"]] for e in employees}
        for g in groups:
            assert "phone_number" not in g  # the table's name by default
            for m in g["members"]:
                mine = [p for p in g["phone_numbers"] if p["employee_id"] == m["employee_id"]]
                assert [p["employee_phone_number"] for p in mine] == phones[m["employee_id"]]
                assert all(p["employee_full_name"] == m["employee_full_name"] for p in mine)
            assert g["queue_enabled"] is False
            assert 1 <= g["channels_count"] <= 199

    async def test_strict_table_name__refuses_the_sample_name(
        self, data: Rpc, state: ServerState
    ) -> None:
        _opts(state, group_numbers_key="phone_numbers")
        error = await _error(data, "get.group_employees", fields=SDK_EMPLOYEE_GROUP)
        assert (error["mnemonic"], error["value"]) == ("unexpected_parameters", "phone_number")

    async def test_strict_sample_name__is_the_default_field(
        self, data: Rpc, state: ServerState
    ) -> None:
        _opts(state, group_numbers_key="phone_number")
        groups = (await data.ok("get.group_employees"))["data"]
        assert groups
        assert all("phone_number" in g and "phone_numbers" not in g for g in groups)
        error = await _error(data, "get.group_employees", fields=["id", "phone_numbers"])
        assert error["value"] == "phone_numbers"


SDK_COMMUNICATION = [
    "id", "communication_type", "communication_number", "communication_page_url", "date_time",
    "ua_client_id", "ym_client_id", "sale_date", "sale_cost", "search_query", "search_engine",
    "referrer_domain", "referrer", "entrance_page", "gclid", "yclid", "ymclid", "ef_id",
    "channel", "tags", "site_id", "site_domain_name", "campaign_id", "campaign_name",
    "visit_other_campaign", "visitor_id", "person_id", "visitor_type", "visitor_session_id",
    "visits_count", "visitor_first_campaign_id", "visitor_first_campaign_name", "visitor_city",
    "visitor_region", "visitor_country", "visitor_device", "visitor_custom_properties",
    "segments", "utm_source", "utm_medium", "utm_term", "utm_content", "utm_campaign",
    "openstat_ad", "openstat_campaign", "openstat_service", "openstat_source", "eq_utm_source",
    "eq_utm_medium", "eq_utm_term", "eq_utm_content", "eq_utm_campaign", "eq_utm_referrer",
    "eq_utm_expid", "attributes",
]  # fmt: skip


class TestCommunicationsReport:
    async def test_sdk_fields__one_communication_per_call(self, data: Rpc) -> None:
        result = await data.ok(
            "get.communications_report", **WEEK, limit=1000, fields=SDK_COMMUNICATION
        )
        rows = result["data"]
        calls = await data.ok(
            "get.calls_report",
            **WEEK,
            limit=1000,
            fields=["communication_id", "start_time", "utm_source", "site_id", "visitor_id"],
        )
        assert rows
        assert all(set(row) == set(SDK_COMMUNICATION) for row in rows)
        assert result["metadata"]["total_items"] == calls["metadata"]["total_items"]
        by_id = {c["communication_id"]: c for c in calls["data"]}
        assert [r["id"] for r in rows] == list(by_id)
        for row in rows:
            call = by_id[row["id"]]
            assert row["communication_type"] == "call"
            assert row["date_time"] == call["start_time"]
            for name in ("utm_source", "site_id", "visitor_id"):
                assert row[name] == call[name]
        assert any(r["utm_source"] for r in rows)  # tracked calls carry their visit

    async def test_default_fields_filter_and_period(self, data: Rpc) -> None:
        rows = (await data.ok("get.communications_report", **WEEK, limit=5))["data"]
        defaults = [n for n, f in catalog("get.communications_report").items() if f.default]
        assert rows
        assert all(sorted(r) == sorted(defaults) for r in rows)
        flt = {"field": "communication_type", "operator": "=", "value": "chat"}
        none = await data.ok("get.communications_report", **WEEK, filter=flt)
        assert none["data"] == []
        error = await _error(
            data,
            "get.communications_report",
            date_from="2026-01-01 00:00:00",
            date_till="2026-05-14 00:00:00",
        )
        assert error["mnemonic"] == "date_interval_limit_reached"
        error = await _error(data, "get.communications_report", fields=["id"])
        assert (error["mnemonic"], error["field"]) == ("required_parameter_missed", "date_from")
