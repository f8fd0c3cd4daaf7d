"""Fuzzing both UIS APIs: whatever arrives, the answer is a JSON-RPC reply, never a 500."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockpbx.app import create_app, create_state
from mockpbx.core import actions
from mockpbx.providers.uis.callapi import CALL_METHODS
from mockpbx.providers.uis.dataapi import DATA_METHODS
from mockpbx.providers.uis.filters import OPERATORS
from mockpbx.providers.uis.schemas import catalog
from mockpbx.state import ServerState
from mockpbx.testing import DEFAULT_START

DATA = "/uis/dataapi/v2.0"
CALL = "/uis/callapi/v4.0"


# lone surrogates are not valid UTF-8 JSON: the server rightly answers parse_error to those
text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | text,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(sorted(catalog("get.calls_report"))) | st.text(max_size=8)
leaves = st.fixed_dictionaries(
    {"field": field_names, "operator": st.sampled_from(OPERATORS) | st.text(max_size=3)},
    optional={"value": json_values},
)
filters = st.recursive(
    leaves,
    lambda inner: st.fixed_dictionaries(
        {"filters": st.lists(inner, max_size=3)},
        optional={"condition": st.sampled_from(["and", "or", "xor"])},
    ),
    max_leaves=6,
)
dates = st.sampled_from(["2026-05-13 00:00:00", "2026-05-14 23:59:59", "2026-02-01 00:00:00"])
PARAM_VALUES: dict[str, Any] = {
    "limit": st.integers(-5, 12_000) | json_values,
    "offset": st.integers(-5, 120_000) | json_values,
    "filter": filters | json_values,
    "fields": st.lists(field_names, max_size=5) | json_values,
    "sort": st.lists(
        st.fixed_dictionaries({"field": field_names}, optional={"order": st.text(max_size=5)})
    )
    | json_values,
    "date_from": dates | json_values,
    "date_till": dates | json_values,
    "include_ongoing_calls": st.booleans() | json_values,
    "first_call": st.sampled_from(["employee", "contact", "operator"]) | json_values,
    "contact": st.sampled_from(["79161234567", "+7916", ""]) | json_values,
    "employee": st.fixed_dictionaries({"id": st.integers(0, 40)}) | json_values,
    "call_session_id": st.integers() | json_values,
    "leg_id": st.integers() | json_values,
}
methods = st.sampled_from(sorted({*DATA_METHODS, *CALL_METHODS})) | st.text(max_size=12)


@pytest.fixture
def post() -> Iterator[Any]:
    """A synchronous poster into a live app (hypothesis drives sync tests)."""
    loop = asyncio.new_event_loop()
    state = create_state(seed=1, start=DEFAULT_START, rate=0)
    client = TestClient(TestServer(create_app(state)), loop=loop)
    loop.run_until_complete(client.start_server())

    def send(path: str, body: bytes) -> tuple[int, Any, ServerState]:
        async def run() -> tuple[int, Any]:
            resp = await client.post(path, data=body)
            return resp.status, orjson.loads(await resp.read())

        status, doc = loop.run_until_complete(run())
        return status, doc, state

    send.token = state.credentials.uis_access_token.encode()  # type: ignore[attr-defined]
    world = state.world
    send.number = world.numbers[0].number  # type: ignore[attr-defined]
    send.employee = world.employees[0].id  # type: ignore[attr-defined]
    send.live_call = actions.start_callback(world, world.employees[0].id, "79160000000").id  # type: ignore[attr-defined]
    yield send
    loop.run_until_complete(client.close())
    loop.close()


def _assert_rpc_reply(status: int, doc: Any, state: ServerState) -> None:
    assert state.server_errors == []
    assert status == 200
    assert doc["jsonrpc"] == "2.0"
    assert ("result" in doc) != ("error" in doc)
    if "error" in doc:
        error = doc["error"]
        assert isinstance(error["code"], int)
        assert isinstance(error["message"], str)
        assert isinstance(error["data"]["mnemonic"], str)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from([DATA, CALL]),
    method=methods,
    params=st.dictionaries(
        st.sampled_from(sorted(PARAM_VALUES)) | st.text(max_size=6),
        json_values,
        max_size=5,
    ).flatmap(
        lambda d: st.fixed_dictionaries({k: PARAM_VALUES.get(k, st.just(v)) for k, v in d.items()})
    ),
    with_token=st.booleans(),
    rpc_id=st.integers(-(2**63), 2**63 - 1) | st.text(max_size=5),
)
def test_any_params__get_a_json_rpc_reply(
    post: Any, path: str, method: str, params: dict[str, Any], with_token: bool, rpc_id: Any
) -> None:
    if with_token:
        params["access_token"] = "__TOKEN__"
    body = json.dumps({"jsonrpc": "2.0", "id": rpc_id, "method": method, "params": params}).encode()
    status, doc, state = post(path, body.replace(b"__TOKEN__", post.token))
    _assert_rpc_reply(status, doc, state)
    assert doc["id"] == rpc_id, (body, doc)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_any_body__gets_a_json_rpc_reply(post: Any, body: bytes) -> None:
    status, doc, state = post(DATA, body)
    _assert_rpc_reply(status, doc, state)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(
        ["get.calls_report", "get.call_legs_report", "get.employees", "get.sip_lines"]
    ),
    extra=st.fixed_dictionaries(
        {},
        optional={
            key: PARAM_VALUES[key] for key in ("filter", "fields", "sort", "limit", "offset")
        },
    ),
)
def test_report_queries__get_a_json_rpc_reply(
    post: Any, method: str, extra: dict[str, Any]
) -> None:
    """Valid periods and token, fuzzed filter/fields/sort/paging: exercises the deep paths."""
    params = {"access_token": post.token.decode(), **extra}
    if method.endswith("_report"):
        params.update(date_from="2026-05-13 00:00:00", date_till="2026-05-13 23:59:59")
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    status, doc, state = post(DATA, body)
    _assert_rpc_reply(status, doc, state)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(sorted(CALL_METHODS)),
    overrides=st.dictionaries(st.sampled_from(sorted(PARAM_VALUES)), json_values, max_size=3),
    data=st.data(),
)
def test_call_api_commands__get_a_json_rpc_reply(
    post: Any, method: str, overrides: dict[str, Any], data: Any
) -> None:
    """Mostly valid Call API requests with a few members fuzzed: reaches the world's actions."""
    params: dict[str, Any] = {
        "access_token": post.token.decode(),
        "first_call": "employee",
        "virtual_phone_number": post.number,
        "contact": "79161234567",
        "employee": {"id": post.employee},
        "operator": "79031112233",
        "call_session_id": post.live_call,
        "leg_id": post.live_call * 10,
    }
    for key in overrides:
        params[key] = data.draw(PARAM_VALUES[key])
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    status, doc, state = post(CALL, body)
    _assert_rpc_reply(status, doc, state)
