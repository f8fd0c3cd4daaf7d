"""Errors of the clinic face and the middleware that renders them.

ClinicError                 base: an HTTP error in the contract's shape
├── BadParameter            400: a query parameter or body field is invalid (names it)
├── Unauthorized            401 (or 403 by option): missing or wrong IDENT-Integration-Key
├── NotFoundError           404: unknown endpoint, or no employee phone for a callback
├── MethodNotAllowed        405: the endpoint exists with another HTTP method
├── Conflict                409: the employee's phone cannot be rung now
└── NotOffered              501: callback disabled by option

Every error is rendered as `{"error": code, "message": text}` with a 4xx/5xx
status, never 2xx (contract: "Errors"). Injected faults from the fault hook
are rendered here too: `ProviderErrorFault` as 503 (or its `code` when that is
an HTTP error status), `TokenExpiredFault` as 401.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from mockpbx import keys
from mockpbx.state import STATE, InjectedFault, ProviderErrorFault, TokenExpiredFault

__all__ = [
    "BadParameter",
    "ClinicError",
    "Conflict",
    "MethodNotAllowed",
    "NotFoundError",
    "NotOffered",
    "Unauthorized",
    "error_body",
    "error_middleware",
]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ClinicError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadParameter(ClinicError):
    status = 400
    code = "invalid_parameter"

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


class Unauthorized(ClinicError):
    status = 401
    code = "unauthorized"

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


class NotFoundError(ClinicError):
    status = 404
    code = "not_found"


class MethodNotAllowed(ClinicError):
    status = 405
    code = "method_not_allowed"


class Conflict(ClinicError):
    status = 409
    code = "conflict"


class NotOffered(ClinicError):
    status = 501
    code = "not_offered"


def error_body(code: str, message: str, status: int) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def _fault_response(fault: InjectedFault) -> web.Response:
    if isinstance(fault, TokenExpiredFault):
        return error_body("unauthorized", "the integration key has expired", 401)
    status = 503
    message = "the provider is temporarily unavailable"
    if isinstance(fault, ProviderErrorFault):
        if isinstance(fault.code, int) and 400 <= fault.code <= 599:
            status = fault.code
        message = fault.message or message
    return error_body("provider_error", message, status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render clinic errors, injected faults and aiohttp's own 404/405 in the contract's shape."""
    try:
        return await handler(request)
    except ClinicError as exc:
        request[keys.ERROR] = exc.message
        return error_body(exc.code, exc.message, exc.status)
    except InjectedFault as exc:
        request[keys.FAULT] = exc.kind
        return _fault_response(exc)
    except web.HTTPNotFound:
        request[keys.FACE] = "clinic"
        return error_body("not_found", f"no endpoint {request.path}", 404)
    except web.HTTPMethodNotAllowed as exc:
        request[keys.FACE] = "clinic"
        allowed = ", ".join(sorted(exc.allowed_methods))
        return error_body("method_not_allowed", f"use {allowed} for {request.path}", 405)
    except Exception as exc:  # never a traceback to the client; the harness still sees it
        request.config_dict[STATE].record_error(exc)
        return error_body("internal_error", "the provider hit an internal error", 500)
