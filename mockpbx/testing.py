"""A real mockpbx server on a free loopback port, for tests and demos.

`MockPBXServer` runs the aiohttp server in a background thread with its own
event loop, so sync tests, async tests and subprocesses can all talk to it
over TCP. The pytest plugin (`mockpbx.pytest_plugin`) wraps it in fixtures.

    with MockPBXServer(seed=7) as pbx:
        pbx.credentials["uis"]["data_api_url"]
        pbx.clock.advance(3600)
        assert pbx.journal.count(face="uis", method="get.calls_report") == 0
        pbx.load_scenario("clinic_day", seed=3)
        with pbx.faults.inject("uis", "rate_limit", method="get.calls_report", count=1):
            ...
        pbx.truth.calls(start, end)      # datetimes or ISO 8601 strings with an offset

Times: every datetime these helpers return is aware and in the account's
timezone (the scenario's `timezone`, Europe/Moscow by default), the same
instant and offset `GET /_mockpbx/clock` shows, because that is what a client
sees from the provider (UIS and Mango speak the account's local time). Every
time they take is an aware datetime or an ISO 8601 string with an offset.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import datetime, time
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from aiohttp import web

from mockpbx.app import create_app, create_state
from mockpbx.state import JournalEntry, ServerState

if TYPE_CHECKING:
    from mockpbx.faults import FaultRegistry

__all__ = [
    "DEFAULT_START",
    "ClockControl",
    "FaultsControl",
    "JournalView",
    "MockPBXServer",
    "ServerError",
    "TruthView",
    "as_datetime",
]

T = TypeVar("T")

# A Thursday morning in Moscow: deterministic tests, working hours, a full week behind.
DEFAULT_START = datetime(2026, 5, 14, 10, 30, tzinfo=ZoneInfo("Europe/Moscow"))


class ServerError(AssertionError):
    """An exception was raised inside the server while a test talked to it."""


def as_datetime(value: datetime | str) -> datetime:
    """An aware datetime, or an ISO 8601 string with a UTC offset parsed into one."""
    when = value
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not ISO 8601: {value!r}") from None
    if not isinstance(when, datetime):
        raise ValueError(f"expected a datetime or an ISO 8601 string, got {value!r}")
    if when.tzinfo is None:
        raise ValueError(f"must carry a UTC offset, e.g. +03:00: {value!r}")
    return when


def _local(state: ServerState, when: datetime) -> datetime:
    """`when` in the account's timezone (what the provider and /_mockpbx/clock show)."""
    return when.astimezone(state.world.tz)


class ClockControl:
    """The server's virtual clock, driven from the test's thread."""

    def __init__(self, server: MockPBXServer) -> None:
        self._server = server

    def now(self) -> datetime:
        """The virtual time, in the account's timezone (as GET /_mockpbx/clock shows it)."""
        return self._server.call(lambda s: _local(s, s.world.clock.now()))

    def advance(self, seconds: float) -> datetime:
        return self._server.call(lambda s: _local(s, s.world.clock.advance(seconds)))

    def set(self, when: datetime | str) -> datetime:
        at = as_datetime(when)
        return self._server.call(lambda s: _local(s, s.world.clock.set(at)))

    def set_rate(self, rate: float) -> None:
        self._server.call(lambda s: s.world.clock.set_rate(rate))

    @property
    def rate(self) -> float:
        return self._server.call(lambda s: s.world.clock.rate)

    def advance_to(self, when: datetime | str) -> datetime:
        """Jump to `when` (a no-op if it has passed)."""
        at = as_datetime(when)
        return self._server.call(lambda s: _local(s, s.world.clock.advance_to(at)))

    def run_through(self, until: datetime | str, step: float = 60.0) -> int:
        """Advance in `step`-second jumps until `until`; returns how many jumps it took.

        Each jump wakes clock listeners (webhook dispatchers) as a running clock would.
        """
        until = as_datetime(until)
        jumps = 0
        while self.now() < until:
            left = (until - self.now()).total_seconds()
            self.advance(min(step, left))
            jumps += 1
        return jumps


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
            raise AssertionError(
                f"expected {face or '*'}/{method or '*'} {want}, journal has {n}; " + self.summary()
            )

    def summary(self) -> str:
        """What the journal holds, by face/method with counts (for assertion messages)."""
        entries = self.entries()
        if not entries:
            return "the journal is empty"
        held = Counter(f"{e.face}/{e.method}" for e in entries)
        return "it holds: " + ", ".join(f"{key} x{n}" for key, n in sorted(held.items()))

    def clear(self) -> None:
        self._server.call(lambda s: s.journal.clear())

    def assert_not_called(self, *, face: str | None = None, method: str | None = None) -> None:
        n = self.count(face=face, method=method)
        if n:
            raise AssertionError(
                f"expected no {face or '*'}/{method or '*'} request, journal has {n}; "
                + self.summary()
            )

    def last(self, *, face: str | None = None, method: str | None = None) -> JournalEntry:
        """The most recent matching entry (AssertionError if there is none)."""
        entries = self.entries(face=face, method=method)
        if not entries:
            raise AssertionError(
                f"no {face or '*'}/{method or '*'} request in the journal; " + self.summary()
            )
        return entries[-1]

    def faulted(self, kind: str | None = None) -> list[JournalEntry]:
        """Entries a fault hit (of `kind`, if given)."""
        return [
            e for e in self.entries() if e.fault and (kind is None or kind in e.fault.split(","))
        ]


class FaultsControl:
    """Inject faults into the server from the test (same kinds as POST /_mockpbx/faults)."""

    def __init__(self, server: MockPBXServer) -> None:
        self._server = server

    def add(self, face: str, kind: str, method: str = "*", **fields: Any) -> int:
        """Install a fault and return its id; fields as in the control API."""
        from mockpbx.scenarios.model import FaultSpec

        spec = FaultSpec.model_validate({"face": face, "kind": kind, "method": method, **fields})
        return self._server.call(lambda s: _registry(s).add(spec).id)

    def list(self) -> list[dict[str, Any]]:
        return self._server.call(lambda s: _registry(s).describe())

    def remove(self, fault_id: int) -> bool:
        return self._server.call(lambda s: _registry(s).remove(fault_id))

    def clear(self) -> None:
        self._server.call(lambda s: _registry(s).clear())

    @contextmanager
    def inject(self, face: str, kind: str, method: str = "*", **fields: Any) -> Iterator[int]:
        """A fault for the duration of a `with` block."""
        fault_id = self.add(face, kind, method, **fields)
        try:
            yield fault_id
        finally:
            self.remove(fault_id)


class TruthView:
    """What really happened (the same documents as GET /_mockpbx/truth/...)."""

    def __init__(self, server: MockPBXServer) -> None:
        self._server = server

    def calls(self, start: datetime | str, end: datetime | str) -> list[dict[str, Any]]:
        """Calls that started in [start, end): aware datetimes or ISO 8601 with an offset."""
        from mockpbx.providers.registry import FACE_IDS
        from mockpbx.scenarios.truth import calls_truth

        a, b = _epoch(start), _epoch(end)
        return self._server.call(lambda s: calls_truth(s.world, a, b, FACE_IDS))

    def clinic(self, start: datetime | str, end: datetime | str) -> dict[str, Any]:
        """The clinic side of [start, end): aware datetimes or ISO 8601 with an offset."""
        from mockpbx.scenarios.truth import clinic_truth

        a, b = _epoch(start), _epoch(end)
        return self._server.call(lambda s: clinic_truth(s.world, a, b))


def _epoch(when: datetime | str) -> int:
    return int(as_datetime(when).timestamp())


def _registry(state: ServerState) -> FaultRegistry:
    from mockpbx.faults import FaultRegistry

    if not isinstance(state.faults, FaultRegistry):
        raise RuntimeError("this server has no fault registry")
    return state.faults


class MockPBXServer:
    """A mockpbx server in a background thread on 127.0.0.1 and a free port.

    `secret_key` fixes its secrets (credentials, link hashes: byte-identical
    runs); without it they come from a random key of this server.
    `control_token` guards its /_mockpbx/ endpoints; `control_headers` carry it.
    `configure` runs on the state before the app is built: face options it sets
    (`state.options["uis"] = UisOptions(...)`) are the baseline every reset restores.
    """

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
        secret_key: str | None = None,
        control_token: str | None = None,
    ) -> None:
        if scenario is not None and not hasattr(scenario, "model_dump"):
            from mockpbx.scenarios.loader import load_scenario

            scenario = load_scenario(scenario)  # a built-in name or a file path
        self._kwargs = {
            "seed": seed,
            "start": start,
            "rate": rate,
            "scenario": scenario,
            "secret_key": secret_key,
        }
        self._configure = configure
        self.control_token = control_token
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.state: ServerState | None = None
        self.clock = ClockControl(self)
        self.journal = JournalView(self)
        self.faults = FaultsControl(self)
        self.truth = TruthView(self)

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
        self.state.control_token = self.control_token
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
    def control_headers(self) -> dict[str, str]:
        """Headers a client of /_mockpbx/ sends: the control token when the server has one."""
        if self.control_token is None:
            return {}
        return {"Authorization": f"Bearer {self.control_token}"}

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

    def load_scenario(
        self,
        scenario: Any,
        *,
        seed: int | None = None,
        start: datetime | str | None = None,
        rate: float | None = None,
    ) -> None:
        """Rebuild the world from a scenario (a name, a file path or a `Scenario`)."""
        from mockpbx.scenarios.loader import load_scenario
        from mockpbx.scenarios.model import Scenario

        sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        at = None if start is None else as_datetime(start)

        def configure(state: ServerState) -> None:
            if at is not None:
                state.start = at
            elif sc.start_time and state.start is not None:
                state.start = _at_start_time(state.start, sc)
            if rate is not None:
                state.rate = rate

        self.call(configure)
        self.reset(seed=seed, scenario=sc)

    def set_mango_webhook(self, url: str | None) -> dict[str, Any]:
        """Where Mango events go (`<url>events/call`, ...) until the next reset; None stops them.

        The same as `POST /_mockpbx/mango/webhook {"url": ...}` (an invalid URL raises
        ValueError with the control plane's message); returns its answer (`url`, `source`, `now`).
        """
        request = urllib.request.Request(
            f"{self.url}/_mockpbx/mango/webhook",
            data=json.dumps({"url": url}).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                answer: dict[str, Any] = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            with exc:
                message = json.loads(exc.read()).get("error", exc.reason)
            raise ValueError(f"mango webhook {url!r}: {message}") from None
        return answer

    def check_errors(self) -> None:
        """Raise ServerError if anything blew up inside the server."""
        errors = self.call(lambda s: list(s.server_errors))
        if errors:
            self.call(lambda s: s.server_errors.clear())
            raise ServerError("exception inside mockpbx:\n" + "\n".join(errors))


def _at_start_time(start: datetime, scenario: Any) -> datetime:
    tz = ZoneInfo(scenario.timezone)
    at = time.fromisoformat(scenario.start_time)
    return datetime.combine(start.astimezone(tz).date(), at, tzinfo=tz)


def _bound_port(site: web.TCPSite) -> int:
    """The port the OS picked for a site started on port 0."""
    server: Any = site._server
    return int(server.sockets[0].getsockname()[1])
