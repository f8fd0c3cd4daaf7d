"""The signature test vectors of the official PHP examples and the JS SDK."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from mockpbx.providers.mango.signing import form_body, link_sign, sign, verify

KEY, SALT = "<YOUR_API_KEY>", "<YOUR_API_SALT>"


@pytest.mark.parametrize(
    ("json_text", "expected"),
    [
        (
            '{"command_id":"your-command-id","from":{"extension":"<extension>","number":""},'
            '"to_number":"<to_number>"}',
            "afdeb462cd5e0e422a9c9220390124608df06a4472cb1add6ebd6e24184bd15a",
        ),
        (
            '{"command_id":"your-command-id","call_id":"<CALL_ID>"}',
            "2d1d01246f52cec1fdb44f2a4d7091dc54f67e318369c0628201d66b5d336ef0",
        ),
        (
            '{"date_from":"1445288400","date_to":"1445374859","from":{"extension":"","number":""},'
            '"to":{"extension":"","number":""}}',
            "94e263aa0aa65d77481b86e9224fa2230265faa387322e40716389406982c0fb",
        ),
        (
            '{"key":"<REQUEST_KEY>"}',
            "515069b8c079df62f408e36dd7933912b8e86d833c5927ee77eb4b68d766c4f5",
        ),
    ],
)
def test_sign__matches_the_official_php_vectors(json_text: str, expected: str) -> None:
    assert sign(KEY, json_text, SALT) == expected


@pytest.mark.parametrize(
    ("key", "timestamp", "recording_id", "salt", "expected"),
    [
        (
            "nokey",
            "33091482931",
            "23firh9023hfdkew=",
            "nosalt",
            "614c9d0a90f3fcac7a3fa61a71fde696fe9c54f35bcb05d3a9dc9b0211df3ea1",
        ),
        (
            "123",
            "1525597727500",
            "Rofkdgl33fd=",
            "789",
            "9867bfdc661049959450fbad35c10ef2a41120094bda492dd0f085ba4def7df0",
        ),
    ],
)
def test_link_sign__matches_the_js_sdk_vectors(
    key: str, timestamp: str, recording_id: str, salt: str, expected: str
) -> None:
    assert link_sign(key, timestamp, recording_id, salt) == expected


def test_form_body__is_the_urlencoded_php_body() -> None:
    """PHPEX prints the form body of the callback vector; http_build_query order is kept."""
    payload = {
        "command_id": "your-command-id",
        "from": {"extension": "<extension>", "number": ""},
        "to_number": "<to_number>",
    }
    text, body = form_body(KEY, SALT, payload)
    assert body == urlencode({"vpbx_api_key": KEY, "sign": sign(KEY, text, SALT), "json": text})
    assert body.startswith("vpbx_api_key=%3CYOUR_API_KEY%3E&sign=afdeb462")


def test_verify__ignores_hex_case_and_rejects_hmac() -> None:
    good = sign(KEY, "{}", SALT)
    assert verify(good, good.upper())
    import hashlib
    import hmac

    wrong = hmac.new(SALT.encode(), f"{KEY}{{}}".encode(), hashlib.sha256).hexdigest()
    assert not verify(good, wrong)
