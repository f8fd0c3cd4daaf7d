"""Instability added to any provider app: random 5xx answers and dropped connections.

Failures are random (seeded) but never more than `MAX_RUN` in a row, so a
client that retries a few times always gets through: what is left to see is
the instability itself, which must not be blamed on any other rule.
"""

from __future__ import annotations

import random
from typing import Any

from aiohttp import web

MAX_RUN = 2
FAILED = web.AppKey("flaky_failed", dict[str, int])  # {"n": answers spoiled so far}


def flaky(app: web.Application, *, share: float = 0.2, seed: int = 5) -> web.Application:
    """`app` with about `share` of its answers replaced by 500, 502, 503 or a reset."""
    rnd = random.Random(seed)
    run = 0
    seen = {"n": 0}

    @web.middleware
    async def unstable(request: web.Request, handler: Any) -> web.StreamResponse:
        nonlocal run
        if run < MAX_RUN and rnd.random() < share:
            run += 1
            seen["n"] += 1
            kind = rnd.choice((500, 502, 503, 0))
            if kind == 0 and request.transport is not None:
                request.transport.abort()  # the connection drops: the client sees a reset
                return web.Response(status=500)
            return web.Response(status=kind or 500, text="upstream error")
        run = 0
        response: web.StreamResponse = await handler(request)
        return response

    app.middlewares.insert(0, unstable)
    app[FAILED] = seen
    return app
