"""The team's own helpers: plain urllib clients for UIS, Mango and the clinic API."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest


def http(
    url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one request; HTTP errors are answers too."""
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


class Uis:
    def __init__(self, creds: dict[str, Any]) -> None:
        self.creds = creds

    def call(self, api: str, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        url = self.creds["data_api_url" if api == "data" else "call_api_url"]
        doc = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        status, _, body = http(url, json.dumps(doc).encode(), {"Content-Type": "application/json"})
        return status, json.loads(body) if body.startswith(b"{") else {}

    def data(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        return self.call("data", method, access_token=self.creds["access_token"], **params)


class Mango:
    def __init__(self, creds: dict[str, Any]) -> None:
        self.creds = creds

    def post(self, method: str, params: dict[str, Any], *, sign: str | None = None) -> Any:
        text = json.dumps(params, separators=(",", ":"))
        key, salt = self.creds["api_key"], self.creds["api_salt"]
        form = {
            "vpbx_api_key": key,
            "sign": sign or hashlib.sha256(f"{key}{text}{salt}".encode()).hexdigest(),
            "json": text,
        }
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        status, _, body = http(
            self.creds["url"] + method, urllib.parse.urlencode(form).encode(), headers
        )
        return status, json.loads(body) if body.strip() else None


class Clinic:
    def __init__(self, creds: dict[str, Any]) -> None:
        self.creds = creds

    def get(self, path: str, key: str | None = None, **query: Any) -> tuple[int, Any]:
        url = f"{self.creds['url']}/{path}?{urllib.parse.urlencode(query)}"
        headers = {"IDENT-Integration-Key": self.creds["key"] if key is None else key}
        status, _, body = http(url, headers=headers)
        return status, json.loads(body) if body[:1] in (b"{", b"[") else body


@pytest.fixture
def uis(mockpbx: Any) -> Uis:
    return Uis(mockpbx.credentials["uis"])


@pytest.fixture
def mango(mockpbx: Any) -> Mango:
    return Mango(mockpbx.credentials["mango"])


@pytest.fixture
def clinic(mockpbx: Any) -> Clinic:
    return Clinic(mockpbx.credentials["clinic"])
