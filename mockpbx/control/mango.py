"""/_mockpbx/mango/...: the integrator's webhook, delivery faults and face options.

    POST /_mockpbx/mango/webhook   {"url": "http://host/hook/" | null}: events go to <url>events/...
    GET  /_mockpbx/mango/webhook   the URL in effect and where it came from
    POST /_mockpbx/mango/delivery  {"delay_seconds", "duplicate", "reorder", "drop", "paths"}
    GET  /_mockpbx/mango/delivery, DELETE /_mockpbx/mango/delivery
    POST /_mockpbx/mango/options   a partial MangoOptions (see providers/mango/options.py)
    GET  /_mockpbx/mango/options

No open relay: a webhook URL set here (or through the options or a posted
scenario) must be http(s) and, unless the server runs with
`--insecure-control`, point at a host of its allow-list (`--webhook-allow`;
default: loopback only); others get 400 naming the field.

A webhook or faults set here last until the next reset; a webhook given to
`mockpbx serve --mango-webhook` (the face's options) survives resets. Events
are delivered for calls from the moment a URL is in effect, never history.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlparse

from aiohttp import web
from pydantic import ValidationError

from mockpbx.control.params import bad_request, first_problem, read_json
from mockpbx.providers.mango.options import DeliveryFaults, MangoOptions
from mockpbx.providers.mango.runtime import options, runtime, webhook_url
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
    if not isinstance(url, str):
        raise bad_request(f"{field} must be an absolute http(s) URL or null", field)
    try:
        parsed = urlparse(url)
        host = parsed.hostname if parsed.scheme in ("http", "https") else None
    except ValueError:
        host = None
    if not host:
        raise bad_request(f"{field} must be an absolute http(s) URL or null", field)
    if not state.insecure_control and not host_allowed(host, state.webhook_allow):
        allowed = ", ".join(state.webhook_allow)
        raise bad_request(
            f"{field}: {host} is not an allowed webhook target ({allowed}; "
            "mockpbx serve --webhook-allow HOST adds one)",
            field,
        )


def host_allowed(host: str, allow: tuple[str, ...]) -> bool:
    """Whether `host` is one of `allow`: host names (exact) or IP addresses and networks."""
    host = host.lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host in (a.lower() for a in allow)
    for entry in allow:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


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


@routes.get("/mango/options")
async def get_options(request: web.Request) -> web.Response:
    return web.json_response(options(_state(request)).model_dump())


@routes.post("/mango/options")
async def post_options(request: web.Request) -> web.Response:
    state = _state(request)
    body = await read_json(request)
    if body.get("webhook_url") is not None:
        check_webhook(state, body["webhook_url"], "webhook_url")
    try:
        merged = MangoOptions.model_validate({**options(state).model_dump(), **body})
    except ValidationError as exc:
        raise first_problem(exc) from None
    state.options["mango"] = merged
    runtime(state).wake.set()
    return web.json_response(merged.model_dump())
