"""Clinic HTTP API reference face (placeholder until the contract face lands: serves nothing)."""

from __future__ import annotations

from aiohttp import web

from mockpbx.state import ServerState


def create_face(state: ServerState) -> web.Application:
    return web.Application()
