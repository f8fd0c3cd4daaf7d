"""UIS JSON-RPC with generated bodies: every answer is a JSON-RPC object, never a 5xx.

Bodies: request objects with valid and wrong members (types, huge numbers,
deep nesting, huge strings), batches, raw bytes (invalid UTF-8), and wrong
content types, for both APIs (Data v2.0 and Call v4.0).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import requests
from hypothesis import given
from hypothesis import strategies as st

from mockpbx.providers.uis.callapi import CALL_METHODS
from mockpbx.providers.uis.dataapi import DATA_METHODS
from mockpbx.testing import MockPBXServer

from .conftest import FUZZ, clean, json_of, no_server_error

APIS = {"data": "/uis/dataapi/v2.0", "call": "/uis/callapi/v4.0"}
NAMES = sorted({*DATA_METHODS, *CALL_METHODS})
PARAMS = ["access_token", "date_from", "date_till", "fields", "filter", "limit", "offset",
          "sort", "user_id", "contact", "employee_id", "call_session_id", "leg_id",
          "virtual_phone_number", "first_call", "early_switching", "login", "password"]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**200), 2**200)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["2026-05-13 00:00:00", "2026-05-14 23:59:59", "", "9" * 400])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=16,
)
huge = st.integers(1000, 200_000).map(lambda n: "щ" * n)
deep = st.integers(10, 5000).map(lambda n: "[" * n + "]" * n)


@st.composite
def requests_objects(draw: st.DrawFn, token: str) -> Any:
    params = draw(st.dictionaries(st.sampled_from(PARAMS), values | huge, max_size=6))
    if draw(st.booleans()):
        params["access_token"] = token
    doc: dict[str, Any] = {
        "jsonrpc": draw(st.sampled_from(["2.0", "2.0", "1.0", 2])),
        "id": draw(st.integers(-(2**70), 2**70) | st.text(max_size=10) | st.none() | st.booleans()),
        "method": draw(st.sampled_from(NAMES) | st.text(max_size=20) | values),
        "params": draw(st.just(params) | values),
    }
    for key in draw(st.lists(st.sampled_from(["jsonrpc", "id", "method", "params"]), max_size=2)):
        doc.pop(key, None)
    return doc


def bodies(token: str) -> st.SearchStrategy[bytes]:
    doc = requests_objects(token)
    as_json = st.one_of(
        doc,
        st.lists(doc, min_size=0, max_size=3),  # batches
        values,
    ).map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    return st.one_of(as_json, st.binary(max_size=200), deep.map(str.encode), huge.map(str.encode))


CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "text/plain",
                 "application/x-www-form-urlencoded", "multipart/form-data; boundary=zz",
                 "application/json; charset=koi8-r", ""]  # fmt: skip


def _check(resp: requests.Response, what: str) -> None:
    no_server_error(resp, what)
    doc = json_of(resp, what)
    assert isinstance(doc, dict), what
    assert doc.get("jsonrpc") == "2.0", what
    if "error" in doc:
        error = doc["error"]
        assert isinstance(error["code"], int), what
        assert isinstance(error["message"], str), what
        assert isinstance(error["data"]["mnemonic"], str), what
    else:
        assert "result" in doc, what


def test_generated_bodies__always_get_a_jsonrpc_answer(
    pbx: MockPBXServer, http: requests.Session
) -> None:
    """Any body, any content type, either API: a JSON-RPC result or error, never a 5xx."""
    token = pbx.credentials["uis"]["access_token"]
    pbx.call(lambda s: s.options.__setitem__("uis", {"minute_limit": 10**9}))

    @FUZZ
    @given(
        api=st.sampled_from(sorted(APIS)), body=bodies(token), ctype=st.sampled_from(CONTENT_TYPES)
    )
    def run(api: str, body: bytes, ctype: str) -> None:
        headers = {"Content-Type": ctype} if ctype else {}
        resp = http.post(pbx.url + APIS[api], data=body, headers=headers, timeout=30)
        _check(resp, f"{api} {ctype} {body[:120]!r}")

    run()
    clean(pbx)


def test_wrong_http_methods__are_refused_without_a_5xx(
    pbx: MockPBXServer, http: requests.Session
) -> None:
    for api in APIS.values():
        for method in ("GET", "PUT", "DELETE", "PATCH"):
            no_server_error(http.request(method, pbx.url + api, timeout=30), f"{method} {api}")
    clean(pbx)


def test_recording_links__with_garbage_ids_hashes_and_ranges(
    pbx: MockPBXServer, http: requests.Session
) -> None:
    """The public links: any id, hash and Range header is a 2xx, 404 or 416, never a 5xx."""
    ids = st.integers(-(2**80), 2**80).map(str) | st.text(max_size=30) | st.just("9" * 5000)
    hashes = st.text("0123456789abcdef", max_size=40) | st.text(max_size=20)
    ranges = st.none() | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)

    @FUZZ
    @given(call_id=ids, token=hashes, range_=ranges)
    def run(call_id: str, token: str, range_: str | None) -> None:
        headers = {"Range": range_.strip()} if range_ and range_.strip() else {}
        for template in ("/system/media/talk/{}/{}/", "/system/media/wav/{}/{}/", "/media/{}/{}"):
            path = template.format(quote(call_id, safe=""), quote(token, safe=""))
            resp = http.get(pbx.url + path, headers=headers, timeout=30)
            no_server_error(resp, f"GET {path} {headers}")
            assert resp.status_code in (200, 206, 404, 416), path

    run()
    clean(pbx)
