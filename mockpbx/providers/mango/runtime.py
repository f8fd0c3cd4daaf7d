"""The Mango face's run-time memory, kept in `state.extras["mango"]` (so a reset clears it),
and the face's options as the registry holds them (`OPTIONS`, read through `options`).

Stats jobs by key, single-use recording links, rate-limit windows, the
bad-request lock-out, which command created which leg, the webhook override
and delivery faults, and the queue of `result/*` posts for the dispatcher.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mockpbx.providers.base import FaceOptions
from mockpbx.providers.mango.errors import LockedOut, RateLimited
from mockpbx.providers.mango.options import DeliveryFaults, MangoOptions, check_options
from mockpbx.state import ServerState

__all__ = [
    "LIMITS",
    "OPTIONS",
    "Link",
    "MangoRuntime",
    "StatsJob",
    "options",
    "runtime",
    "webhook_url",
]

# Requests per seconds, per product (doc 08); other methods: the default 10/1.
LIMITS: dict[str, tuple[int, float]] = {
    "commands/callback": (4, 1),
    "commands/call/hangup": (4, 1),
    "commands/recording/start": (4, 1),
    "commands/transfer": (1, 2),
    "commands/route": (1, 2),
    "queries/recording/post": (10, 1),
    "queries/recording/link": (10, 1),
    "config/users/request": (1, 2),
    "account/balance": (2, 1),
    "stats/request": (1, 2),
    "stats/calls/request": (1, 2),  # [I] doc 08 names "stats request" (see the options)
    "stats/result": (50, 1),
    "stats/calls/result": (50, 1),
}
DEFAULT_LIMIT = (10, 1.0)


@dataclass(slots=True)
class StatsJob:
    kind: str  # csv | json
    params: dict[str, Any]
    requested_at: int  # virtual time
    polls: int = 0
    announced: bool = False  # result/stat posted
    body: Any = None  # built on the first ready poll, then served as is


@dataclass(slots=True)
class Link:
    call_id: int
    action: str  # play | download
    expires: int  # virtual time
    used: bool = False
    client: str | None = None  # the peer address of the playback it serves (single use)


@dataclass
class MangoRuntime:
    webhook: str | None = None
    webhook_since: int | None = None  # virtual time the control plane set `webhook`
    faults: DeliveryFaults = field(default_factory=DeliveryFaults)
    stats: dict[str, StatsJob] = field(default_factory=dict)
    links: dict[str, Link] = field(default_factory=dict)
    windows: dict[str, deque[float]] = field(default_factory=dict)
    first_bad: int | None = None
    blocked_until: int | None = None
    leg_commands: dict[int, str] = field(default_factory=dict)  # world leg id -> command_id
    call_commands: dict[int, str] = field(default_factory=dict)  # world call id -> command_id
    recording_started: dict[int, tuple[int, str | None]] = field(default_factory=dict)
    outbox: deque[tuple[str, dict[str, Any]]] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    _keys: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def new_key(self, seed: int, kind: str = "stats") -> str:
        """A stats key like Mango's (base64 of 16 bytes): seeded, so runs repeat exactly."""
        raw = f"{kind}:{seed}:{next(self._keys)}".encode()
        return base64.b64encode(hashlib.blake2b(raw, digest_size=16).digest()).decode()

    def new_token(self, secret_key: str) -> str:
        """An unguessable (192-bit) token of a file link, from the server's secret key."""
        raw = f"link:{secret_key}:{next(self._keys)}".encode()
        return base64.urlsafe_b64encode(hashlib.blake2b(raw, digest_size=24).digest()).decode()

    # -- limits ------------------------------------------------------------------------------
    def check_rate(
        self,
        method: str,
        now: float | None = None,
        overrides: Mapping[str, tuple[int, float] | None] | None = None,
    ) -> None:
        """Raise RateLimited when `method` is over its per-product limit at `now` (the
        clock the options name; real monotonic time when None); `overrides` (the
        options' `rate_limit_overrides`) change or lift (None) a limit."""
        if overrides and method in overrides:
            rule = overrides[method]
            if rule is None:
                return
            limit, per = rule
        else:
            limit, per = LIMITS.get(method, DEFAULT_LIMIT)
        now = time.monotonic() if now is None else now
        window = self.windows.setdefault(method, deque())
        while window and window[0] <= now - per:
            window.popleft()
        if len(window) >= limit:
            raise RateLimited()
        window.append(now)

    def check_lockout(self, now: int) -> None:
        if self.blocked_until is not None and now < self.blocked_until:
            raise LockedOut()

    def note_bad_request(self, now: int, opts: MangoOptions) -> bool:
        """Count a 3xxx answer; True when it trips the lock-out (answer 401 instead)."""
        if not opts.bad_request_lockout:
            return False
        if self.first_bad is not None and now < self.first_bad + opts.lockout_seconds:
            self.blocked_until = self.first_bad + opts.lockout_seconds
            return True
        self.first_bad = now
        return False

    # -- outgoing posts ------------------------------------------------------------------------
    def post_later(self, path: str, payload: dict[str, Any]) -> None:
        """Queue a `result/...` post to the integrator and wake the dispatcher."""
        self.outbox.append((path, payload))
        self.wake.set()

    def command_of(self, call: Any, leg_id: int | None) -> str | None:
        if leg_id is not None and leg_id in self.leg_commands:
            return self.leg_commands[leg_id]
        return self.call_commands.get(call.id)


def runtime(state: ServerState) -> MangoRuntime:
    rt = state.extras.get("mango")
    if not isinstance(rt, MangoRuntime):
        rt = state.extras["mango"] = MangoRuntime()
    return rt


def _wake(state: ServerState) -> None:
    """Changed options (a webhook URL, delivery settings) reach the dispatcher at once."""
    runtime(state).wake.set()


OPTIONS = FaceOptions("mango", MangoOptions, check=check_options, changed=_wake)


def options(state: ServerState) -> MangoOptions:
    """The face's options in effect (converted from a dict on first use)."""
    return OPTIONS.of(state)


def webhook_url(state: ServerState) -> tuple[str | None, str | None]:
    """(the integrator URL in effect, where it came from: control | serve | scenario)."""
    rt, opts = runtime(state), options(state)
    if rt.webhook:
        return rt.webhook, "control"
    if opts.webhook_url:
        return opts.webhook_url, "serve"
    from_scenario = getattr(state.scenario, "mango_webhook", None)  # a scenario may name one
    if isinstance(from_scenario, str) and from_scenario:
        return from_scenario, "scenario"
    return None, None
