"""config/users/request, incominglines, sips, groups, trunks/numbers, balance, call tracking."""

from __future__ import annotations

from mockpbx.core.model import Call, NumberType
from mockpbx.providers.mango.options import MangoOptions

from .conftest import MangoClient


class TestUsers:
    async def test_users__every_employee_with_extension_and_sip(self, mango: MangoClient) -> None:
        world = mango.state.world
        body = await mango.json("config/users/request", {})
        assert "result" not in body  # as in the doc example
        users = body["users"]
        assert [u["telephony"]["extension"] for u in users] == [
            e.extension for e in world.employees
        ]
        first = users[0]
        assert first["general"]["name"] == world.employees[0].full_name
        assert first["telephony"]["numbers"][0]["protocol"] == "sip"
        assert "user_id" not in first["general"]

    async def test_users__one_extension_with_ext_fields(self, mango: MangoClient) -> None:
        emp = mango.state.world.employees[1]
        params = {
            "extension": emp.extension,
            "ext_fields": ["general.user_id", "general.sips", "groups"],
        }
        (user,) = (await mango.json("config/users/request", params))["users"]
        assert user["general"]["user_id"] == emp.mango_user_id
        assert user["general"]["sips"][0]["number"].endswith(mango.state.world.account.sip_domain)
        assert user["groups"] == [10_051_001]


class TestLists:
    async def test_incominglines__are_the_virtual_numbers(self, mango: MangoClient) -> None:
        body = await mango.json("incominglines", {})
        assert [ln["number"] for ln in body["lines"]] == [
            n.number for n in mango.state.world.numbers
        ]

    async def test_sips__per_employee(self, mango: MangoClient) -> None:
        world = mango.state.world
        body = await mango.json("sips", {})
        logins = {s["login"] for d in body["data"] for s in d["sips"]}
        assert logins == {ln.login for ln in world.sip_lines}

    async def test_groups__with_operators(self, mango: MangoClient) -> None:
        world = mango.state.world
        body = await mango.json("groups", {"show_users": 1})
        (group,) = body["groups"]
        admins = [e for e in world.employees if e.role == "administrator"]
        assert [o["extension"] for o in group["operators"]] == [e.extension for e in admins]

    async def test_groups__filter_by_operator(self, mango: MangoClient) -> None:
        assert (await mango.json("groups", {"operator_extension": "999"}))["groups"] == []

    async def test_trunks__none_in_the_world(self, mango: MangoClient) -> None:
        assert await mango.json("trunks/numbers", {}) == {"result": 1000, "data": []}


class TestBalance:
    async def test_balance__result_and_the_configured_amount(self, mango: MangoClient) -> None:
        """The shape is inferred: a third-party client reads `balance`."""
        assert await mango.json("account/balance", {}) == {"result": 1000, "balance": 10000.0}
        mango.state.options["mango"] = MangoOptions(balance=12.5)
        assert await mango.json("account/balance", {}) == {"result": 1000, "balance": 12.5}

    async def test_balance__is_limited_to_two_per_second(self, mango: MangoClient) -> None:
        statuses = [(await mango.post("account/balance", {})).status for _ in range(3)]
        assert statuses == [200, 200, 429]

    async def test_balance__needs_a_signed_post(self, mango: MangoClient) -> None:
        form = mango.form({})
        form["sign"] = "0" * 64
        resp = await mango.http.post("/mango/vpbx/account/balance", data=form)
        assert (resp.status, (await resp.json())["result"]) == (401, 3102)


def _tracked_call(mango: MangoClient) -> Call:
    world = mango.state.world
    now = world.now()
    calls = [c for c in world.store.between(now - 86400, now) if c.visit is not None]
    return calls[-1]


class TestCallTracking:
    async def test_user_info__the_visitor_with_utm(self, mango: MangoClient) -> None:
        call = _tracked_call(mango)
        assert call.visit is not None
        body = await mango.json("queries/user_info_by_dct_number", {"number": call.virtual_number})
        assert body["channel"]["source"] == call.visit.utm_source
        assert body["channel"]["medium"] == call.visit.utm_medium
        assert body["current_page"]["url"].startswith("https://")
        assert body["device"] == call.visit.device

    async def test_user_info__wrapped_in_data_when_configured(self, mango: MangoClient) -> None:
        mango.state.options["mango"] = MangoOptions(dct_info_wrapped=True)
        call = _tracked_call(mango)
        body = await mango.json("queries/user_info_by_dct_number", {"number": call.virtual_number})
        assert set(body) == {"data"}

    async def test_user_info__nobody_bound_is_empty(self, mango: MangoClient) -> None:
        va = next(n for n in mango.state.world.numbers if n.type is NumberType.VA)
        assert await mango.json("queries/user_info_by_dct_number", {"number": va.number}) == {}

    async def test_user_history__pages_of_the_visit(self, mango: MangoClient) -> None:
        call = _tracked_call(mango)
        assert call.visit is not None
        body = await mango.json(
            "queries/user_history_by_dct_number", {"number": call.virtual_number}
        )
        assert body["data"][0]["url"] == call.visit.entrance_page
        assert len(body["data"]) == 2

    async def test_number__is_required(self, mango: MangoClient) -> None:
        assert (await mango.json("queries/user_info_by_dct_number", {}))["result"] == 3103
