"""Click-to-call: the callto: link, and callbacks that always ring the employee first."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from click.testing import CliRunner

from adapter.cli import main
from adapter.dialer import callto_link, dial
from adapter.errors import ConfigError
from adapter.providers.base import RetryPolicy
from adapter.providers.mango import MangoClient, MangoSettings
from adapter.providers.uis import UisClient, UisSettings

FAST = RetryPolicy(attempts=1, initial=0.0, maximum=0.0, timeout=5)


def test_callto_link__is_e164() -> None:
    assert callto_link("8 (916) 123-45-67") == "callto:+79161234567"
    with pytest.raises(ConfigError):
        callto_link("  ")


async def test_dial__without_provider_gives_the_link() -> None:
    result = await dial(None, "89161234567", employee_id="27")
    assert not result.started
    assert result.callto == "callto:+79161234567"
    assert "no provider" in result.message


async def test_dial__uis_without_call_api_gives_the_link_and_says_why() -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(500))) as h:
        uis = UisClient(h, UisSettings(data_api_url="https://d.test", access_token="t"), retry=FAST)
        result = await dial(uis, "+79161234567", employee_id="27")
    assert not result.started
    assert "uis (as configured) cannot start a callback" in result.message
    assert result.callto == "callto:+79161234567"


async def test_dial__uis_rings_the_employee_first() -> None:
    seen: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        data = {"call_session_id": 777}
        return httpx.Response(
            200, json={"jsonrpc": "2.0", "id": body["id"], "result": {"data": data}}
        )

    settings = UisSettings(
        data_api_url="https://d.test", call_api_url="https://c.test", access_token="t",
        virtual_number="74951234567",
    )  # fmt: skip
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as h:
        result = await dial(UisClient(h, settings, retry=FAST), "+79161234567", employee_id="27")
    assert result.started
    assert result.request_id == "777"
    assert result.first_call == "employee"
    params = seen[0]["params"]
    assert seen[0]["method"] == "start.employee_call"
    assert params["first_call"] == "employee"
    assert params["employee"] == {"id": 27}
    assert params["contact"] == "79161234567"


async def test_dial__mango_calls_back_from_the_employees_extension() -> None:
    seen: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        seen.append({"url": str(request.url), "json": json.loads(form["json"][0])})
        return httpx.Response(200, json={"result": 1000})

    settings = MangoSettings(url="https://m.test/vpbx/", api_key="k", api_salt="s")
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as h:
        result = await dial(MangoClient(h, settings, retry=FAST), "89161234567", employee_id="101")
    assert result.started
    assert seen[0]["url"].endswith("commands/callback")
    assert seen[0]["json"]["from"] == {"extension": "101"}
    assert seen[0]["json"]["to_number"] == "79161234567"


def test_cli_call__without_provider_prints_the_link() -> None:
    result = CliRunner().invoke(
        main, ["call", "+79161234567", "--employee", "27", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["callto"] == "callto:+79161234567"
    assert body["started"] is False
