"""/_mockpbx/mango/...: the integrator's webhook and delivery faults.

    POST /_mockpbx/mango/webhook   {"url": "http://host/hook/" | null}: events go to <url>events/...
    GET  /_mockpbx/mango/webhook   the URL in effect and where it came from
    POST /_mockpbx/mango/delivery  {"delay_seconds", "duplicate", "reorder", "drop", "paths"}
    GET  /_mockpbx/mango/delivery, DELETE /_mockpbx/mango/delivery

The face's options are served by the generic `/_mockpbx/mango/options` (options.py).

No open relay: a webhook URL set here (or through the options or a posted
scenario) must be http(s) and, unless the server runs with
`--insecure-control`, point at a host of its allow-list (`--webhook-allow`;
default: loopback only); others get 400 naming the field
(`providers.mango.options.check_webhook_url` decides).

A webhook or faults set here last until the next reset; a webhook given to
`mockpbx serve --mango-webhook` (the face's baseline options) survives resets.
Events are delivered for calls from the moment a URL is in effect, never history.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError

from mockpbx.control.params import bad_request, first_problem, read_json
from mockpbx.providers.base import OptionError
from mockpbx.providers.mango.options import (
    DeliveryFaults,
    check_webhook_url,
    host_allowed,
)
from mockpbx.providers.mango.runtime import runtime, webhook_url
from mockpbx.state import STATE, ServerState

__all__ = ["check_webhook", "host_allowed", "routes"]

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
    state = _state(request)
    if url is not None:
        check_webhook(state, url, "url")
    rt = runtime(state)
    rt.webhook, rt.webhook_since = url, state.world.now()
    rt.wake.set()
    return web.json_response(_webhook_body(state))


def check_webhook(state: ServerState, url: Any, field: str) -> None:
    """A 400 naming `field` unless `url` is an http(s) URL the server may post to."""
    try:
        check_webhook_url(state, url, field)
    except OptionError as exc:
        raise bad_request(exc.message, exc.field) from None


@routes.get("/mango/delivery")
async def get_delivery(request: web.Request) -> web.Response:
    return web.json_response(runtime(_state(request)).faults.model_dump())


@routes.post("/mango/delivery")
async def post_delivery(request: web.Request) -> web.Response:
    body = await read_json(request)
    try:
        faults = DeliveryFaults.model_validate(body)
    except ValidationError as exc:
        raise first_problem(exc) from None
    runtime(_state(request)).faults = faults
    return web.json_response(faults.model_dump())


@routes.delete("/mango/delivery")
async def delete_delivery(request: web.Request) -> web.Response:
    runtime(_state(request)).faults = DeliveryFaults()
    return web.json_response(DeliveryFaults().model_dump())
