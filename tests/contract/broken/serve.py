"""Serve an aiohttp app on a free loopback port in a background thread (for sync verifiers)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

from aiohttp import web


@contextmanager
def serve(app: web.Application) -> Iterator[str]:
    """Yield the base URL (http://127.0.0.1:PORT) while `app` is served."""
    loop = asyncio.new_event_loop()
    ready: Future[str] = Future()
    runner = web.AppRunner(app, handle_signals=False)

    async def start() -> None:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server: Any = site._server
        ready.set_result(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield ready.result(timeout=30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
