"""A scenario file may name the Mango integrator's webhook URL."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient
from pydantic import ValidationError

from mockpbx.app import create_app, create_state
from mockpbx.scenarios.loader import parse_scenario
from mockpbx.scenarios.model import Scenario
from mockpbx.testing import DEFAULT_START


async def test_scenario_webhook__is_the_url_in_effect(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    scenario = parse_scenario("name: hooked\nmango_webhook: http://127.0.0.1:9/hooks\n")
    state = create_state(seed=1, start=DEFAULT_START, scenario=scenario)
    client: TestClient = await aiohttp_client(create_app(state))  # type: ignore[type-arg]
    body = await (await client.get("/_mockpbx/mango/webhook")).json()
    assert "http://127.0.0.1:9/hooks" in body.values()
    assert "scenario" in body.values()


def test_scenario_webhook__must_be_an_http_url() -> None:
    with pytest.raises(ValidationError):
        Scenario(mango_webhook="ftp://example")
