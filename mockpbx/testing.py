"""A real mockpbx server on a free loopback port, for tests and demos.

`MockPBXServer` runs the aiohttp server in a background thread with its own
event loop, so sync tests, async tests and subprocesses can all talk to it
over TCP. The pytest plugin (`mockpbx.pytest_plugin`) wraps it in fixtures.

    with MockPBXServer(seed=7) as pbx:
        pbx.credentials["uis"]["data_api_url"]
        pbx.clock.advance(3600)
        assert pbx.journal.count(face="uis", method="get.calls_report") == 0
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from aiohttp import web

from mockpbx.app import create_app, create_state
from mockpbx.state import JournalEntry, ServerState

__all__ = ["DEFAULT_START", "MockPBXServer", "ServerError"]

T = TypeVar("T")

# A Thursday morning in Moscow: deterministic tests, working hours, a full week behind.
DEFAULT_START = datetime(2026, 5, 14, 10, 30, tzinfo=ZoneInfo("Europe/Moscow"))


class ServerError(AssertionError):
    """An exception was raised inside the server while a test talked to it."""


class ClockControl:
    """The server's virtual clock, driven from the test's thread."""

    def __init__(self, server: MockPBXServer) -> None:
        self._server = server

    def now(self) -> datetime:
        return self._server.call(lambda s: s.world.clock.now())

    def advance(self, seconds: float) -> datetime:
        return self._server.call(lambda s: s.world.clock.advance(seconds))

    def set(self, when: datetime) -> datetime:
        return self._server.call(lambda s: s.world.clock.set(when))

    def set_rate(self, rate: float) -> None:
        self._server.call(lambda s: s.world.clock.set_rate(rate))


class JournalView:
    """Assertions over the server's request journal."""

    def __init__(self, server: MockPBXServer) -> None:
        self._server = server

    def entries(self, *, face: str | None = None, method: str | None = None) -> list[JournalEntry]:
        return self._server.call(lambda s: list(s.journal.entries(face=face, method=method)))

    def count(self, *, face: str | None = None, method: str | None = None) -> int:
        return len(self.entries(face=face, method=method))

    def assert_called(
        self, *, face: str | None = None, method: str | None = None, times: int | None = None
    ) -> None:
        n = self.count(face=face, method=method)
        if (times is None and n == 0) or (times is not None and n != times):
            want = "at least once" if times is None else f"{times} time(s)"
            raise AssertionError(f"expected {face}/{method} {want}, journal has {n}")

    def clear(self) -> None:
        self._server.call(lambda s: s.journal.clear())


class MockPBXServer:
    """A mockpbx server in a background thread on 127.0.0.1 and a free port."""

    def __init__(
        self,
        *,
        seed: int = 1,
        start: datetime | None = DEFAULT_START,
        rate: float = 0.0,
        scenario: Any = None,
        host: str = "127.0.0.1",
        port: int = 0,
        configure: Callable[[ServerState], None] | None = None,
    ) -> None:
        self._kwargs = {"seed": seed, "start": start, "rate": rate, "scenario": scenario}
        self._configure = configure
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.state: ServerState | None = None
        self.clock = ClockControl(self)
        self.journal = JournalView(self)

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> MockPBXServer:
        ready: Future[None] = Future()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        ready.result(timeout=60)
        return self

    def _serve(self, ready: Future[None]) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._start(ready))
        except BaseException as exc:
            ready.set_exception(exc)
            return
        loop.run_forever()
        loop.run_until_complete(self._stop())
        loop.close()

    async def _start(self, ready: Future[None]) -> None:
        self.state = create_state(**self._kwargs)
        if self._configure is not None:
            self._configure(self.state)
        self._runner = web.AppRunner(create_app(self.state), handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = _bound_port(site)
        self.state.base_url = self.url
        ready.set_result(None)

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            self._loop = None

    def __enter__(self) -> MockPBXServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- access ----------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def credentials(self) -> dict[str, Any]:
        """The same document as GET /_mockpbx/credentials."""
        return self.call(lambda s: s.credentials.document(self.url))

    def call(self, fn: Callable[[ServerState], T]) -> T:
        """Run `fn(state)` on the server's loop (thread-safe) and return its result."""

        async def run() -> T:
            assert self.state is not None
            return fn(self.state)

        return self.run(run())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop and wait for its result."""
        if self._loop is None:
            raise RuntimeError("the server is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=120)

    def reset(self, **kwargs: Any) -> None:
        """Rebuild the world (optionally with a new seed or scenario); clear journal and errors."""

        async def run() -> None:
            assert self.state is not None
            await self.state.reset(**kwargs)
            self.state.server_errors.clear()

        self.run(run())

    def check_errors(self) -> None:
        """Raise ServerError if anything blew up inside the server."""
        errors = self.call(lambda s: list(s.server_errors))
        if errors:
            self.call(lambda s: s.server_errors.clear())
            raise ServerError("exception inside mockpbx:\n" + "\n".join(errors))


def _bound_port(site: web.TCPSite) -> int:
    """The port the OS picked for a site started on port 0."""
    server: Any = site._server
    return int(server.sockets[0].getsockname()[1])
