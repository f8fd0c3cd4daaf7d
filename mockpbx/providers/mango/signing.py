"""Mango's request signature, both directions (requests to the API, events to the integrator).

`sign = lowercase hex(sha256(vpbx_api_key + json + vpbx_api_salt))`, computed
over the exact `json` string as sent (plain SHA-256, not HMAC). The signed GET
recording link uses `sha256(key + timestamp + recording_id + salt)`.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode

import orjson

__all__ = ["compact_json", "form_body", "link_sign", "sign", "verify"]


def sign(api_key: str, json_text: str, salt: str) -> str:
    """The signature of one request or event."""
    return hashlib.sha256(f"{api_key}{json_text}{salt}".encode()).hexdigest()


def link_sign(api_key: str, timestamp: str, recording_id: str, salt: str) -> str:
    """The signature of a `queries/recording/link/...` URL."""
    return hashlib.sha256(f"{api_key}{timestamp}{recording_id}{salt}".encode()).hexdigest()


def verify(expected: str, given: str) -> bool:
    """Constant-time comparison; the hex case of `given` does not matter, nor does any
    non-ASCII text in it (compared as UTF-8 bytes, it simply does not match)."""
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode("utf-8", "replace"))


def compact_json(payload: object) -> str:
    """JSON as Mango asks for it: compact, no extra whitespace, UTF-8 kept."""
    return orjson.dumps(payload).decode()


def form_body(api_key: str, salt: str, payload: object) -> tuple[str, str]:
    """(json text, urlencoded form body) of a signed post."""
    text = compact_json(payload)
    body = urlencode({"vpbx_api_key": api_key, "sign": sign(api_key, text, salt), "json": text})
    return text, body
