"""/_mockpbx/mango/...: the integrator's webhook, delivery faults and face options.

    POST /_mockpbx/mango/webhook   {"url": "http://host/hook/" | null}: events go to <url>events/...
    GET  /_mockpbx/mango/webhook   the URL in effect and where it came from
    POST /_mockpbx/mango/delivery  {"delay_seconds", "duplicate", "reorder", "drop", "paths"}
    GET  /_mockpbx/mango/delivery, DELETE /_mockpbx/mango/delivery
    POST /_mockpbx/mango/options   a partial MangoOptions (see providers/mango/options.py)
    GET  /_mockpbx/mango/options

A webhook or faults set here last until the next reset; a webhook given to
`mockpbx serve --mango-webhook` (the face's options) survives resets. Events
are delivered for calls from the moment a URL is in effect, never history.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from aiohttp import web
from pydantic import ValidationError

from mockpbx.control.routes import bad_request, read_json
from mockpbx.providers.mango.options import DeliveryFaults, MangoOptions
from mockpbx.providers.mango.runtime import options, runtime, webhook_url
from mockpbx.state import STATE, ServerState

__all__ = ["routes"]

routes = web.RouteTableDef()


def _state(request: web.Request) -> ServerState:
    return request.config_dict[STATE]


def _webhook_body(state: ServerState) -> dict[str, Any]:
    url, source = webhook_url(state)
    return {
        "url": url,
        "source": source,
        "now": state.world.clock.now().isoformat(),
    }


@routes.get("/mango/webhook")
async def get_webhook(request: web.Request) -> web.Response:
    return web.json_response(_webhook_body(_state(request)))


@routes.post("/mango/webhook")
async def post_webhook(request: web.Request) -> web.Response:
    body = await read_json(request)
    if set(body) != {"url"}:
        raise bad_request('expected exactly {"url": ...}', "url")
    url = body["url"]
    if url is not None and not _is_http_url(url):
        raise bad_request("url must be an absolute http(s) URL or null", "url")
    state = _state(request)
    rt = runtime(state)
    rt.webhook, rt.webhook_since = url, state.world.now()
    rt.wake.set()
    return web.json_response(_webhook_body(state))


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


@routes.get("/mango/delivery")
async def get_delivery(request: web.Request) -> web.Response:
    return web.json_response(runtime(_state(request)).faults.model_dump())


@routes.post("/mango/delivery")
async def post_delivery(request: web.Request) -> web.Response:
    body = await read_json(request)
    try:
        faults = DeliveryFaults.model_validate(body)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise bad_request(err["msg"], ".".join(map(str, err["loc"])) or None) from None
    runtime(_state(request)).faults = faults
    return web.json_response(faults.model_dump())


@routes.delete("/mango/delivery")
async def delete_delivery(request: web.Request) -> web.Response:
    runtime(_state(request)).faults = DeliveryFaults()
    return web.json_response(DeliveryFaults().model_dump())


@routes.get("/mango/options")
async def get_options(request: web.Request) -> web.Response:
    return web.json_response(options(_state(request)).model_dump())


@routes.post("/mango/options")
async def post_options(request: web.Request) -> web.Response:
    state = _state(request)
    body = await read_json(request)
    try:
        merged = MangoOptions.model_validate({**options(state).model_dump(), **body})
    except ValidationError as exc:
        err = exc.errors()[0]
        raise bad_request(err["msg"], ".".join(map(str, err["loc"])) or None) from None
    state.options["mango"] = merged
    runtime(state).wake.set()
    return web.json_response(merged.model_dump())
