"""Runtime state of one mockpbx server: the world, credentials, journal, hooks.

`ServerState` is what every face and the control plane reach through
`request.config_dict[STATE]`. A reset swaps the world (and clears the
journal) but keeps the object, so faces never hold a stale world.
"""

from __future__ import annotations

import itertools
import re
import secrets
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

from mockpbx import keys
from mockpbx.core.ids import Secrets
from mockpbx.core.world import World

if TYPE_CHECKING:
    from mockpbx.scenarios.model import Scenario

__all__ = [
    "RESPONSE_EXCERPT",
    "STATE",
    "AccountDirectory",
    "Credentials",
    "FaultHook",
    "InjectedFault",
    "Journal",
    "JournalEntry",
    "PageShift",
    "ProviderErrorFault",
    "ServerState",
    "TokenExpiredFault",
    "WorldFactory",
    "mask_secrets",
    "page_start",
    "response_excerpt",
]

WorldFactory = Callable[["ServerState"], World]


@dataclass(slots=True)
class Credentials:
    """Credentials every face accepts; derived from the server's secret key, never the seed."""

    uis_access_token: str
    uis_login: str
    uis_password: str
    mango_api_key: str
    mango_api_salt: str
    clinic_key: str

    @classmethod
    def from_secrets(cls, s: Secrets) -> Credentials:
        return cls(
            uis_access_token=s.token_hex("uis-access-token", nbytes=20),
            uis_login="clinic_admin",
            uis_password=s.token_hex("uis-password", nbytes=6),
            mango_api_key=s.token_hex("mango-key", nbytes=14)[:27],
            mango_api_salt=s.token_hex("mango-salt", nbytes=16),
            clinic_key=s.token_hex("clinic-key", nbytes=16),
        )

    @classmethod
    def from_key(cls, key: str) -> Credentials:
        """The credentials of a fixed secret key (str(seed) gives those of earlier versions)."""
        return cls.from_secrets(Secrets(key))

    def document(self, base: str) -> dict[str, Any]:
        """Absolute URLs and credentials of every face under `base` (scheme://host:port)."""
        return {
            "base_url": base,
            "uis": {
                "data_api_url": f"{base}/uis/dataapi/v2.0",
                "call_api_url": f"{base}/uis/callapi/v4.0",
                "access_token": self.uis_access_token,
                "login": self.uis_login,
                "password": self.uis_password,
            },
            "mango": {
                "url": f"{base}/mango/vpbx/",
                "api_key": self.mango_api_key,
                "api_salt": self.mango_api_salt,
            },
            "clinic": {"url": f"{base}/clinic/v1", "key": self.clinic_key},
        }


# The journal keeps this much of each buffered text response: a full journal (5000 entries, the
# deque below) of maximal excerpts holds 12 MiB, 22 MiB when a Cyrillic letter makes Python store
# 2 bytes a character (bench/bench_journal.py); 4 KiB would double it for a view of the shape.
RESPONSE_EXCERPT = 2048
_TEXT_TYPES = ("application/json", "application/problem+json", "application/xml", "text/")
_SECRET_NAMES = r"(?:access_token|token|key|password|sign|api_key|api_salt|secret)"
_JSON_STRING = r'"(?:[^"\\]|\\.)*(?:"|\\?\Z)'  # its closing quote may lie past the cut
_JSON_SCALAR = rf"(?:{_JSON_STRING}|\[[^\]]*\]?|[^,{{}}\[\]\s]+)"  # string, flat array, number...
# The value of a member named like a secret, and the value a UIS error echoes for such a field
# ({"field": "password", "value": 12345678} when a password came as a number).
_SECRET_MEMBER = re.compile(
    rf'("{_SECRET_NAMES}"\s*:\s*|"field"\s*:\s*"{_SECRET_NAMES}"\s*,\s*"value"\s*:\s*)'
    rf"{_JSON_SCALAR}",
    re.IGNORECASE,
)


_SECRET_WORDS = ("token", "key", "password", "sign", "salt", "secret")


def mask_secrets(text: str) -> str:
    """`text` with the value of every JSON member named like a secret replaced by `***`."""
    lowered = text.lower()  # a plain scan first: most answers name no secret, the regex costs more
    if not any(word in lowered for word in _SECRET_WORDS):
        return text
    return _SECRET_MEMBER.sub(r'\1"***"', text)


def response_excerpt(response: web.StreamResponse | None) -> dict[str, Any] | None:
    """What the journal keeps of a response: a masked head of buffered text, else its kind."""
    if response is None:
        return None
    ctype = response.content_type
    body = response.body if isinstance(response, web.Response) else None
    if not isinstance(body, bytes | bytearray):
        return {"content_type": ctype, "size": None, "truncated": False, "text": "(streamed)"}
    size = len(body)
    if not ctype.startswith(_TEXT_TYPES) and not ctype.endswith(("+json", "/csv")):
        text = f"(binary, {size} bytes)" if size else ""
        return {"content_type": ctype, "size": size, "truncated": False, "text": text}
    head = bytes(body[:RESPONSE_EXCERPT]).decode("utf-8", "replace")
    return {
        "content_type": ctype,
        "size": size,
        "truncated": size > RESPONSE_EXCERPT,
        "text": mask_secrets(head),
    }


@dataclass(slots=True)
class JournalEntry:
    seq: int
    time: str  # virtual time, ISO 8601
    real_time: float
    face: str
    method: str
    http_method: str
    path: str
    status: int
    duration_ms: float
    direction: str = "in"  # in: a request to the mock; out: a webhook the mock sent
    error: str | None = None
    params: Any = None
    fault: str | None = None
    response: dict[str, Any] | None = None  # response_excerpt(): never a secret, at most 2 KiB

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


class Journal:
    """Recent requests and webhook deliveries, bounded in memory."""

    def __init__(self, maxlen: int = 5000) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=maxlen)
        self._seq = itertools.count(1)

    def record(self, **fields: Any) -> JournalEntry:
        entry = JournalEntry(seq=next(self._seq), real_time=time.time(), **fields)
        self._entries.append(entry)
        return entry

    def entries(
        self, *, face: str | None = None, method: str | None = None, since: int = 0
    ) -> Iterator[JournalEntry]:
        for e in self._entries:
            if e.seq > since and face in (None, e.face) and method in (None, e.method):
                yield e

    def count(self, *, face: str | None = None, method: str | None = None) -> int:
        return sum(1 for _ in self.entries(face=face, method=method))

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class InjectedFault(Exception):
    """Base of faults that a face must render in its provider's own shape.

    The fault hook raises these from `intercept`; each face's error
    middleware maps them like the real provider would answer.
    """

    kind = "fault"


class ProviderErrorFault(InjectedFault):
    """Answer with the provider's own error for this method (`code`/`message` optional)."""

    kind = "provider_error"

    def __init__(self, code: int | str | None = None, message: str | None = None) -> None:
        super().__init__(message or "injected provider error")
        self.code = code
        self.message = message


class TokenExpiredFault(InjectedFault):
    """Answer as if the client's credential had expired.

    `static`: the face's static key (it stays expired while the fault exists);
    otherwise the request's session, which the face must end for good (the
    client has to log in again).
    """

    kind = "expire_token"

    def __init__(self, message: str = "injected: the token has expired", *, static: bool = True):
        super().__init__(message)
        self.static = static


class PageShift(Protocol):
    """Rows arriving at the head of a listing while a client pages (duplicate_rows)."""

    def start(self, offset: int, limit: int, listing: str) -> int: ...


def page_start(request: web.Request, offset: int, limit: int, listing: str) -> int:
    """Where the page asked for at `offset` really starts: rows that arrived at the head
    since the client's first page push the rest down, so the page starts that many rows
    earlier (and still holds at most `limit` rows). `listing` names the list being paged
    (the method's parameters without the offset)."""
    shift = request.get(keys.FAULT_DUPLICATE_ROWS)
    return offset if shift is None else shift.start(offset, limit, listing)


class FaultHook(Protocol):
    """Decides, per provider call, whether a fault replaces or alters the response.

    Faces call `intercept` once they know the method, before doing the work:
    - a returned response is sent as is (HTTP 5xx, 429 + Retry-After);
    - an `InjectedFault` raised is rendered by the face in its provider's shape;
    - latency and hangs are awaited inside `intercept` (never blocking others);
    - paging faces start a page at `page_start(request, offset, limit, listing)`:
      under duplicate_rows, rows that arrived at the head since the first page
      push the rest down, so rows repeat across pages, none is lost and no
      page exceeds `limit`;
    - faces with session keys set `request[keys.FAULT_CREDENTIAL]` before calling:
      "static" (the default), "session" or "" (no credential to expire);
    - body truncation and connection resets are done by the fault layer itself.
    """

    async def intercept(
        self, request: web.Request, face: str, method: str
    ) -> web.StreamResponse | None: ...


class AccountDirectory(Protocol):
    """A server's many accounts (`mockpbx.accounts.AccountSet`)."""

    def find(
        self, kind: str, value: str, fallback: Callable[[ServerState], bool] | None = None
    ) -> ServerState | None: ...

    def state(self, number: int) -> ServerState: ...

    def built(self) -> Iterator[ServerState]: ...


class _NoFaults:
    async def intercept(
        self, request: web.Request, face: str, method: str
    ) -> web.StreamResponse | None:
        return None


@dataclass
class ServerState:
    """Everything one running mock holds; replaced piecewise, never re-created."""

    world: World
    world_factory: WorldFactory
    seed: int
    credentials: Credentials
    start: datetime | None = None
    rate: float = 0.0
    scenario: Scenario | None = None
    journal: Journal = field(default_factory=Journal)
    base_url: str = ""
    # per-face options by face name (a face's pydantic model: mockpbx.providers.registry);
    # "replay" holds `serve --replay`'s recorded answers
    options: dict[str, Any] = field(default_factory=dict)
    # the options in effect when the app was built (FaceOptions.install): every reset
    # restores them, so a test's options never leak into the next one
    options_baseline: dict[str, Any] = field(default_factory=dict)
    faults: FaultHook = field(default_factory=_NoFaults)
    server_errors: list[str] = field(default_factory=list)
    on_reset: list[Callable[[], Awaitable[None] | None]] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)  # per-face runtime state
    # Secrets: a fixed key (`--secret-key`, MOCKPBX_SECRET_KEY, a marker) wins over the
    # scenario's `secret_key`, which wins over this server's own random key.
    secret_key: str | None = None
    credentials_key: str | None = None  # the key `credentials` were derived from
    random_key: str = field(default_factory=lambda: secrets.token_hex(16))
    # Exposure: a token every /_mockpbx/ endpoint but health, the dashboard page and the
    # OpenAPI document asks for (None: no token); insecure: no token on purpose, any
    # webhook target; otherwise webhook targets must match `webhook_allow`.
    control_token: str | None = None
    insecure_control: bool = False
    webhook_allow: tuple[str, ...] = ("localhost", "127.0.0.0/8", "::1")

    def effective_secret_key(self) -> str:
        """The key the secrets of the current world derive from."""
        from_scenario = getattr(self.scenario, "secret_key", None)
        return self.secret_key or from_scenario or self.random_key

    def apply_secrets(self) -> None:
        """Give the world and the credentials the secrets of `effective_secret_key()`."""
        key = self.effective_secret_key()
        self.world.secrets = Secrets(key)
        if key != self.credentials_key:  # credentials a test set by hand stay until the key changes
            self.credentials = Credentials.from_key(key)
            self.credentials_key = key

    # -- many accounts (mockpbx.accounts): None = this state is the only account ----------
    accounts: AccountDirectory | None = None
    account: int = 1  # this state's account number

    def account_for(
        self,
        kind: str,
        value: object,
        fallback: Callable[[ServerState], bool] | None = None,
    ) -> ServerState:
        """The account a request's credential names (the hook every face calls once it
        has the credential); this state when it serves one account or none matches."""
        if self.accounts is None or not isinstance(value, str):
            return self
        return self.accounts.find(kind, value, fallback) or self

    def built_accounts(self) -> Iterator[ServerState]:
        """The account states that exist, this one first: where a link without a credential
        (a public recording link) is looked up, since only a built account hands one out."""
        if self.accounts is None:
            yield self
        else:
            yield from self.accounts.built()

    # -- end of many accounts ---------------------------------------------------------------

    def record_error(self, exc: BaseException) -> None:
        """Keep an unexpected server error for the test harness (never sent to clients)."""
        text = "".join(traceback.format_exception(exc))
        self.server_errors.append(text)
        del self.server_errors[:-50]

    async def reset(self, *, seed: int | None = None, scenario: Scenario | None = None) -> None:
        """Rebuild the world from the scenario and seed; clock back to the start; every
        face's options back to their baseline (those in effect when the app was built)."""
        if seed is not None:
            self.seed = seed
        if scenario is not None:
            self.scenario = scenario
        self.world = self.world_factory(self)
        self.apply_secrets()
        self.journal.clear()
        self.extras.clear()
        self.options.update(self.options_baseline)
        for hook in self.on_reset:
            result = hook()
            if result is not None:
                await result


STATE = web.AppKey("mockpbx_state", ServerState)
