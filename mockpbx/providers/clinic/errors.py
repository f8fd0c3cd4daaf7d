"""Errors of the clinic face and the middleware that renders them.

ClinicError                 base: an HTTP error in the contract's shape
├── BadParameter            400: a query parameter or body field is invalid (names it)
├── Unauthorized            401 (or 403 by option): missing or wrong IDENT-Integration-Key
├── NotFoundError           404: unknown endpoint, or no employee phone for a callback
├── MethodNotAllowed        405: the endpoint exists with another HTTP method
├── Conflict                409: the employee's phone cannot be rung now
├── NotOffered              501: callback disabled by option
└── FaultAnswer             an injected fault: 503 provider_error (or the fault's HTTP
                            status), 401 unauthorized for an expired key

Every error is rendered as `{"error": code, "message": text}` with a 4xx/5xx
status, never 2xx (contract: "Errors"). `ClinicFace` is the clinic's part of
the shared dispatch (`mockpbx.providers.base.Face`): injected faults and world
errors become the errors above; the journal shows a ClinicError's message (an
injected fault's answer shows only as the journal's `fault`).
`error_middleware` renders aiohttp's own 404/405 and, never as a traceback,
anything unexpected (500).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from mockpbx.core.errors import EmployeeNotFound, NoActivePhone, WorldError
from mockpbx.providers.base import Face
from mockpbx.state import STATE, InjectedFault, ProviderErrorFault, TokenExpiredFault

__all__ = [
    "CLINIC",
    "BadParameter",
    "ClinicError",
    "ClinicFace",
    "Conflict",
    "FaultAnswer",
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


class FaultAnswer(ClinicError):
    """An injected fault's answer (`ClinicFace.fault_error`)."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def error_body(code: str, message: str, status: int) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def _fault_answer(fault: InjectedFault) -> FaultAnswer:
    if isinstance(fault, TokenExpiredFault):
        return FaultAnswer("unauthorized", "the integration key has expired", 401)
    status = 503
    message = "the provider is temporarily unavailable"
    if isinstance(fault, ProviderErrorFault):
        if isinstance(fault.code, int) and 400 <= fault.code <= 599:
            status = fault.code
        message = fault.message or message
    return FaultAnswer("provider_error", message, status)


class ClinicFace(Face[web.Request, ClinicError]):
    """The clinic's parts of the shared dispatch: `{"error", "message"}` with an HTTP status."""

    def fault_error(self, ctx: web.Request, fault: InjectedFault) -> ClinicError:
        return _fault_answer(fault)

    def domain_error(self, ctx: web.Request, exc: WorldError) -> ClinicError:
        """Only StartCallback meets the world's refusals; anything else answers 500."""
        if isinstance(exc, NoActivePhone | EmployeeNotFound):
            return Conflict(f"EmployeePhone: {exc}")
        raise exc

    def journal_error(self, exc: ClinicError) -> str | None:
        return exc.message  # an injected fault's too, like the other faces

    def render_error(self, ctx: web.Request, exc: ClinicError) -> web.Response:
        return error_body(exc.code, exc.message, exc.status)


CLINIC = ClinicFace("clinic", ClinicError)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render aiohttp's own 404/405 in the contract's shape, and 500 for the unexpected
    (a routed request's errors are `CLINIC.dispatch`'s, in `handlers.entry_middleware`)."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        CLINIC.tag(request)
        return error_body("not_found", f"no endpoint {request.path}", 404)
    except web.HTTPMethodNotAllowed as exc:
        CLINIC.tag(request)
        allowed = ", ".join(sorted(exc.allowed_methods))
        return error_body("method_not_allowed", f"use {allowed} for {request.path}", 405)
    except Exception as exc:  # never a traceback to the client; the harness still sees it
        request.config_dict[STATE].record_error(exc)
        return error_body("internal_error", "the provider hit an internal error", 500)
