"""Bad input of every shape gets a Mango-shaped answer: never a 500, never a traceback."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockpbx.providers.mango.options import MangoOptions
from mockpbx.providers.mango.routes import METHODS

from .conftest import MangoClient

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
_FIELDS = [
    "command_id", "from", "to", "to_number", "line_number", "call_id", "method", "initiator",
    "call_party_number", "date_from", "date_to", "fields", "call_party", "key", "start_date",
    "end_date", "limit", "offset", "context_type", "user_ids", "recording_id", "action",
    "number", "extension", "ext_fields", "group_id", "show_users", "sip_headers",
]  # fmt: skip
_params = st.dictionaries(st.sampled_from(_FIELDS), _json, max_size=6)


@pytest.mark.parametrize("method", sorted(METHODS))
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(params=_params)
async def test_any_params__never_a_server_error(
    mango: MangoClient, method: str, params: dict[str, Any]
) -> None:
    mango.state.options["mango"] = MangoOptions(rate_limits=False)
    text = (
        orjson.dumps(params, option=orjson.OPT_NON_STR_KEYS).decode() if _encodable(params) else "{"
    )
    resp = await mango.post(method, text, allow_redirects=False)
    assert resp.status < 500, await resp.text()
    assert mango.state.server_errors == []


def _encodable(params: Any) -> bool:
    try:
        orjson.dumps(params)
    except (orjson.JSONEncodeError, TypeError):
        return False
    return True


@pytest.mark.parametrize(
    "path",
    [
        "/mango/vpbx/queries/recording/link/x/play/k/1/zz",
        "/mango/vpbx/queries/recording/link/%00/download/k/99999999999999999999/ab",
        "/mango/vpbx/queries/recording/link/" + "a" * 500,
        "/mango/files/nope",
    ],
)
async def test_bad_links__never_a_server_error(mango: MangoClient, path: str) -> None:
    resp = await mango.http.get(path, allow_redirects=False)
    assert resp.status < 500
    assert mango.state.server_errors == []


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("stats/request", {"date_from": 10**15, "date_to": 10**15 + 10}),
        ("stats/request", {"date_from": -(10**12), "date_to": -(10**12) + 10}),
        (
            "stats/calls/request",
            {"start_date": "01.01.9999", "end_date": "02.01.9999", "limit": 5, "offset": 0},
        ),
        (
            "stats/calls/request",
            {"start_date": "01.01.0001", "end_date": "02.01.0001", "limit": 5, "offset": 0},
        ),
        ("commands/call/hangup", {"call_id": "MTo5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OToyMjE6MQ=="}),
        ("queries/recording/post", {"recording_id": "MTotMTo1MDA5OjE="}),
    ],
)
async def test_extreme_values__are_refused_cleanly(
    mango: MangoClient, method: str, params: dict[str, Any]
) -> None:
    resp = await mango.post(method, params)
    assert resp.status < 500, await resp.text()
    if method.startswith("stats/"):
        key = (await resp.json()).get("key")
        if key:
            again = await mango.post(method.replace("request", "result"), {"key": key})
            assert again.status < 500
    assert mango.state.server_errors == []
