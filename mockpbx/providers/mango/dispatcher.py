"""The background dispatcher that posts signed events to the integrator.

Runs for the life of the server (`cleanup_ctx` of the Mango sub-app). It
keeps a cursor in virtual time and, whenever it wakes (the clock jumped or
reached the next planned event, a command changed a call, a result is
queued), derives the events of every call active since the cursor and posts
those that have come due, in time order. Only events after the moment a
webhook URL was configured are sent: no flood of history.

Delivery: `webhook_concurrency` posts in flight (Mango posts in parallel and
says to order by `seq`), a timeout and optional retries per post, and the
faults of `DeliveryFaults` (delay, duplicate, reorder, drop). Every attempt is
journaled with `direction="out"`.

Many accounts (`mockpbx.accounts`): account 1's dispatcher adopts one child
dispatcher per built account 2..N, which posts that account's events signed
with that account's own key and salt. A child posts to its account's webhook
(a serve option or scenario's, shared by all accounts), else to the one the
control plane set on account 1, from the moment it was set. Account 1's own
deliveries are unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import aiohttp

from mockpbx.core.profiles import lacks
from mockpbx.core.world import World
from mockpbx.providers.mango.directory import Lookup
from mockpbx.providers.mango.events import Event, call_events
from mockpbx.providers.mango.options import MangoOptions, event_offered, profile
from mockpbx.providers.mango.runtime import MangoRuntime, options, runtime, webhook_url
from mockpbx.providers.mango.signing import form_body
from mockpbx.state import ServerState

__all__ = ["Delivery", "Dispatcher", "due_events"]

_QUOTED = ("seq", "timestamp", "disconnect_reason")
_IDLE_RECHECK = 5.0  # real seconds between checks when nothing is planned


@dataclass(slots=True)
class Delivery:
    path: str
    payload: dict[str, Any]
    fault: str | None = None


def _profiled(events: list[Event], names: tuple[str, ...]) -> list[Event]:
    """The events a provider with this capability profile posts (core/profiles.py)."""
    if not names:
        return events
    kept = [e for e in events if event_offered(e.path, names)]
    if lacks(names, "tracking"):
        kept = [
            replace(e, payload={k: v for k, v in e.payload.items() if k != "dct"})
            if "dct" in e.payload
            else e
            for e in kept
        ]
    return kept


def due_events(
    world: World,
    rt: MangoRuntime,
    opts: MangoOptions,
    cursor: int,
    sent: set[str],
    profile_names: tuple[str, ...] = (),
) -> tuple[list[Event], int | None]:
    """Events with cursor <= ts <= now not yet sent, and the time of the next one after now."""
    now = world.now()
    look = Lookup(world)
    due: list[Event] = []
    upcoming: int | None = None
    for call in world.calls_since(cursor - opts.record_added_delay - 1):
        if call.start_ts > now:
            upcoming = call.start_ts if upcoming is None else min(upcoming, call.start_ts)
            continue
        events = call_events(
            call,
            look,
            command_of=rt.command_of,
            record_added_delay=opts.record_added_delay,
            recording=rt.recording_started.get(call.id),
        )
        for event in _profiled(events, profile_names):
            if event.ts > now:
                upcoming = event.ts if upcoming is None else min(upcoming, event.ts)
            elif event.ts >= cursor and f"{_call_of(event)}:{event.key}" not in sent:
                due.append(event)
    due.sort(key=Event.sort_key)
    return due, _next_start(world, now, upcoming)


def _next_start(world: World, now: int, upcoming: int | None) -> int | None:
    nxt = next(iter(world.store.iter_between(now + 1, now + 2 * 86400)), None)
    if nxt is None:
        return upcoming
    return nxt.start_ts if upcoming is None else min(upcoming, nxt.start_ts)


class Dispatcher:
    def __init__(self, state: ServerState, parent: ServerState | None = None) -> None:
        self.state = state
        self.parent = parent  # account 1's state, for a child dispatcher of account 2..N
        self._children: dict[int, Dispatcher] = {}  # id(account state) -> its dispatcher
        self._stopping: set[asyncio.Task[None]] = set()  # children of dropped accounts
        self._task: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[tuple[str, Delivery]] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None
        self._world: World | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._cursor: int | None = None
        self._url: str | None = None
        self._sent: set[str] = set()
        self._rnd = random.Random(state.seed)
        self._waiting_on: asyncio.Event | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        self._launch()

    def _launch(self) -> None:
        self._session = aiohttp.ClientSession()
        self._task = asyncio.create_task(self._run(), name="mango-dispatcher")

    async def stop(self) -> None:
        children, self._children = list(self._children.values()), {}
        for child in children:
            await child.stop()
        await asyncio.gather(*self._stopping, return_exceptions=True)
        tasks = [t for t in (self._task, *self._workers) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._unwatch()
        if self._session is not None:
            await self._session.close()

    def on_reset(self) -> None:
        self._cursor = None
        if self._waiting_on is not None:  # the old run-time's event, which the loop awaits
            self._waiting_on.set()
        self._wake()

    def _wake(self) -> None:
        runtime(self.state).wake.set()

    def _watch(self, world: World) -> None:
        self._unwatch()
        self._world = world
        self._unsubscribe = [
            world.clock.subscribe(self._wake),
            world.on_call_created(self._on_call),
        ]

    def _on_call(self, _: object) -> None:
        self._wake()

    def _unwatch(self) -> None:
        for unsubscribe in self._unsubscribe:
            with contextlib.suppress(ValueError):
                unsubscribe()
        self._unsubscribe = []

    # -- the loop ----------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            try:
                wait = self._tick()
            except Exception as exc:  # never let the dispatcher die silently
                (self.parent or self.state).record_error(exc)
                wait = _IDLE_RECHECK
            event = self._waiting_on = runtime(self.state).wake
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=wait)
            event.clear()

    def _adopt(self) -> None:
        """Start a child dispatcher for each built account 2..N; stop those of accounts a
        reset dropped."""
        assert self.state.accounts is not None
        built = {id(s): s for s in self.state.built_accounts() if s is not self.state}
        for key in [k for k in self._children if k not in built]:
            task = asyncio.create_task(self._children.pop(key).stop(), name="mango-child-stop")
            self._stopping.add(task)
            task.add_done_callback(self._stopping.discard)
        for key, account in built.items():
            if key not in self._children:
                child = self._children[key] = Dispatcher(account, parent=self.state)
                child._launch()

    def _webhook(self) -> tuple[str | None, int | None]:
        """(the URL this account's events go to, the virtual time it was set, if known)."""
        url, _ = webhook_url(self.state)
        rt = runtime(self.state)
        if url is not None or self.parent is None:
            return url, rt.webhook_since if url == rt.webhook else None
        inherited = runtime(self.parent)
        return inherited.webhook, inherited.webhook_since

    def _tick(self) -> float:
        """One pass: queue what is due; returns real seconds to sleep at most."""
        if self.state.accounts is not None:
            self._adopt()
        world, rt, opts = self.state.world, runtime(self.state), options(self.state)
        if world is not self._world:
            self._watch(world)
            self._cursor = None
        url, since = self._webhook()
        if url is None:
            self._cursor = None
            rt.outbox.clear()
            return _IDLE_RECHECK
        self._ensure_workers(opts)
        if self._cursor is None or url != self._url:
            self._cursor, self._url, self._sent = since or world.now(), url, set()
        while rt.outbox:
            self._enqueue(url, *rt.outbox.popleft(), rt)
        self._announce_stats(world, rt, opts, url)
        names = profile(opts, self.state.scenario)
        due, upcoming = due_events(world, rt, opts, self._cursor, self._sent, names)
        self._send_due(url, due, rt, world.now())
        return self._sleep_for(world, upcoming)

    def _send_due(self, url: str, due: list[Event], rt: MangoRuntime, now: int) -> None:
        held: Delivery | None = None
        for event in due:
            delivery = self._faulted(event.path, event.payload, rt)
            if delivery is None:
                continue
            if held is None and delivery.fault == "reorder":
                held = delivery
                continue
            self._put(url, delivery)
            if held is not None:
                self._put(url, held)
                held = None
        if held is not None:
            self._put(url, held)
        if now != self._cursor:
            self._sent = set()
        self._cursor = now
        self._sent.update(f"{_call_of(e)}:{e.key}" for e in due if e.ts == now)

    def _sleep_for(self, world: World, upcoming: int | None) -> float:
        if upcoming is None:
            return _IDLE_RECHECK
        wait = world.clock.real_seconds_until(upcoming)
        return _IDLE_RECHECK if wait is None else min(max(wait, 0.001), _IDLE_RECHECK)

    def _announce_stats(self, world: World, rt: MangoRuntime, opts: MangoOptions, url: str) -> None:
        if not opts.stats_ready_event:
            return
        for key, job in rt.stats.items():
            if not job.announced and world.now() >= job.requested_at + opts.stats_ready_after:
                job.announced = True
                payload = {"key": key, "request_id": job.params.get("request_id", "")}
                self._enqueue(url, opts.stats_ready_event, payload, rt)

    # -- delivery ------------------------------------------------------------------------------
    def _faulted(self, path: str, payload: dict[str, Any], rt: MangoRuntime) -> Delivery | None:
        f = rt.faults
        if f.paths and path not in f.paths:
            return Delivery(path, payload)
        if f.drop and self._rnd.random() < f.drop:
            self._journal(path, payload, status=0, ms=0.0, error="dropped", fault="drop")
            return None
        if f.duplicate and self._rnd.random() < f.duplicate:
            return Delivery(path, payload, "duplicate")
        if f.reorder and self._rnd.random() < f.reorder:
            return Delivery(path, payload, "reorder")
        return Delivery(path, payload, "delay" if f.delay_seconds else None)

    def _enqueue(self, url: str, path: str, payload: dict[str, Any], rt: MangoRuntime) -> None:
        delivery = self._faulted(path, payload, rt)
        if delivery is not None:
            self._put(url, delivery)

    def _put(self, url: str, delivery: Delivery) -> None:
        self._queue.put_nowait((url, delivery))
        if delivery.fault == "duplicate":
            self._queue.put_nowait((url, delivery))

    def _ensure_workers(self, opts: MangoOptions) -> None:
        self._workers = [w for w in self._workers if not w.done()]
        while len(self._workers) < opts.webhook_concurrency:
            self._workers.append(asyncio.create_task(self._worker(), name="mango-webhook"))

    async def _worker(self) -> None:
        while True:
            url, delivery = await self._queue.get()
            try:
                await self._deliver(url, delivery)
            except Exception as exc:
                (self.parent or self.state).record_error(exc)
            finally:
                self._queue.task_done()

    async def _deliver(self, url: str, d: Delivery) -> None:
        opts, rt = options(self.state), runtime(self.state)
        if rt.faults.delay_seconds and (not rt.faults.paths or d.path in rt.faults.paths):
            await asyncio.sleep(rt.faults.delay_seconds)
        payload = _quoted(d.payload) if opts.events_quoted else d.payload
        creds = self.state.credentials
        _, body = form_body(creds.mango_api_key, creds.mango_api_salt, payload)
        target = url.rstrip("/") + "/" + d.path
        for _attempt in range(opts.webhook_retries + 1):
            status, error = await self._post(target, body, opts.webhook_timeout, d, payload)
            if error is None and status < 500:
                return

    async def _post(
        self, target: str, body: str, limit: float, d: Delivery, payload: dict[str, Any]
    ) -> tuple[int, str | None]:
        assert self._session is not None
        started = time.perf_counter()
        status, error = 0, None
        try:
            async with self._session.post(
                target,
                data=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                timeout=aiohttp.ClientTimeout(total=limit),
            ) as resp:
                status = resp.status
                await resp.read()
                if status >= 400:
                    error = f"HTTP {status}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        ms = (time.perf_counter() - started) * 1000
        self._journal(d.path, payload, status=status, ms=ms, error=error, fault=d.fault, url=target)
        return status, error

    def _journal(
        self,
        path: str,
        payload: dict[str, Any],
        *,
        status: int,
        ms: float,
        error: str | None,
        fault: str | None,
        url: str = "",
    ) -> None:
        self.state.journal.record(
            time=self.state.world.clock.now().isoformat(),
            face="mango",
            method=path,
            http_method="POST",
            path=url or path,
            status=status,
            duration_ms=round(ms, 3),
            direction="out",
            error=error,
            params=payload,
            fault=fault,
        )

    async def drain(self) -> None:
        """Wait until every queued delivery has been attempted (tests, benchmarks)."""
        await self._queue.join()


def _call_of(event: Event) -> str:
    return str(event.payload.get("entry_id", ""))


def _quoted(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if k in _QUOTED and isinstance(v, int) else v for k, v in payload.items()}
