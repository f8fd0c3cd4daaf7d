"""One exchange as the proxy saw it (`Raw`) and its cassette line (`Preparer`).

The proxy hands a `Raw` to the cassette writer as soon as it has answered the
client; parsing and redaction happen in the writer's own process (see
cassette.py), so the proxy's event loop never waits on them. Nothing here
imports aiohttp, which keeps that process quick to start.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from mockpbx.record.faces import is_secret_key, method_of, parse_body
from mockpbx.record.redact import Redactor

__all__ = ["MAX_INLINE", "Preparer", "Raw"]

MAX_INLINE = 1024 * 1024  # larger binary bodies are kept as length + sha256 only
_KEPT_REQUEST = ("content-type", "range", "accept")
_KEPT_RESPONSE = (
    "content-type",
    "retry-after",
    "location",
    "content-range",
    "accept-ranges",
    "content-disposition",
)


@dataclass(slots=True)
class Raw:
    """What the proxy forwarded and got back, before parsing and redaction."""

    kind: str  # api | event
    at: str
    method: str
    path: str
    query: dict[str, str]
    req_headers: dict[str, str]
    req_body: bytes
    status: int
    resp_headers: dict[str, str]
    resp_body: bytes
    upstream_ms: float
    signature: str | None = None


class Preparer:
    """Turns a `Raw` into a cassette line: parsed bodies, kept headers, redaction applied."""

    def __init__(self, face: str, redact: bool = True, key: bytes | None = None) -> None:
        self.face = face
        self.redactor = Redactor(enabled=redact, key=key)

    def __call__(self, raw: Raw) -> dict[str, Any]:
        r = self.redactor
        req_kind, req_body = parse_body(raw.req_headers.get("Content-Type", ""), raw.req_body)
        out: dict[str, Any] = {
            "at": raw.at,
            "face": self.face,
            "method": method_of(self.face, raw.path, req_body),
            "kind": raw.kind,
            "request": {
                "method": raw.method,
                "path": r.value(raw.path) if "/link/" in raw.path else raw.path,
                "query": r.value(raw.query, request=True),
                "headers": r.headers(_kept(raw.req_headers, _KEPT_REQUEST, secrets=True)),
                **_body(req_kind, req_body, raw.req_body, r, request=True),
            },
            "response": {
                "status": raw.status,
                "headers": r.headers(_kept(raw.resp_headers, _KEPT_RESPONSE)),
                **_response_body(raw, r),
            },
            "upstream_ms": raw.upstream_ms,
        }
        if raw.signature is not None:
            out["signature"] = raw.signature
        return out


def _kept(headers: dict[str, str], names: tuple[str, ...], secrets: bool = False) -> dict[str, str]:
    return {
        k: v for k, v in headers.items() if k.lower() in names or (secrets and is_secret_key(k))
    }


def _body(kind: str, value: Any, raw: bytes, r: Redactor, request: bool = False) -> dict[str, Any]:
    if kind in ("json", "form"):
        return {"body_kind": kind, "body": r.value(value, request=request)}
    if kind == "text":
        return {"body_kind": "text", "body": r.text(value)}
    if kind == "none":
        return {"body_kind": "none", "body": None}
    if len(raw) <= MAX_INLINE and not r.enabled:
        return {"body_kind": "base64", "body": base64.b64encode(raw).decode()}
    # audio and other bytes: with redaction on, never kept (a recording is personal data)
    return {
        "body_kind": "omitted",
        "body": None,
        "length": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest() if not r.enabled else None,
    }


def _response_body(raw: Raw, r: Redactor) -> dict[str, Any]:
    kind, value = parse_body(raw.resp_headers.get("Content-Type", ""), raw.resp_body)
    return _body(kind, value, raw.resp_body, r)
