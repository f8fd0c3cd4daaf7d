"""The recordable faces: which method a request calls and what identifies it for matching.

A face's requests are addressed relative to its base URL (the upstream given to
`mockpbx record`, or the mock's own mount point):

    uis-data   POST <base>            JSON-RPC; the method is the body's `method`
    uis-call   POST <base>            the same envelope, Call API methods
    mango      POST <base>/<command>  a form of vpbx_api_key, sign, json; the method is the path
    clinic     GET|POST <base>/<Name> the method is the last path segment

Secrets (tokens, keys, passwords, signatures) are never part of a match key
and never written to a cassette.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any
from urllib.parse import parse_qsl

import orjson

__all__ = [
    "FACES",
    "MOCK_BASES",
    "REDACTED",
    "SECRET_HEADERS",
    "SECRET_KEYS",
    "face_of_mock_path",
    "is_secret_key",
    "method_of",
    "params_of",
    "parse_body",
]

FACES = ("uis-data", "uis-call", "mango", "clinic")

# where each face is mounted on a mockpbx server
MOCK_BASES = {
    "uis-data": "/uis/dataapi/v2.0",
    "uis-call": "/uis/callapi/v4.0",
    "mango": "/mango/vpbx",
    "clinic": "/clinic/v1",
}

REDACTED = "[redacted]"

SECRET_KEYS = frozenset(
    {
        "access_token",
        "token",
        "password",
        "api_key",
        "vpbx_api_key",
        "api_salt",
        "vpbx_api_salt",
        "salt",
        "sign",
        "signature",
        "secret",
    }
)
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "ident-integration-key",
        "x-api-key",
        "cookie",
        "set-cookie",
        "proxy-authorization",
    }
)

_MOCK_PATH = re.compile(r"^/(?:uis/(dataapi/v2\.0|callapi/v4\.0)|mango/vpbx|vpbx|clinic/v1)(/.*)?$")


def is_secret_key(name: str, *, request: bool = False) -> bool:
    """A field or header whose value is a credential (a login only in requests: in answers
    it names a user, personal data rather than a secret)."""
    low = name.lower()
    if request and low == "login":
        return True
    return low in SECRET_KEYS or low in SECRET_HEADERS or low.endswith(("_token", "_password"))


def face_of_mock_path(path: str) -> tuple[str, str] | None:
    """(face, path relative to the face's base) of a request to a mockpbx server, if any."""
    m = _MOCK_PATH.match(path)
    if m is None:
        return None
    rest = m.group(2) or "/"
    if m.group(1) == "dataapi/v2.0":
        return "uis-data", rest
    if m.group(1) == "callapi/v4.0":
        return "uis-call", rest
    return ("clinic" if path.startswith("/clinic/") else "mango"), rest


def parse_body(content_type: str, raw: bytes) -> tuple[str, Any]:
    """(kind, value) of a body: json, form (Mango's `json` field parsed), text or none."""
    if not raw:
        return "none", None
    if "json" in content_type:
        try:
            return "json", orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    if "x-www-form-urlencoded" in content_type:
        form: dict[str, Any] = dict(
            parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        )
        if isinstance(form.get("json"), str):
            with contextlib.suppress(orjson.JSONDecodeError):
                form["json"] = orjson.loads(form["json"])
        return "form", form
    try:
        return "text", raw.decode("utf-8")
    except UnicodeDecodeError:
        return "binary", None


def method_of(face: str, rel_path: str, body: Any) -> str:
    """The provider method a request calls."""
    if face.startswith("uis"):
        if isinstance(body, dict) and isinstance(body.get("method"), str):
            return str(body["method"])
        return "?"
    path = rel_path.strip("/")
    if face == "clinic":
        return path.rsplit("/", 1)[-1] or "?"
    if path.startswith("queries/recording/link/"):
        return "queries/recording/link"
    return path or "?"


def params_of(face: str, query: dict[str, str], body: Any) -> Any:
    """The parameters that identify a request (secrets and envelope ids left out)."""
    if face.startswith("uis"):
        params = body.get("params") if isinstance(body, dict) else None
        return _without_secrets(params)
    if face == "mango":
        inner = body.get("json") if isinstance(body, dict) else None
        return _without_secrets({"query": query, "json": inner})
    return _without_secrets({"query": query, "body": body})


def _without_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _without_secrets(v) for k, v in value.items() if not is_secret_key(k, request=True)
        }
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value
