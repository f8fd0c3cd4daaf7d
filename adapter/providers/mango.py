"""Mango Office VPBX API client: extended call statistics, recordings, callback.

- Every request is a form post of `vpbx_api_key`, `sign`, `json`, with
  sign = sha256(key + json + salt) over the exact compact json sent.
- Errors: HTTP 401 (bad key/sign), 429 (+ Retry-After), legacy 420 `{"code"}`,
  or 200 with a `result` code; 1000/1001 are success, 4290 and 5xxx are
  transient, 2xxx/3102/3105 are auth, other 3xxx/4xxx are protocol errors.
- History: `stats/calls/request` -> key -> poll `stats/calls/result/` until
  `complete` (204, `request` and `work` mean "not yet"; a 404 or `not-found`
  key restarts the page). Dates are `DD.MM.YYYY HH:MM:SS` in the account's
  timezone (Moscow unless configured); the window must be shorter than 30 days,
  so periods are split at 30 days with an inclusive end of window - 1 s.
- Live calls: Mango has no call-list method; its signed `events/call` pushes
  are collected by `adapter.providers.mango_events.LiveBoard`; attach one to
  get the CURRENT_CALLS capability.
- Recording links: the signed GET `queries/recording/link/{id}/play/{key}/{exp}/{sign}`
  with a configurable lifetime (DEVIATION: the documented "post" variant gives
  single-use links that cannot be cached; this one must be enabled in the account).
- UTM: Mango's statistics carry none (only live `dct` data), so no UTM capability.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from adapter.errors import (
    AuthError,
    CapabilityError,
    ConfigError,
    ProtocolError,
    RateLimitedError,
    UnavailableError,
)
from adapter.model import CallRecord, Direction, LiveCall, to_e164
from adapter.providers._http import Sleep, retrying, send, stable_pages
from adapter.providers.base import (
    AccountInfo,
    CallbackRequest,
    CallbackResult,
    Capability,
    RetryPolicy,
    lost,
    split_period,
)
from adapter.providers.mango_signing import recording_link_sign, sign
from adapter.urls import check_url

if TYPE_CHECKING:
    from adapter.providers.mango_events import LiveBoard

__all__ = ["MangoClient", "MangoSettings"]

NAME = "mango"
PAGE_SIZES = (1, 5, 10, 20, 50, 100, 500, 1000, 2000, 5000)


@dataclass(frozen=True, slots=True)
class MangoSettings:
    url: str  # base, e.g. https://app.mango-office.ru/vpbx/
    api_key: str
    api_salt: str
    timezone: str = "Europe/Moscow"  # of the account; stats dates are in it
    page_size: int = 5000
    poll_interval: float = 5.0  # Mango asks for at least 5 s between polls
    poll_timeout: float = 300.0
    max_window_days: int = 30  # the window must be shorter than this
    recording_link_ttl_days: int = 365
    line_number: str | None = None  # default caller-id line for callbacks

    def __post_init__(self) -> None:
        check_url(self.url, "mango.url")
        if not self.api_key or not self.api_salt:
            raise ConfigError("Mango needs an API key and salt", setting="mango.api_key")
        if self.page_size not in PAGE_SIZES:
            raise ConfigError(
                f"Mango page size must be one of {PAGE_SIZES}", setting="mango.page_size"
            )

    @property
    def base(self) -> str:
        return self.url if self.url.endswith("/") else self.url + "/"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class MangoLeg(_Model):
    call_type: str | None = None
    call_abonent_id: int | str | None = None
    call_abonent_info: str | None = None
    call_abonent_number: str | None = None
    call_start_time: int | None = None
    call_answer_time: int | None = None
    call_end_time: int | None = None
    talk_duration: int | None = 0
    recording_id: list[str] | None = None
    call_end_reason: int | str | None = None
    members: list[MangoLeg] | None = None


class MangoContext(_Model):
    entry_id: str
    context_type: int = 1
    context_status: int = 0
    caller_id: int | str | None = None
    caller_name: str | None = None
    caller_number: str | None = None
    called_number: str | None = None
    context_start_time: int
    duration: int | None = 0
    talk_duration: int | None = 0
    context_calls: list[MangoLeg] | None = None


class MangoDay(_Model):
    items: list[MangoContext] = Field(default_factory=list, alias="list")
    period: str | None = None


_DAYS = TypeAdapter(list[MangoDay])
_NOT_READY = {"request", "work"}


class _KeyLost(UnavailableError):
    """The stats key is unknown or expired: request the page again."""


class MangoClient:
    """Mango Office VPBX API behind the `Provider` interface."""

    name = NAME

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: MangoSettings,
        *,
        board: LiveBoard | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._http = http
        self.settings = settings
        self.board = board
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._commands = itertools.count(1)
        self.tz = ZoneInfo(settings.timezone)
        caps = {Capability.HISTORY, Capability.RECORDINGS, Capability.CALLBACK}
        if board is not None:
            caps.add(Capability.CURRENT_CALLS)
        self.capabilities = frozenset(caps)
        self.max_window = timedelta(days=settings.max_window_days)

    # -- transport ---------------------------------------------------------------
    async def post(self, method: str, payload: dict[str, Any]) -> httpx.Response:
        """One signed form post (no retries); errors mapped, 200/204/302/404 returned."""
        s = self.settings
        text = orjson.dumps(payload).decode()
        form = {"vpbx_api_key": s.api_key, "sign": sign(s.api_key, text, s.api_salt), "json": text}
        response = await send(
            self._http,
            "POST",
            s.base + method,
            provider=NAME,
            timeout=self._retry.timeout,
            data=form,
        )
        _raise_for_status(response, method)
        return response

    async def request(self, method: str, payload: dict[str, Any]) -> dict[str, Any]:
        """A method whose answer is a JSON object with a success `result`; retried."""
        async for attempt in retrying(self._retry, sleep=self._sleep):
            with attempt:
                return _json(await self.post(method, payload), method)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- Provider interface ------------------------------------------------------
    async def account(self) -> AccountInfo:
        key = self.settings.api_key
        return AccountInfo(key=f"mango:{key[:12]}", name=f"Mango {key[:6]}…", timezone=self.tz)

    async def history(self, start: datetime, end: datetime) -> AsyncIterator[list[CallRecord]]:
        account = await self.account()
        limit = self.settings.page_size
        for w_start, w_end in split_period(start, end, max_span=self.max_window):

            async def fetch(
                offset: int, lo: datetime = w_start, hi: datetime = w_end
            ) -> list[MangoContext]:
                return await self._stats_page(lo, hi, offset, limit)

            async for contexts in stable_pages(fetch, limit=limit, key=_entry_id):
                yield [
                    r
                    for r in (self._record(c, account) for c in contexts)
                    if w_start <= r.started_at < w_end
                ]

    async def _stats_page(
        self, start: datetime, end: datetime, offset: int, limit: int
    ) -> list[MangoContext]:
        payload = {
            "start_date": _mango_date(start, self.tz),
            "end_date": _mango_date(end - timedelta(seconds=1), self.tz),
            "limit": str(limit),
            "offset": str(offset),
        }
        async for attempt in retrying(self._retry, sleep=self._sleep):
            with attempt:
                key = _json(await self.post("stats/calls/request", payload), "stats/calls/request")
                if not key.get("key"):
                    raise ProtocolError("mango stats/calls/request: no key", provider=NAME)
                return await self._poll_stats(str(key["key"]))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _poll_stats(self, key: str) -> list[MangoContext]:
        deadline = time.monotonic() + self.settings.poll_timeout
        method = "stats/calls/result/"
        while True:
            response = await self.post(method, {"key": key})
            if response.status_code == 404:
                raise _KeyLost(f"mango {method}: key {key} unknown or expired", provider=NAME)
            if response.status_code == 200:
                body = _json(response, method)
                status = body.get("status", "complete")
                if status == "complete":
                    return _contexts(body)
                if status not in _NOT_READY:
                    raise _KeyLost(f"mango {method}: status {status!r}", provider=NAME)
            if time.monotonic() > deadline:
                raise UnavailableError(f"mango {method}: not ready in time", provider=NAME)
            await self._sleep(self.settings.poll_interval)

    async def current_calls(self) -> list[LiveCall]:
        if self.board is None:
            raise CapabilityError(
                "Mango has no call-list method: current calls need the events receiver "
                "(adapter.providers.mango_events) attached to this client"
            )
        return self.board.live_calls()

    async def callback(self, request: CallbackRequest) -> CallbackResult:
        if not request.extension:
            raise ConfigError(
                "a Mango callback needs the employee's extension", setting="extension"
            )
        command_id = request.external_id or f"cb-{uuid.uuid4().hex[:16]}"
        origin: dict[str, str] = {"extension": request.extension}
        if request.employee_phone:
            origin["number"] = request.employee_phone
        payload: dict[str, Any] = {
            "command_id": command_id,
            "from": origin,
            "to_number": request.contact_number.strip().lstrip("+"),
        }
        line = request.virtual_number or self.settings.line_number
        if line:
            payload["line_number"] = line.lstrip("+")
        try:
            await self.request("commands/callback", payload)
        except ProtocolError as exc:
            if exc.code not in (404, 4001):  # an unknown method: not on this account
                raise
            why = f"the Mango account does not offer callback ({exc})"
            raise lost(self, Capability.CALLBACK, why) from exc
        return CallbackResult(provider=NAME, request_id=command_id)

    async def aclose(self) -> None:
        return None

    # -- wire -> model -----------------------------------------------------------
    def recording_url(self, recording_id: str, *, now: float | None = None) -> str:
        """A signed GET link a browser opens, valid for the configured lifetime."""
        s = self.settings
        expires = int((now or time.time()) + s.recording_link_ttl_days * 86400)
        signature = recording_link_sign(s.api_key, expires, recording_id, s.api_salt)
        return (
            f"{s.base}queries/recording/link/{recording_id}/play/{s.api_key}/{expires}/{signature}"
        )

    def _record(self, ctx: MangoContext, account: AccountInfo) -> CallRecord:
        started = datetime.fromtimestamp(ctx.context_start_time, self.tz)
        legs = _flat_legs(ctx.context_calls or [])
        answered_leg = next((leg for leg in legs if leg.call_answer_time), None)
        talk = ctx.talk_duration or 0
        answered = ctx.context_status == 1 and answered_leg is not None
        duration = ctx.duration or 0
        if answered_leg is not None and answered_leg.call_answer_time:
            wait = max(0, answered_leg.call_answer_time - ctx.context_start_time)
        else:
            wait = duration
        direction = {1: Direction.IN, 2: Direction.OUT}.get(ctx.context_type, Direction.INTERNAL)
        contact = ctx.called_number if direction is Direction.OUT else ctx.caller_number
        ids = dict.fromkeys(rid for leg in legs for rid in (leg.recording_id or ()))
        recordings = tuple(self.recording_url(rid) for rid in ids)
        reasons = [leg.call_end_reason for leg in legs if leg.call_end_reason is not None]
        person = answered_leg if answered else None
        if person is None and direction is Direction.OUT:
            person = next((leg for leg in legs if leg.call_type in ("user", "number")), None)
        return CallRecord(
            provider=NAME,
            provider_call_id=ctx.entry_id,
            account=account.key,
            started_at=started,
            finished_at=started + timedelta(seconds=duration),
            direction=direction,
            contact_number=to_e164(contact),
            virtual_number=to_e164(ctx.called_number) if direction is Direction.IN else None,
            answered=answered,
            wait_seconds=wait,
            talk_seconds=talk if answered else 0,
            employee_id=_str(person.call_abonent_id) if person else None,
            employee_name=person.call_abonent_info if person else None,
            sip_line=person.call_abonent_number if person else None,
            recording_urls=recordings,
            finish_reason=str(reasons[-1]) if reasons else None,
        )


def _flat_legs(legs: list[MangoLeg]) -> list[MangoLeg]:
    """Legs in order, each group leg followed by its members (the people who rang)."""
    out: list[MangoLeg] = []
    for leg in legs:
        out.append(leg)
        out.extend(leg.members or ())
    # a group leg is answered through a member: prefer the member (a person)
    return sorted(out, key=lambda leg: leg.call_type == "group")


def _entry_id(ctx: MangoContext) -> object:
    return ctx.entry_id


def _str(value: int | str | None) -> str | None:
    return None if value is None else str(value)


def _mango_date(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%d.%m.%Y %H:%M:%S")


def _raise_for_status(response: httpx.Response, method: str) -> None:
    status = response.status_code
    if status in (401, 403):
        raise AuthError(f"mango {method}: HTTP {status} (key or sign refused)", provider=NAME)
    if status == 420:
        try:
            code = orjson.loads(response.content).get("code")
        except (orjson.JSONDecodeError, AttributeError):
            code = None
        _raise_for_code(code, method, response)
    if status not in (200, 204, 302, 404):
        raise ProtocolError(f"mango {method}: unexpected HTTP {status}", provider=NAME, code=status)


def _json(response: httpx.Response, method: str) -> dict[str, Any]:
    if response.status_code != 200:
        raise ProtocolError(
            f"mango {method}: HTTP {response.status_code} where JSON was expected", provider=NAME
        )
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise UnavailableError(
            f"mango {method}: the answer is not JSON ({exc})", provider=NAME
        ) from exc
    if not isinstance(body, dict):
        raise ProtocolError(f"mango {method}: the answer is not a JSON object", provider=NAME)
    if "result" in body:
        _raise_for_code(body["result"], method, response, body.get("message"))
    return body


def _raise_for_code(code: Any, method: str, response: httpx.Response, message: Any = None) -> None:
    try:
        value = int(code)
    except (TypeError, ValueError):
        raise ProtocolError(f"mango {method}: bad result code {code!r}", provider=NAME) from None
    if value in (1000, 1001):
        return
    text = f"mango {method}: result {value}" + (f" ({message})" if message else "")
    if value == 4290:
        raise RateLimitedError(text, provider=NAME, code=value)
    if 5000 <= value < 6000:
        raise UnavailableError(text, provider=NAME, code=value)
    if value in (3102, 3105) or 2000 <= value < 3000:
        raise AuthError(text, provider=NAME, code=value)
    raise ProtocolError(text, provider=NAME, code=value)


def _contexts(body: dict[str, Any]) -> list[MangoContext]:
    try:
        days = _DAYS.validate_python(body.get("data") or [])
    except ValidationError as exc:
        raise ProtocolError(
            f"mango stats/calls/result: unexpected data: {exc}", provider=NAME
        ) from exc
    return [ctx for day in days for ctx in day.items]
