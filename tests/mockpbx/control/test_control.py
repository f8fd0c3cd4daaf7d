"""The /_mockpbx/ control plane through the aiohttp app."""

from __future__ import annotations

from datetime import datetime

import pytest
from aiohttp.test_utils import TestClient

from mockpbx.state import ServerState


async def test_health__reports_ok(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await client.get("/_mockpbx/health")
    assert resp.status == 200
    assert (await resp.json())["status"] == "ok"


async def test_credentials__give_absolute_urls_for_every_face(client: TestClient) -> None:  # type: ignore[type-arg]
    body = await (await client.get("/_mockpbx/credentials")).json()
    origin = str(client.make_url("/"))[:-1]
    assert body["uis"]["data_api_url"] == f"{origin}/uis/dataapi/v2.0"
    assert body["uis"]["call_api_url"] == f"{origin}/uis/callapi/v4.0"
    assert body["mango"]["url"].startswith(origin)
    assert body["clinic"]["url"].startswith(origin)
    assert len(body["uis"]["access_token"]) >= 32
    assert {"login", "password"} <= set(body["uis"])
    assert {"api_key", "api_salt"} <= set(body["mango"])
    assert body["clinic"]["key"]


class TestClock:
    async def test_get__gives_an_aware_time_and_rate(self, client: TestClient) -> None:  # type: ignore[type-arg]
        body = await (await client.get("/_mockpbx/clock")).json()
        assert datetime.fromisoformat(body["now"]).utcoffset() is not None
        assert body["rate"] == 0

    async def test_advance__moves_the_clock(self, client: TestClient) -> None:  # type: ignore[type-arg]
        before = datetime.fromisoformat((await (await client.get("/_mockpbx/clock")).json())["now"])
        resp = await client.post("/_mockpbx/clock", json={"advance_seconds": 3600})
        after = datetime.fromisoformat((await resp.json())["now"])
        assert (after - before).total_seconds() == 3600

    async def test_set_and_rate(self, client: TestClient) -> None:  # type: ignore[type-arg]
        resp = await client.post(
            "/_mockpbx/clock", json={"set": "2026-06-01T09:00:00+03:00", "rate": 0}
        )
        assert (await resp.json())["now"] == "2026-06-01T09:00:00+03:00"

    @pytest.mark.parametrize(
        ("body", "fragment"),
        [
            ({"advance_seconds": -5}, "backwards"),
            ({"set": "2020-01-01T00:00:00+03:00"}, "backwards"),
            ({"set": "2030-01-01T00:00:00"}, "offset"),
            ({"set": "yesterday"}, "ISO 8601"),
            ({"rate": "fast"}, "rate"),
            ({"speed": 2}, "expected"),
        ],
    )
    async def test_bad_requests__get_400_naming_the_problem(
        self,
        client: TestClient,  # type: ignore[type-arg]
        body: dict[str, object],
        fragment: str,
    ) -> None:
        resp = await client.post("/_mockpbx/clock", json=body)
        assert resp.status == 400
        assert fragment in (await resp.json())["error"]

    async def test_broken_json__gets_400(self, client: TestClient) -> None:  # type: ignore[type-arg]
        resp = await client.post("/_mockpbx/clock", data=b"{nope")
        assert resp.status == 400


async def test_reset__rewinds_the_clock_to_the_start(
    client: TestClient,  # type: ignore[type-arg]
    state: ServerState,
) -> None:
    start = (await (await client.get("/_mockpbx/clock")).json())["now"]
    await client.post("/_mockpbx/clock", json={"advance_seconds": 7200})
    await client.post("/_mockpbx/reset")
    assert (await (await client.get("/_mockpbx/clock")).json())["now"] == start


async def test_journal__bad_filter_is_refused(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await client.get("/_mockpbx/journal", params={"since": "x"})
    assert resp.status == 400


async def test_oversized_body__is_refused(client: TestClient) -> None:  # type: ignore[type-arg]
    import io

    resp = await client.post("/_mockpbx/clock", data=io.BytesIO(b"x" * (5 * 1024 * 1024)))
    assert resp.status == 413
