"""UIS face (placeholder until the UIS face lands: serves nothing)."""

from __future__ import annotations

from aiohttp import web

from mockpbx.state import ServerState


def create_face(state: ServerState) -> web.Application:
    return web.Application()


def add_media_routes(app: web.Application) -> None:
    """Public recording links are served at the root (added by the UIS face)."""
