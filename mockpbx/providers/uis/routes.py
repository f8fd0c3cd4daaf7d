"""UIS face: Data API v2.0 and Call API v4.0 (JSON-RPC 2.0) and public recording links.

    POST /uis/dataapi/v2.0     dataapi.py (login/logout, account, reports, directory)
    POST /uis/callapi/v4.0     callapi.py (login/logout, callbacks, list/release/disconnect)
    GET  /system/media/..., /media/...   media.py (recordings, no auth, Range)

The envelope, auth, limits and faults are rpc.py; rows are render.py;
undocumented or contradictory behaviour is configurable in options.py.
"""

from __future__ import annotations

from aiohttp import web

from mockpbx.providers.uis.callapi import CALL_METHODS
from mockpbx.providers.uis.dataapi import DATA_METHODS
from mockpbx.providers.uis.media import add_media_routes
from mockpbx.providers.uis.rpc import Endpoint
from mockpbx.state import ServerState

__all__ = ["add_media_routes", "create_face"]


def create_face(state: ServerState) -> web.Application:
    """The sub-app mounted at /uis/."""
    app = web.Application()
    data, call = Endpoint("data", DATA_METHODS), Endpoint("call", CALL_METHODS)
    for path in ("/dataapi/v2.0", "/dataapi/v2.0/"):
        app.router.add_post(path, data.handle)
    for path in ("/callapi/v4.0", "/callapi/v4.0/"):
        app.router.add_post(path, call.handle)
    return app
