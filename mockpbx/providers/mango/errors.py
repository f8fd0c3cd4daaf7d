"""Mango-shaped errors and their rendering.

MangoError                 a request the API answers with a result code
├── AuthError              wrong vpbx_api_key (3105) or sign (3102)
├── LockedOut              more than one 3xxx within the lock-out window (HTTP 401)
└── RateLimited            over a method's limit (HTTP 429, the documented body)

How a code reaches the wire depends on `MangoOptions` (the docs conflict):
auth errors as HTTP 401 (observed), 200 + result, or legacy 420 `{"code": ...}`;
other errors as 200 + `{"result": code, "message": ...}` or legacy 420.
"""

from __future__ import annotations

import orjson
from aiohttp import web

from mockpbx.core.errors import (
    CallNotFound,
    EmployeeNotFound,
    InvalidState,
    LegNotFound,
    NoActivePhone,
    WorldError,
)
from mockpbx.providers.mango.options import MangoOptions

__all__ = [
    "RATE_LIMIT_BODY",
    "AuthError",
    "LockedOut",
    "MangoError",
    "RateLimited",
    "render_error",
    "result_value",
    "world_error_code",
]

RATE_LIMIT_BODY = {
    "name": "Service Unavailable",
    "message": "Rate limit exceeded.",
    "code": 0,
    "status": 429,
}


class MangoError(Exception):
    """Raised by a handler for a request the API answers with result `code`."""

    def __init__(self, code: int, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status  # a fixed HTTP status (e.g. 404 of stats/result), if any


class AuthError(MangoError):
    """Raised for a wrong vpbx_api_key (3105) or sign (3102)."""


class LockedOut(MangoError):
    """Raised while the product is locked out after repeated bad requests."""

    def __init__(self) -> None:
        super().__init__(3000, "too many bad requests: access blocked for 2 minutes", status=401)


class RateLimited(MangoError):
    """Raised when a method is called faster than its limit."""

    def __init__(self) -> None:
        super().__init__(4290, "Rate limit exceeded.", status=429)


def world_error_code(exc: WorldError) -> int:
    """The result code of a world error (commands and the face's dispatch share it)."""
    if isinstance(exc, CallNotFound | LegNotFound):
        return 4101
    if isinstance(exc, InvalidState):
        return 4100
    if isinstance(exc, NoActivePhone):
        return 4200
    if isinstance(exc, EmployeeNotFound):
        return 3330
    return 4000


def result_value(code: int, options: MangoOptions) -> int | str:
    return str(code) if options.result_as_string else code


def render_error(exc: MangoError, options: MangoOptions) -> web.Response:
    """The wire form of `exc` under the configured error style."""
    if isinstance(exc, RateLimited):
        return _json(RATE_LIMIT_BODY, 429)
    if isinstance(exc, LockedOut):
        return _json({"result": result_value(exc.code, options), "message": exc.message}, 401)
    style = options.auth_error if isinstance(exc, AuthError) else options.error_style
    if style == "legacy":
        return web.Response(
            body=orjson.dumps({"code": exc.code}),
            status=420,
            reason="Method Failure",
            content_type="application/json",
        )
    status = exc.status or (401 if style == "401" else 200)
    body = {"result": result_value(exc.code, options), "message": exc.message}
    return _json(body, status)


def _json(body: object, status: int) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")
