"""The Mango events receiver's lifecycle while the live window runs.

With Mango the live calls come from the signed events the PBX posts to the
adapter (`adapter.providers.mango_events`): the window runs that receiver
for as long as it is open, and with `--mockpbx` points the mock's webhook at
it (`adapter.mockpbx_plane.point_mango_webhook`). Other providers need none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from adapter.mockpbx_plane import point_mango_webhook
from adapter.runtime import Runtime

__all__ = ["receiving"]


@asynccontextmanager
async def receiving(rt: Runtime) -> AsyncIterator[str | None]:
    """With Mango: the receiver's URL while it runs (the mock's webhook points at it); else None."""
    if rt.board is None:
        yield None
        return
    from adapter.providers.mango_events import run_receiver

    s = rt.settings
    async with run_receiver(
        rt.board, s.require("mango_api_key"), s.require("mango_api_salt"),
        host=s.mango_webhook_host, port=s.mango_webhook_port,
    ) as url:  # fmt: skip
        if s.mockpbx:
            await point_mango_webhook(rt.http, s.mockpbx, url + "/")
        yield url
