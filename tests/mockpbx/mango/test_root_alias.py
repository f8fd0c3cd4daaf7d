"""The Mango face at the root `/vpbx/...` (the real base URL's path) as well as `/mango/vpbx/...`.

Some clients join `/vpbx/<method>` to the host and drop the base URL's path;
the alias serves them with the same handlers, journal face, faults and limits.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from mockpbx.core.model import CallKind, LegRole
from mockpbx.providers.mango.options import MangoOptions
from mockpbx.state import ProviderErrorFault

from .conftest import MangoClient

PREFIXES = ("/mango/vpbx/", "/vpbx/")


async def _post(mango: MangoClient, prefix: str, method: str, params: dict[str, Any]) -> Any:
    return await mango.http.post(prefix + method, data=mango.form(params))


async def _json(mango: MangoClient, prefix: str, method: str, params: dict[str, Any]) -> Any:
    resp = await _post(mango, prefix, method, params)
    assert resp.status == 200, await resp.text()
    return await resp.json()


class TestRootAlias:
    @pytest.mark.parametrize("prefix", PREFIXES)
    async def test_callback__rings_the_employee_first(
        self, mango: MangoClient, prefix: str
    ) -> None:
        world = mango.state.world
        emp = world.employees[0]
        params = {
            "command_id": "c1",
            "from": {"extension": emp.extension},
            "to_number": "79035550009",
        }
        body = await _json(mango, prefix, "commands/callback", params)
        call = world.live_calls()[-1]
        assert body == {"result": 1000}
        assert call.kind is CallKind.CALLBACK
        assert call.legs[0].role is LegRole.EMPLOYEE
        assert call.contact_number == "79035550009"

    async def test_stats_calls__same_answer_under_both_prefixes(self, mango: MangoClient) -> None:
        mango.state.options["mango"] = MangoOptions(rate_limits=False)
        day = mango.state.world.today() - timedelta(days=1)
        params = {
            "start_date": day.strftime("%d.%m.%Y 00:00:00"),
            "end_date": day.strftime("%d.%m.%Y 23:59:59"),
            "limit": 1000,
            "offset": 0,
        }
        answers = []
        for prefix in PREFIXES:
            key = (await _json(mango, prefix, "stats/calls/request", params))["key"]
            answers.append(await _json(mango, prefix, "stats/calls/result/", {"key": key}))
        assert answers[0]["status"] == "complete"
        assert answers[0]["data"], "yesterday had calls"
        assert answers[1] == answers[0]

    async def test_key_from_one_prefix__is_served_at_the_other(self, mango: MangoClient) -> None:
        world = mango.state.world
        start = world.day_start(world.today() - timedelta(days=1))
        key = (
            await _json(
                mango,
                "/mango/vpbx/",
                "stats/request",
                {"date_from": start, "date_to": start + 86399},
            )
        )["key"]
        resp = await _post(mango, "/vpbx/", "stats/result", {"key": key})
        assert resp.status == 200
        assert (await resp.text()).count("\n") + 1 == len(world.history(start, start + 86400))

    async def test_journal__face_mango_with_the_root_path(self, mango: MangoClient) -> None:
        await _post(mango, "/vpbx/", "incominglines", {})
        entries = list(mango.state.journal.entries(face="mango"))
        assert [(e.method, e.path, e.status) for e in entries] == [
            ("incominglines", "/vpbx/incominglines", 200)
        ]

    async def test_rate_limit__is_shared_with_the_mango_prefix(self, mango: MangoClient) -> None:
        """config/users/request allows one request per 2 s per product, whatever the path."""
        first = await _post(mango, "/mango/vpbx/", "config/users/request", {})
        second = await _post(mango, "/vpbx/", "config/users/request", {})
        assert (first.status, second.status) == (200, 429)

    async def test_faults__apply_at_the_root(self, mango: MangoClient) -> None:
        class Faults:
            async def intercept(self, request: Any, face: str, method: str) -> None:
                assert (face, method) == ("mango", "incominglines")
                raise ProviderErrorFault(5003, "technical problems")

        mango.state.faults = Faults()
        resp = await _post(mango, "/vpbx/", "incominglines", {})
        assert await resp.json() == {"result": 5003, "message": "technical problems"}

    async def test_errors__in_mango_shape_at_the_root(self, mango: MangoClient) -> None:
        form = mango.form({})
        form["sign"] = "0" * 64
        bad_sign = await mango.http.post("/vpbx/incominglines", data=form)
        get = await mango.http.get("/vpbx/incominglines")
        assert (bad_sign.status, (await bad_sign.json())["result"]) == (401, 3102)
        assert (await get.json())["result"] == 3101

    async def test_credentials__still_give_the_mango_prefix(self, mango: MangoClient) -> None:
        body = await (await mango.http.get("/_mockpbx/credentials")).json()
        assert body["mango"]["url"].endswith("/mango/vpbx/")

    async def test_uis_media_routes__are_unaffected(self, mango: MangoClient) -> None:
        """The UIS public links still reach the UIS handler at the root."""
        for path in ("/system/media/talk/1/abcdef", "/media/1/abcdef"):
            assert (await mango.http.get(path)).status == 404
        entries = list(mango.state.journal.entries(face="uis"))
        assert [(e.method, e.error) for e in entries] == [("media.recording", "not_found")] * 2
        assert not list(mango.state.journal.entries(face="mango"))
