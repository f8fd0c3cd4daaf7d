"""GET /_mockpbx/ and /_mockpbx/dashboard: a one-page dashboard over the control plane.

GET /_mockpbx (no slash) and GET / redirect to /_mockpbx/, so a typed URL finds the page.

The page is rendered once (it is the same for every world) from
`templates/dashboard.html` (Jinja2, autoescaped); everything live on it comes
from the control plane's own JSON endpoints through `fetch()`, so the dashboard
adds no API of its own. It is self-contained: inline CSS and JavaScript, no
external assets, and a Content-Security-Policy that lets it talk only to this
server.
"""

from __future__ import annotations

import functools
from pathlib import Path

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from mockpbx.core.calls import MAX_CALL_SECONDS
from mockpbx.scenarios.model import FAULT_KINDS

__all__ = ["render_dashboard", "routes", "to_dashboard"]

routes = web.RouteTableDef()

# next to this module (package data), like contract/report.py's template
TEMPLATES = Path(__file__).parent / "templates"
FAULT_FACES = ("*", "uis", "mango", "clinic")
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


@functools.cache
def render_dashboard() -> str:
    """The dashboard page as HTML, rendered once: the same for every world (the page
    loads its data itself)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    return env.get_template("dashboard.html").render(
        fault_kinds=FAULT_KINDS, fault_faces=FAULT_FACES, live_window=MAX_CALL_SECONDS
    )


@routes.get("")  # the bare prefix: aiohttp hands /_mockpbx to this sub-app too
async def to_dashboard(request: web.Request) -> web.Response:
    """GET /_mockpbx and GET / (the server's root, mounted by `mockpbx.app`): to the page."""
    raise web.HTTPFound("/_mockpbx/")


@routes.get("/")
@routes.get("/dashboard")
async def dashboard(request: web.Request) -> web.Response:
    return web.Response(
        text=render_dashboard(),
        content_type="text/html",
        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"},
    )
