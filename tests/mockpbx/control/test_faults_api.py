"""/_mockpbx/faults through the app, hitting the real UIS and clinic faces."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from mockpbx.state import ServerState

Client = TestClient  # type: ignore[type-arg]

REPORT = "get.calls_report"


async def _report(client: Client, state: ServerState, **params: Any) -> Any:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": REPORT,
        "params": {
            "access_token": state.credentials.uis_access_token,
            "date_from": "2026-05-13 00:00:00",
            "date_till": "2026-05-14 00:00:00",
            **params,
        },
    }
    return await client.post("/uis/dataapi/v2.0", json=body)


async def _add(client: Client, **fault: Any) -> dict[str, Any]:
    resp = await client.post("/_mockpbx/faults", json=fault)
    assert resp.status == 201, await resp.text()
    return await resp.json()  # type: ignore[no-any-return]


class TestManaging:
    async def test_post__returns_an_id_and_get_lists_it(self, client: Client) -> None:
        fault = await _add(client, face="uis", method=REPORT, kind="rate_limit", count=2)
        listed = (await (await client.get("/_mockpbx/faults")).json())["faults"]
        assert [f["id"] for f in listed] == [fault["id"]]
        assert listed[0]["remaining"] == 2

    async def test_delete_one__removes_only_it(self, client: Client) -> None:
        a = await _add(client, face="uis", kind="latency", seconds=0)
        b = await _add(client, face="uis", kind="reset", count=1)
        assert (await client.delete(f"/_mockpbx/faults/{a['id']}")).status == 200
        listed = (await (await client.get("/_mockpbx/faults")).json())["faults"]
        assert [f["id"] for f in listed] == [b["id"]]

    async def test_delete_all__clears(self, client: Client) -> None:
        await _add(client, face="uis", kind="latency", seconds=0)
        resp = await client.delete("/_mockpbx/faults")
        assert (await resp.json())["cleared"] == 1
        assert (await (await client.get("/_mockpbx/faults")).json())["faults"] == []

    async def test_delete_unknown__is_404(self, client: Client) -> None:
        assert (await client.delete("/_mockpbx/faults/99")).status == 404

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"face": "uis", "kind": "explode"}, "kind"),
            ({"kind": "latency"}, "face"),
            ({"face": "uis", "kind": "http_status", "status": 200}, "status"),
            ({"face": "uis", "kind": "latency", "probability": 2}, "probability"),
            ({"face": "uis", "kind": "latency", "window": {"from": "soon"}}, "window.from"),
            ({"face": "uis", "kind": "latency", "colour": "red"}, "colour"),
        ],
    )
    async def test_bad_fault__gets_400_naming_the_field(
        self, client: Client, body: dict[str, Any], field: str
    ) -> None:
        resp = await client.post("/_mockpbx/faults", json=body)
        assert resp.status == 400
        assert (await resp.json())["field"] == field

    async def test_window_ending_before_it_starts__is_refused(self, client: Client) -> None:
        body = {"face": "uis", "kind": "reset", "window": {"from": "+2h", "to": "+1h"}}
        assert (await client.post("/_mockpbx/faults", json=body)).status == 400

    async def test_reset__forgets_posted_faults(self, client: Client) -> None:
        await _add(client, face="uis", kind="reset")
        await client.post("/_mockpbx/reset")
        assert (await (await client.get("/_mockpbx/faults")).json())["faults"] == []


class TestKindsOverHttp:
    async def test_http_status__answers_that_status(
        self, client: Client, state: ServerState
    ) -> None:
        await _add(client, face="uis", method=REPORT, kind="http_status", status=502, count=1)
        assert (await _report(client, state)).status == 502
        assert (await _report(client, state)).status == 200

    async def test_rate_limit__answers_429_with_retry_after(
        self, client: Client, state: ServerState
    ) -> None:
        await _add(client, face="uis", kind="rate_limit", retry_after=7, count=1)
        resp = await _report(client, state)
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "7"

    async def test_provider_error__is_rendered_by_the_face(
        self, client: Client, state: ServerState
    ) -> None:
        await _add(client, face="uis", method="*", kind="provider_error", count=1)
        body = await (await _report(client, state)).json()
        assert body["error"]["code"] < 0
        assert "result" not in body

    async def test_expire_token__answers_like_an_expired_token(
        self, client: Client, state: ServerState
    ) -> None:
        await _add(client, face="uis", kind="expire_token", count=1)
        body = await (await _report(client, state)).json()
        assert body["error"]["code"] == -32001

    async def test_method_filter__spares_other_methods(
        self, client: Client, state: ServerState
    ) -> None:
        await _add(client, face="uis", method="get.employees", kind="http_status", status=503)
        assert (await _report(client, state)).status == 200

    async def test_face_filter__spares_other_faces(
        self, client: Client, state: ServerState
    ) -> None:
        await _add(client, face="mango", kind="http_status", status=503)
        assert (await _report(client, state)).status == 200

    async def test_window__hits_only_inside_the_virtual_clock_window(
        self, client: Client, state: ServerState
    ) -> None:
        await _add(client, face="uis", kind="http_status", window={"from": "+1h", "to": "+2h"})
        assert (await _report(client, state)).status == 200
        await client.post("/_mockpbx/clock", json={"advance_seconds": 3600})
        assert (await _report(client, state)).status == 503
        await client.post("/_mockpbx/clock", json={"advance_seconds": 3600})
        assert (await _report(client, state)).status == 200

    async def test_probability__hits_about_that_share(
        self, client: Client, state: ServerState
    ) -> None:
        await _add(client, face="uis", kind="http_status", probability=0.5)
        statuses = [(await _report(client, state)).status for _ in range(40)]
        assert 5 < statuses.count(503) < 35

    async def test_duplicate_rows__repeat_rows_across_pages(
        self, client: Client, state: ServerState
    ) -> None:
        """Two rows arrive after the first page: the second repeats its last two, at `limit`."""
        await _add(client, face="uis", kind="duplicate_rows", rows=2, count=1)
        first = (await (await _report(client, state, limit=5)).json())["result"]["data"]
        second = await (await _report(client, state, limit=5, offset=5)).json()
        ids = [row["id"] for row in second["result"]["data"]]
        assert len(ids) == 5
        assert ids[:2] == [row["id"] for row in first[-2:]]

    async def test_journal__records_the_fault(self, client: Client, state: ServerState) -> None:
        await _add(client, face="uis", kind="rate_limit", count=1)
        await _report(client, state)
        entries = (await (await client.get("/_mockpbx/journal?face=uis")).json())["entries"]
        assert entries[-1]["fault"] == "rate_limit"

    async def test_mango_face__gets_faults_too(self, client: Client, state: ServerState) -> None:
        from mockpbx.providers.mango.signing import form_body

        creds = state.credentials
        _, body = form_body(creds.mango_api_key, creds.mango_api_salt, {})
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        url = "/mango/vpbx/config/users/request"
        assert (await client.post(url, data=body, headers=headers)).status == 200
        await _add(client, face="mango", method="config/users/request", kind="http_status",
                   status=502, count=1)  # fmt: skip
        assert (await client.post(url, data=body, headers=headers)).status == 502

    async def test_faults_scenario__installs_its_faults(self, client: Client) -> None:
        await client.post("/_mockpbx/scenario", json={"name": "faults"})
        listed = (await (await client.get("/_mockpbx/faults")).json())["faults"]
        assert {f["kind"] for f in listed} >= {"rate_limit", "expire_token", "late_rows"}

    async def test_clinic_face__gets_faults_too(self, client: Client, state: ServerState) -> None:
        await _add(client, face="clinic", method="*", kind="http_status", status=500, count=1)
        headers = {"IDENT-Integration-Key": state.credentials.clinic_key}
        resp = await client.get("/clinic/v1/GetOngoingCalls", headers=headers)
        assert resp.status == 500
