"""Transport and auth of the Mango face: form fields, signature, errors, limits, faults, journal."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from mockpbx.providers.mango.options import MangoOptions
from mockpbx.state import ProviderErrorFault, TokenExpiredFault

from .conftest import MangoClient


class TestForm:
    async def test_urlencoded__is_accepted(self, mango: MangoClient) -> None:
        body = await mango.json("incominglines")
        assert body["result"] == 1000
        assert body["lines"]

    async def test_multipart__is_accepted(self, mango: MangoClient) -> None:
        resp = await mango.post_multipart("incominglines", {})
        assert resp.status == 200
        assert (await resp.json())["result"] == 1000

    async def test_response__carries_a_request_id(self, mango: MangoClient) -> None:
        resp = await mango.post("incominglines", {})
        assert len(resp.headers["X-Uuid"]) == 36

    async def test_trailing_slash__is_ignored(self, mango: MangoClient) -> None:
        resp = await mango.post("incominglines/", {})
        assert resp.status == 200

    async def test_unknown_optional_fields__are_ignored(self, mango: MangoClient) -> None:
        """Third-party clients send misspelt optional fields; the real API ignores them."""
        body = await mango.json("groups", {"show_user": 1, "opertor_id": "x"})
        assert body["result"] == 1000

    async def test_signature__is_verified_over_the_raw_json(self, mango: MangoClient) -> None:
        """Whitespace in `json` is signed as sent; a re-serialised object would not match."""
        raw = '{ "show_users" : 1 }'
        resp = await mango.http.post("/mango/vpbx/groups", data=mango.form(raw))
        assert resp.status == 200
        assert (await resp.json())["groups"][0]["operators"]


class TestAuthErrors:
    async def test_wrong_key__is_401_3105(self, mango: MangoClient) -> None:
        form = mango.form({})
        form["vpbx_api_key"] = "nokey"
        resp = await mango.http.post("/mango/vpbx/incominglines", data=form)
        assert resp.status == 401
        assert (await resp.json())["result"] == 3105

    async def test_wrong_sign__is_401_3102(self, mango: MangoClient) -> None:
        form = mango.form({})
        form["sign"] = "0" * 64
        resp = await mango.http.post("/mango/vpbx/incominglines", data=form)
        assert resp.status == 401
        assert (await resp.json())["result"] == 3102

    async def test_wrong_sign__as_result_code__when_configured(self, mango: MangoClient) -> None:
        mango.state.options["mango"] = MangoOptions(auth_error="result", result_as_string=True)
        form = mango.form({})
        form["sign"] = "0" * 64
        resp = await mango.http.post("/mango/vpbx/incominglines", data=form)
        assert resp.status == 200
        assert (await resp.json())["result"] == "3102"

    async def test_wrong_sign__legacy_420(self, mango: MangoClient) -> None:
        mango.state.options["mango"] = MangoOptions(auth_error="legacy")
        form = mango.form({})
        form["sign"] = "0" * 64
        resp = await mango.http.post("/mango/vpbx/incominglines", data=form)
        assert resp.status == 420
        assert await resp.json() == {"code": 3102}


class TestBadRequests:
    async def test_get__is_3101(self, mango: MangoClient) -> None:
        resp = await mango.http.get("/mango/vpbx/incominglines")
        assert resp.status == 200
        assert (await resp.json())["result"] == 3101

    @pytest.mark.parametrize("missing", ["vpbx_api_key", "sign", "json"])
    async def test_missing_field__is_3103(self, mango: MangoClient, missing: str) -> None:
        form = mango.form({})
        del form[missing]
        resp = await mango.http.post("/mango/vpbx/incominglines", data=form)
        body = await resp.json()
        assert body["result"] == 3103
        assert missing in body["message"]

    async def test_broken_json__is_3400(self, mango: MangoClient) -> None:
        resp = await mango.post("incominglines", "{not json")
        assert (await resp.json())["result"] == 3400

    async def test_json_array__is_3104(self, mango: MangoClient) -> None:
        resp = await mango.post("incominglines", "[1,2]")
        assert (await resp.json())["result"] == 3104

    async def test_missing_param__names_the_field(self, mango: MangoClient) -> None:
        resp = await mango.post("commands/callback", {"command_id": "c1", "to_number": "7916"})
        body = await resp.json()
        assert body["result"] == 3103
        assert "from" in body["message"]

    async def test_legacy_error_style__is_420_with_code(self, mango: MangoClient) -> None:
        mango.state.options["mango"] = MangoOptions(error_style="legacy")
        resp = await mango.post("incominglines", "{not json")
        assert resp.status == 420
        assert await resp.json() == {"code": 3400}

    async def test_unknown_method__is_404(self, mango: MangoClient) -> None:
        resp = await mango.post("calls/current", {})
        assert resp.status == 404
        assert (await resp.json())["result"] == 4001


class TestLimits:
    async def test_rate_limit__is_429_with_the_documented_body(self, mango: MangoClient) -> None:
        """config/users/request allows one request per 2 s per product."""
        first = await mango.post("config/users/request", {})
        second = await mango.post("config/users/request", {})
        assert first.status == 200
        assert second.status == 429
        assert await second.json() == {
            "name": "Service Unavailable",
            "message": "Rate limit exceeded.",
            "code": 0,
            "status": 429,
        }

    async def test_rate_limit__can_be_switched_off(self, mango: MangoClient) -> None:
        mango.state.options["mango"] = MangoOptions(rate_limits=False)
        statuses = [(await mango.post("config/users/request", {})).status for _ in range(3)]
        assert statuses == [200, 200, 200]

    async def test_rate_limit_overrides__lift_one_limit_and_change_another(
        self, mango: MangoClient
    ) -> None:
        overrides = {"config/users/request": None, "incominglines": (2, 60)}
        mango.state.options["mango"] = MangoOptions(rate_limit_overrides=overrides)
        users = [(await mango.post("config/users/request", {})).status for _ in range(3)]
        lines = [(await mango.post("incominglines", {})).status for _ in range(3)]
        assert users == [200, 200, 200]
        assert lines == [200, 200, 429]

    async def test_rate_limit_overrides__set_over_the_control_plane(
        self, mango: MangoClient
    ) -> None:
        """JSON has no tuples: [requests, seconds] lists and null come through the options."""
        opts = MangoOptions.model_validate(
            {"rate_limit_overrides": {"stats/calls/request": None, "incominglines": [1, 5]}}
        )
        assert opts.rate_limit_overrides == {"stats/calls/request": None, "incominglines": (1, 5)}

    async def test_lockout__second_bad_request_within_two_minutes_is_401(
        self, mango: MangoClient
    ) -> None:
        mango.state.options["mango"] = MangoOptions(bad_request_lockout=True)
        first = await mango.post("incominglines", "{bad")
        second = await mango.post("incominglines", "{bad")
        good_while_blocked = await mango.post("incominglines", {})
        assert first.status == 200
        assert second.status == 401
        assert good_while_blocked.status == 401
        mango.advance(121)
        assert (await mango.post("incominglines", {})).status == 200


class _Faults:
    def __init__(self, exc: Exception | None = None, response: web.Response | None = None) -> None:
        self.exc, self.response = exc, response
        self.calls: list[tuple[str, str]] = []

    async def intercept(self, request: Any, face: str, method: str) -> web.Response | None:
        self.calls.append((face, method))
        if self.exc is not None:
            raise self.exc
        return self.response


class TestFaultHook:
    async def test_hook__sees_face_and_method(self, mango: MangoClient) -> None:
        faults = _Faults()
        mango.state.faults = faults
        await mango.post("stats/calls/result/", {"key": "x"})
        assert faults.calls == [("mango", "stats/calls/result")]

    async def test_provider_error__is_rendered_in_mango_shape(self, mango: MangoClient) -> None:
        mango.state.faults = _Faults(ProviderErrorFault(5003, "technical problems"))
        resp = await mango.post("incominglines", {})
        assert await resp.json() == {"result": 5003, "message": "technical problems"}

    async def test_token_expired__is_an_auth_error(self, mango: MangoClient) -> None:
        mango.state.faults = _Faults(TokenExpiredFault())
        resp = await mango.post("incominglines", {})
        assert resp.status == 401

    async def test_returned_response__is_sent_as_is(self, mango: MangoClient) -> None:
        mango.state.faults = _Faults(response=web.Response(status=503))
        assert (await mango.post("incominglines", {})).status == 503


class TestJournal:
    async def test_requests__are_journaled_with_face_method_and_error(
        self, mango: MangoClient
    ) -> None:
        await mango.post("incominglines", {})
        await mango.post("sips", "{bad")
        entries = list(mango.state.journal.entries(face="mango"))
        assert [(e.method, e.status) for e in entries] == [("incominglines", 200), ("sips", 200)]
        assert entries[0].error is None
        assert (entries[1].error or "").startswith("3400")
