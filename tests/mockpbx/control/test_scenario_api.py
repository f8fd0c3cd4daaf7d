"""/_mockpbx/seed, /scenarios, /scenario, /truth and /openapi.json through the app."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from mockpbx.control.openapi import document
from mockpbx.control.routes import create_control
from mockpbx.state import ServerState

Client = TestClient  # type: ignore[type-arg]


async def _json(resp: Any) -> Any:
    return await resp.json()


class TestSeed:
    async def test_post_seed__rebuilds_the_world(self, client: Client) -> None:
        before = await _json(await client.get("/_mockpbx/truth/calls"))
        resp = await client.post("/_mockpbx/seed", json={"seed": 99})
        assert resp.status == 200
        assert (await _json(await client.get("/_mockpbx/seed")))["seed"] == 99
        after = await _json(await client.get("/_mockpbx/truth/calls"))
        assert before["calls"] != after["calls"]

    @pytest.mark.parametrize("body", [{"seed": "7"}, {"seed": True}, {}, {"seed": 1, "x": 2}])
    async def test_bad_seed__gets_400(self, client: Client, body: dict[str, Any]) -> None:
        resp = await client.post("/_mockpbx/seed", json=body)
        assert resp.status == 400
        assert (await resp.json())["field"] == "seed"


class TestScenario:
    async def test_list__names_every_builtin(self, client: Client) -> None:
        body = await _json(await client.get("/_mockpbx/scenarios"))
        names = {s["name"] for s in body["builtin"]}
        assert {
            "default",
            "clinic_day",
            "ad_campaign",
            "midnight",
            "network_year",
            "faults",
        } <= names

    async def test_load_by_name__switches_the_world(self, client: Client) -> None:
        resp = await client.post("/_mockpbx/scenario", json={"name": "ad_campaign", "seed": 3})
        assert resp.status == 200
        health = await _json(await client.get("/_mockpbx/health"))
        assert health["scenario"] == "ad_campaign"
        assert health["seed"] == 3
        current = await _json(await client.get("/_mockpbx/scenario"))
        assert current["definition"]["name"] == "ad_campaign"

    async def test_start_time__of_the_scenario_sets_the_clock(self, client: Client) -> None:
        await client.post("/_mockpbx/scenario", json={"name": "clinic_day"})
        now = (await _json(await client.get("/_mockpbx/clock")))["now"]
        assert now.endswith("T00:00:00+03:00")

    async def test_load_posted_yaml__uses_the_file(self, client: Client) -> None:
        text = "name: tiny\nhistory_days: 2\nvolume: {calls_per_day: 10}\n"
        resp = await client.post(
            "/_mockpbx/scenario?seed=5", data=text, headers={"Content-Type": "application/yaml"}
        )
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["scenario"] == "tiny"

    async def test_load_fields_as_json__validates_them(self, client: Client) -> None:
        body = {"scenario": {"name": "x", "staff": [{"answer_rate": 3}]}}
        resp = await client.post("/_mockpbx/scenario", json=body)
        assert resp.status == 400
        error = await resp.json()
        assert error["field"] == "staff[0].answer_rate"
        assert "less than or equal to 1" in error["error"]

    async def test_broken_yaml__gets_400_with_the_line(self, client: Client) -> None:
        resp = await client.post(
            "/_mockpbx/scenario", data="name: [x", headers={"Content-Type": "text/yaml"}
        )
        assert resp.status == 400
        assert "line" in (await resp.json())["error"]

    @pytest.mark.parametrize(
        "body",
        [{"name": "nope"}, {}, {"name": "default", "scenario": {}}, {"name": "default", "x": 1}],
    )
    async def test_bad_load__gets_400(self, client: Client, body: dict[str, Any]) -> None:
        assert (await client.post("/_mockpbx/scenario", json=body)).status == 400

    async def test_reset__keeps_the_loaded_scenario(self, client: Client) -> None:
        await client.post("/_mockpbx/scenario", json={"name": "midnight"})
        await client.post("/_mockpbx/reset")
        assert (await _json(await client.get("/_mockpbx/health")))["scenario"] == "midnight"


class TestTruth:
    async def test_calls__carry_each_faces_ids(self, client: Client, state: ServerState) -> None:
        body = await _json(await client.get("/_mockpbx/truth/calls?from=2026-05-13&to=2026-05-14"))
        assert body["count"] == len(body["calls"]) > 10
        call = body["calls"][0]
        assert call["ids"]["uis"]["call_session_id"] == call["id"]
        assert call["ids"]["mango"]["entry_id"]
        assert call["ids"]["clinic"] is None

    async def test_calls__match_the_uis_report(self, client: Client, state: ServerState) -> None:
        """The truth lists exactly the calls the UIS face reports for a closed day."""
        truth = await _json(await client.get("/_mockpbx/truth/calls?from=2026-05-13&to=2026-05-14"))
        rpc = {"jsonrpc": "2.0", "id": 1, "method": "get.calls_report", "params": {
            "access_token": state.credentials.uis_access_token, "fields": ["id"],
            "date_from": "2026-05-13 00:00:00", "date_till": "2026-05-13 23:59:59"}}  # fmt: skip
        report = await _json(await client.post("/uis/dataapi/v2.0", json=rpc))
        assert sorted(r["id"] for r in report["result"]["data"]) == sorted(
            c["id"] for c in truth["calls"]
        )

    async def test_clinic__has_every_section(self, client: Client) -> None:
        body = await _json(await client.get("/_mockpbx/truth/clinic?from=2026-05-12&to=2026-05-14"))
        for key in ("patients", "comments", "appointments", "visits", "doctors", "ad_spend"):
            assert body[key], key

    @pytest.mark.parametrize(
        "query",
        ["from=yesterday", "from=2026-05-14T00:00:00", "from=2026-05-14&to=2026-05-13",
         "clinic_id=x", "colour=red"],
    )  # fmt: skip
    async def test_bad_period__gets_400(self, client: Client, query: str) -> None:
        assert (await client.get(f"/_mockpbx/truth/calls?{query}")).status == 400


class TestOpenApi:
    async def test_document__is_served(self, client: Client) -> None:
        body = await _json(await client.get("/_mockpbx/openapi.json"))
        assert body["openapi"].startswith("3.1")
        assert "/_mockpbx/faults" in body["paths"]

    def test_document__describes_every_control_route(self, state: ServerState) -> None:
        app = create_control(state)
        described = {
            (path.removeprefix("/_mockpbx"), method.upper())
            for path, ops in document()["paths"].items()
            for method in ops
        }
        registered = {
            (r.resource.canonical, r.method)
            for r in app.router.routes()
            if r.resource is not None and r.method != "HEAD"
        }
        assert registered - described == set()
