"""Request size limits of every face, refused in that face's own error shape.

    body          at most MAX_BODY bytes (declared or streamed)   -> 413
    query string  at most MAX_QUERY bytes                         -> 414
    request line  at most MAX_LINE bytes, a header MAX_FIELD bytes: beyond those the
                  HTTP parser itself answers a plain 400 (no face can know the request)

Shapes: UIS JSON-RPC `error` (-32600 invalid_request), Mango `{"result": 3109}`
(a value too large), clinic `{"error": "payload_too_large" | "uri_too_long"}`, control
`{"error": ..., "field": "body" | "query"}`; the public recording links a plain text.
A body is read here (once; handlers reuse it) unless it is multipart, which the
Mango face streams and whose overflow is caught here too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import orjson
from aiohttp import web

from mockpbx import keys
from mockpbx.state import STATE

__all__ = ["MAX_BODY", "MAX_FIELD", "MAX_LINE", "MAX_QUERY", "limits_middleware"]

MAX_BODY = 1024 * 1024
MAX_QUERY = 8 * 1024
MAX_LINE = 64 * 1024  # aiohttp's own default (8190) would cut a long query off first
MAX_FIELD = 16 * 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def limits_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse an oversized query or body before any face reads it."""
    if len(request.query_string.encode()) > MAX_QUERY:
        return refusal(request, 414, "query", f"the query string is over {MAX_QUERY} bytes")
    too_large = refusal_of_body(request)
    if (request.content_length or 0) > MAX_BODY:
        return too_large()
    if request.body_exists and request.content_type != "multipart/form-data":
        try:
            await request.read()  # cached: the handler's read()/json()/post() reuse it
        except web.HTTPRequestEntityTooLarge:
            return too_large()
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        return too_large()


def refusal_of_body(request: web.Request) -> Callable[[], web.Response]:
    return lambda: refusal(request, 413, "body", f"the request body is over {MAX_BODY} bytes")


def face_of(path: str) -> str:
    """Which face a path belongs to: uis, mango, clinic, control or media."""
    for prefix, face in (
        ("/uis/", "uis"),
        ("/mango/", "mango"),
        ("/vpbx/", "mango"),
        ("/clinic/", "clinic"),
        ("/_mockpbx/", "control"),
    ):
        if path.startswith(prefix):
            return face
    return "media"


def refusal(request: web.Request, status: int, part: str, message: str) -> web.Response:
    """`message` as the error of the face `request` is for, with HTTP `status`."""
    face = face_of(request.path)
    if face != "control":
        request[keys.FACE], request[keys.ERROR] = face if face != "media" else "uis", message
    if face == "uis":
        error = {"code": -32600, "message": f"Invalid Request: {message}",
                 "data": {"mnemonic": "invalid_request", "field": part}}  # fmt: skip
        return _json({"jsonrpc": "2.0", "id": None, "error": error}, status)
    if face == "mango":
        from mockpbx.providers.mango.errors import result_value
        from mockpbx.providers.mango.runtime import options

        opts = options(request.config_dict[STATE])
        return _json({"result": result_value(3109, opts), "message": message}, status)
    if face == "clinic":
        code = "payload_too_large" if status == 413 else "uri_too_long"
        return _json({"error": code, "message": message}, status)
    if face == "control":
        return _json({"error": message, "field": part}, status)
    return web.Response(status=status, text=message)


def _json(body: object, status: int) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")
