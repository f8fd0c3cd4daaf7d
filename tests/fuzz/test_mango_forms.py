"""Mango VPBX with generated forms: signed and unsigned, any `json`, any encoding: never a 5xx.

Forms: correctly signed `json` of any shape (wrong types, huge numbers, deep
nesting, huge strings) to every method; wrong or non-ASCII keys and signs;
invalid UTF-8 in fields; wrong content types and raw bodies; multipart.
Every refusal is Mango's own: `{"result": code, ...}`, the legacy
`{"code": ...}`, or the documented 429 body.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote_from_bytes

import requests
from hypothesis import given
from hypothesis import strategies as st

from mockpbx.providers.mango.routes import METHODS
from mockpbx.providers.mango.signing import sign
from mockpbx.testing import MockPBXServer

from .conftest import FUZZ, clean, json_of, no_server_error

NAMES = sorted(METHODS)
FIELDS = ["command_id", "from", "to", "to_number", "line_number", "call_id", "recording_id",
          "action", "start_date", "end_date", "limit", "offset", "key", "date_from", "date_to",
          "fields", "context_type", "user_ids", "extension", "number", "show_users", "request_id",
          "ext_fields", "call_party", "sip_headers", "group_id"]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**200), 2**200)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=16,
)
json_texts = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), values, max_size=6).map(
        lambda d: json.dumps(d, ensure_ascii=False)
    ),
    values.map(lambda v: json.dumps(v, ensure_ascii=False)),
    st.integers(10, 3000).map(lambda n: '{"a":' * n + "1" + "}" * n),  # deep nesting
    st.integers(1000, 300_000).map(lambda n: json.dumps({"command_id": "x" * n})),
    st.text(max_size=40),
)


def _check(resp: requests.Response, what: str) -> None:
    no_server_error(resp, what)
    if resp.status_code in (204, 302):
        return
    doc: Any = json_of(resp, what)
    if resp.status_code >= 400 or (
        isinstance(doc, dict) and doc.get("result") not in (None, 1000, "1000")
    ):
        assert isinstance(doc, dict), what
        assert "result" in doc or "code" in doc, f"{what}: {doc}"


def test_signed_forms__any_json_to_any_method(pbx: MockPBXServer, http: requests.Session) -> None:
    """Correctly signed, so every check past auth is reached with hostile `json`."""
    creds = pbx.credentials["mango"]
    key, salt = creds["api_key"], creds["api_salt"]
    pbx.call(lambda s: s.options.__setitem__("mango", {"rate_limits": False}))

    @FUZZ
    @given(method=st.sampled_from(NAMES), text=json_texts, multipart=st.booleans())
    def run(method: str, text: str, multipart: bool) -> None:
        form = {"vpbx_api_key": key, "sign": sign(key, text, salt), "json": text}
        url = f"{pbx.url}/mango/vpbx/{method}"
        if multipart:
            resp = http.post(url, files={k: (None, v) for k, v in form.items()}, timeout=30,
                             allow_redirects=False)  # fmt: skip
        else:
            resp = http.post(url, data=form, timeout=30, allow_redirects=False)
        _check(resp, f"{method} {text[:120]!r}")

    run()
    clean(pbx)


raw_field = st.one_of(st.text(max_size=80), st.binary(max_size=80))


def _encode(value: str | bytes) -> str:
    return quote_from_bytes(
        value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    )


CONTENT_TYPES = ["application/x-www-form-urlencoded", "application/json", "text/plain",
                 "multipart/form-data; boundary=zz", "multipart/form-data",
                 "application/x-www-form-urlencoded; charset=koi8-r", ""]  # fmt: skip


def test_unsigned_and_broken_forms__get_mango_errors(
    pbx: MockPBXServer, http: requests.Session
) -> None:
    """Wrong keys, non-ASCII signs, invalid UTF-8, raw bodies, wrong content types."""

    @FUZZ
    @given(
        method=st.sampled_from(NAMES)
        | st.text(min_size=1, max_size=20).filter(lambda t: "/" not in t),
        fields=st.dictionaries(
            st.sampled_from(["vpbx_api_key", "sign", "json", "x"]), raw_field, max_size=4
        ),
        raw=st.none() | st.binary(max_size=300),
        ctype=st.sampled_from(CONTENT_TYPES),
    )
    def run(method: str, fields: dict[str, Any], raw: bytes | None, ctype: str) -> None:
        body = (
            raw
            if raw is not None
            else "&".join(f"{k}={_encode(v)}" for k, v in fields.items()).encode()
        )
        headers = {"Content-Type": ctype} if ctype else {}
        url = f"{pbx.url}/mango/vpbx/{quote_from_bytes(method.encode('utf-8', 'surrogatepass'))}"
        resp = http.post(url, data=body, headers=headers, timeout=30, allow_redirects=False)
        _check(resp, f"{method!r} {ctype} {body[:120]!r}")

    run()
    clean(pbx)


def test_recording_links_and_files__with_garbage(
    pbx: MockPBXServer, http: requests.Session
) -> None:
    @FUZZ
    @given(
        tail=st.text(max_size=120),
        range_=st.none()
        | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30).map(str.strip),
    )
    def run(tail: str, range_: str | None) -> None:
        path = quote_from_bytes(tail.encode("utf-8", "surrogatepass"), safe="/")
        headers = {"Range": range_} if range_ else {}
        for url in (
            f"{pbx.url}/mango/vpbx/queries/recording/link/{path}",
            f"{pbx.url}/mango/files/{path}",
        ):
            resp = http.get(url, headers=headers, timeout=30, allow_redirects=False)
            no_server_error(resp, f"GET {url} {headers}")

    run()
    clean(pbx)
