"""UIS (CoMagic platform) client: Data API v2.0 for history, Call API v4.0 for live calls
and callbacks. JSON-RPC 2.0 over POST; errors come as HTTP 200 + `error`.

- Auth: a static `access_token`, or `login.user` sessions (1 h). A static key
  that expires, or a session that does, is renewed with login/password once
  per request (`-32001 access_token_expired|access_token_invalid`).
- Limits: `metadata.limits.minute_remaining == 0` makes the next request wait
  `minute_reset` seconds; `-32029 limit_exceeded` is retried after that wait.
- History: `get.calls_report` with only the fields we use, `limit` 10000,
  sorted by `start_time`; periods split into windows of at most 3 calendar
  months and 90 days (the docs say both); a window whose rows would pass the
  100000 offset cap is halved. Report times are the wall-clock of the
  account's timezone (`get.account`); `date_till` is inclusive, so we send
  end - 1 s and keep rows in [start, end).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from adapter.errors import (
    AuthError,
    CapabilityError,
    ConfigError,
    ProtocolError,
    RateLimitedError,
    UnavailableError,
)
from adapter.model import CallRecord, Direction, LiveCall, LiveState, to_e164
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
from adapter.urls import check_url

__all__ = ["REPORT_FIELDS", "UisClient", "UisSettings"]

NAME = "uis"
MAX_OFFSET = 100_000
SLICE = 500  # rows converted between two yields to the event loop
# The fields of get.calls_report we read; asking only for these keeps pages small.
REPORT_FIELDS = (
    "id",
    "start_time",
    "finish_time",
    "direction",
    "is_lost",
    "finish_reason",
    "contact_phone_number",
    "virtual_phone_number",
    "operator_phone_number",
    "wait_duration",
    "talk_duration",
    "full_record_file_link",
    "last_answered_employee_id",
    "last_answered_employee_full_name",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
)
_RENEWABLE = {"access_token_expired", "access_token_invalid"}
_LIVE_STATES = {"Разговор": LiveState.TALKING, "На удержании": LiveState.ON_HOLD}


@dataclass(frozen=True, slots=True)
class UisSettings:
    data_api_url: str
    call_api_url: str | None = None
    access_token: str | None = None  # a static key from the UI
    login: str | None = None  # for login.user sessions (and renewing an expired key)
    password: str | None = None
    page_size: int = 10_000
    max_window_days: int = 90
    max_window_months: int = 3
    virtual_number: str | None = None  # default caller id for callbacks

    def __post_init__(self) -> None:
        if not self.access_token and not (self.login and self.password):
            raise ConfigError(
                "UIS needs an access token, or a login and password",
                setting="uis.access_token",
            )
        if not 1 <= self.page_size <= 10_000:
            raise ConfigError("UIS page size must be 1..10000", setting="uis.page_size")
        check_url(self.data_api_url, "uis.data_api_url")
        if self.call_api_url is not None:
            check_url(self.call_api_url, "uis.call_api_url")


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _UisCallRowBase(TypedDict):
    id: int  # lax mode: a numeric string is accepted too
    start_time: str


class UisCallRow(_UisCallRowBase, total=False):
    """A `get.calls_report` row: a TypedDict (validated 2-3x faster than a model);
    fields we did not ask for are dropped, missing ones read as None."""

    finish_time: str | None
    direction: str | None
    is_lost: bool | None
    finish_reason: str | None
    contact_phone_number: str | None
    virtual_phone_number: str | None
    operator_phone_number: str | None
    wait_duration: int | None
    talk_duration: int | None
    full_record_file_link: str | None
    last_answered_employee_id: int | None
    last_answered_employee_full_name: str | None
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    utm_term: str | None
    utm_content: str | None
    referrer: str | None


class UisLeg(_Model):
    leg_id: int | str
    calling_phone_number: str | None = None
    called_phone_number: str | None = None
    is_operator: bool = False
    employee_id: int | str | None = None
    employee_full_name: str | None = None
    state: str | None = None


class UisLiveCall(_Model):
    call_session_id: int | str
    direction: str = "in"
    start_time: str
    virtual_phone_number: str | None = None
    contact_phone_number: str | None = None
    legs: list[UisLeg] = []


_ROWS = TypeAdapter(list[UisCallRow])
_LIVE = TypeAdapter(list[UisLiveCall])


class _SessionExpired(AuthError):
    """The token was refused as expired or unknown: renewable with login.user."""


class UisClient:
    """UIS Data API + Call API behind the `Provider` interface."""

    name = NAME

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: UisSettings,
        *,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._http = http
        self.settings = settings
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._ids = itertools.count(1)
        self._tokens: dict[str, str] = {}  # per API url: the token in use
        self._wait_until = 0.0  # loop time before which no request is sent (minute limit)
        self._account: AccountInfo | None = None
        caps = {Capability.HISTORY, Capability.RECORDINGS, Capability.UTM}
        if settings.call_api_url:
            caps |= {Capability.CURRENT_CALLS, Capability.CALLBACK}
        self.capabilities = frozenset(caps)
        self.max_window = timedelta(days=settings.max_window_days)

    # -- JSON-RPC ------------------------------------------------------------------
    async def rpc(self, url: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """`result` of one method call; renews an expired session once."""
        for renewal in range(3):
            try:
                return await self._rpc_retrying(url, method, params)
            except _SessionExpired:
                if not (self.settings.login and self.settings.password) or renewal == 2:
                    raise
                await self._login(url)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _rpc_retrying(self, url: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
        async for attempt in retrying(self._retry, sleep=self._sleep):
            with attempt:
                token = await self._token(url)
                return await self._call(url, method, {**params, "access_token": token})
        raise AssertionError("unreachable")  # pragma: no cover

    async def _call(self, url: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
        await self._respect_limits()
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        response = await send(
            self._http,
            "POST",
            url,
            provider=NAME,
            timeout=self._retry.timeout,
            content=orjson.dumps(body),
            headers={"Content-Type": "application/json; charset=UTF-8"},
        )
        payload = _decode(response, method)
        if "error" in payload:
            raise _error(payload["error"], method)
        result = payload.get("result")
        if not isinstance(result, dict):
            raise ProtocolError(f"uis {method}: no result in the answer", provider=NAME)
        self._note_limits(result.get("metadata"))
        return result

    async def _token(self, url: str) -> str:
        token = self._tokens.get(url) or self.settings.access_token
        if token:
            return token
        return await self._login(url)

    async def _login(self, url: str) -> str:
        params = {"login": self.settings.login, "password": self.settings.password}
        async for attempt in retrying(self._retry, sleep=self._sleep):
            with attempt:
                try:
                    result = await self._call(url, "login.user", params)
                except _SessionExpired as exc:  # nonsense for a login: treat as a glitch
                    raise UnavailableError(str(exc), provider=NAME) from exc
        data = result.get("data") or {}
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise ProtocolError("uis login.user: no access_token in the answer", provider=NAME)
        self._tokens[url] = token
        return token

    def _note_limits(self, metadata: Any) -> None:
        limits = metadata.get("limits") if isinstance(metadata, dict) else None
        if not isinstance(limits, dict):
            return
        remaining, reset = limits.get("minute_remaining"), limits.get("minute_reset")
        if isinstance(remaining, int) and remaining <= 0 and isinstance(reset, int | float):
            wait = min(float(reset), self._retry.maximum)
            self._wait_until = asyncio.get_running_loop().time() + wait

    async def _respect_limits(self) -> None:
        left = self._wait_until - asyncio.get_running_loop().time()
        if left > 0:
            await self._sleep(left)

    # -- Provider interface ------------------------------------------------------
    async def account(self) -> AccountInfo:
        if self._account is None:
            result = await self.rpc(self.settings.data_api_url, "get.account", {})
            self._account = _account_info(result)
        return self._account

    async def main_number(self) -> str | None:
        """The account's main number: its first virtual number (`get.virtual_numbers`)."""
        result = await self.rpc(
            self.settings.data_api_url,
            "get.virtual_numbers",
            {"fields": ["virtual_phone_number"], "limit": 1},
        )
        rows = result.get("data")
        if isinstance(rows, list) and rows and isinstance(rows[0], dict):
            return to_e164(rows[0].get("virtual_phone_number"))
        return None

    async def history(self, start: datetime, end: datetime) -> AsyncIterator[list[CallRecord]]:
        account = await self.account()
        windows = split_period(
            start,
            end,
            max_span=self.max_window,
            max_months=self.settings.max_window_months,
        )
        for w_start, w_end in windows:
            async for page in self._window(account, w_start, w_end):
                yield page

    async def _window(
        self, account: AccountInfo, start: datetime, end: datetime
    ) -> AsyncIterator[list[CallRecord]]:
        limit = self.settings.page_size
        first = await self._report_page(account.timezone, start, end, 0, limit)
        if _total_items(first) > MAX_OFFSET + limit and end - start > timedelta(hours=1):
            middle = start + (end - start) / 2  # past the offset cap: read it in halves
            async for page in self._window(account, start, middle):
                yield page
            async for page in self._window(account, middle, end):
                yield page
            return

        pending: dict[str, Any] | None = first  # the first page, read once above
        count = _total_items(first)

        async def fetch(offset: int) -> list[UisCallRow]:
            nonlocal pending, count
            page, pending = pending, None
            if page is None or offset != 0:
                if offset > MAX_OFFSET:
                    raise ProtocolError(f"uis get.calls_report: offset {offset} over the cap")
                page = await self._report_page(account.timezone, start, end, offset, limit)
            count = _total_items(page)
            return _rows(page)

        def total() -> int:  # the rows the window holds, as of the latest page
            return count

        async for rows in stable_pages(fetch, limit=limit, key=_row_id, total=total):
            out: list[CallRecord] = []
            for i in range(0, len(rows), SLICE):  # let the prefetched page travel meanwhile
                records = (_record(row, account) for row in rows[i : i + SLICE])
                out.extend(r for r in records if start <= r.started_at < end)
                await asyncio.sleep(0)
            yield out

    async def _report_page(
        self, tz: ZoneInfo, start: datetime, end: datetime, offset: int, limit: int
    ) -> dict[str, Any]:
        params = {
            "date_from": _wall(start, tz),
            "date_till": _wall(end - timedelta(seconds=1), tz),
            "fields": list(REPORT_FIELDS),
            "sort": [{"field": "start_time", "order": "asc"}],
            "limit": limit,
            "offset": offset,
        }
        return await self.rpc(self.settings.data_api_url, "get.calls_report", params)

    async def current_calls(self) -> list[LiveCall]:
        url = self._call_api("current calls")
        account = await self.account()
        try:
            result = await self.rpc(url, "list.calls", {})
        except CapabilityError as exc:  # method_not_found: the account has no live calls
            raise lost(self, Capability.CURRENT_CALLS, str(exc)) from exc
        try:
            calls = _LIVE.validate_python(result.get("data") or [])
        except ValidationError as exc:
            raise ProtocolError(f"uis list.calls: unexpected rows: {exc}", provider=NAME) from exc
        return [_live(call, account.timezone) for call in calls]

    async def callback(self, request: CallbackRequest) -> CallbackResult:
        url = self._call_api("callback")
        if request.employee_id is None:
            raise ConfigError("a UIS callback needs the employee id", setting="employee")
        virtual = request.virtual_number or self.settings.virtual_number
        if not virtual:
            raise ConfigError(
                "a UIS callback needs a virtual number to show the patient",
                setting="uis.virtual_number",
            )
        employee: dict[str, Any] = {"id": _int_or_str(request.employee_id)}
        if request.employee_phone:
            employee["phone_number"] = request.employee_phone
        params: dict[str, Any] = {
            "first_call": "employee",
            "virtual_phone_number": _digits(virtual),
            "contact": _digits(request.contact_number),
            "employee": employee,
        }
        if request.external_id:
            params["external_id"] = request.external_id
        try:
            result = await self.rpc(url, "start.employee_call", params)
        except CapabilityError as exc:  # method_not_found: the account has no callback
            raise lost(self, Capability.CALLBACK, str(exc)) from exc
        data = result.get("data")
        if not isinstance(data, dict) or "call_session_id" not in data:
            raise ProtocolError("uis start.employee_call: no call_session_id", provider=NAME)
        return CallbackResult(provider=NAME, request_id=str(data["call_session_id"]))

    def _call_api(self, what: str) -> str:
        if not self.settings.call_api_url:
            raise CapabilityError(f"UIS {what} needs the Call API URL (uis.call_api_url)")
        return self.settings.call_api_url

    async def aclose(self) -> None:
        self._tokens.clear()


# -- wire -> model -------------------------------------------------------------------
def _decode(response: httpx.Response, method: str) -> dict[str, Any]:
    if response.status_code in (401, 403):
        raise AuthError(f"uis {method}: HTTP {response.status_code}", provider=NAME)
    if response.status_code != 200:
        raise ProtocolError(
            f"uis {method}: unexpected HTTP {response.status_code}",
            provider=NAME,
            code=response.status_code,
        )
    try:
        payload = orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        # a body cut short by the network: transient, worth another try
        raise UnavailableError(
            f"uis {method}: the answer is not JSON ({exc})", provider=NAME
        ) from exc
    if not isinstance(payload, dict):
        raise ProtocolError(f"uis {method}: the answer is not a JSON object", provider=NAME)
    return payload


def _error(error: Any, method: str) -> Exception:
    """The adapter error for a JSON-RPC `error` member."""
    if not isinstance(error, dict):
        return ProtocolError(f"uis {method}: malformed error {error!r}", provider=NAME)
    code = error.get("code")
    raw = error.get("data")
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    mnemonic = str(data.get("mnemonic") or "")
    where = f" (field {data['field']})" if data.get("field") else ""
    text = f"uis {method}: {code} {mnemonic}: {error.get('message', '')}{where}"
    if code == -32001:
        kind = _SessionExpired if mnemonic in _RENEWABLE else AuthError
        return kind(text, provider=NAME, code=mnemonic)
    if code in (-32003, -32009):
        return AuthError(text, provider=NAME, code=mnemonic)
    if code == -32029:
        return RateLimitedError(text, provider=NAME, code=mnemonic, retry_after=_limit_reset(data))
    if code == -32603:
        return UnavailableError(text, provider=NAME, code=mnemonic)
    if code == -32601:  # method_not_found: this account's API does not offer the method
        return CapabilityError(f"{text} (the provider does not offer {method})")
    return ProtocolError(text, provider=NAME, code=mnemonic or code)


def _limit_reset(data: dict[str, Any]) -> float | None:
    metadata = data.get("metadata")
    limits = metadata.get("limits") if isinstance(metadata, dict) else None
    if isinstance(limits, dict):
        if limits.get("minute_remaining") == 0 and isinstance(limits.get("minute_reset"), int):
            return float(limits["minute_reset"])
        if limits.get("day_remaining") == 0 and isinstance(limits.get("day_reset"), int):
            return float(limits["day_reset"])
    return None


def _account_info(result: dict[str, Any]) -> AccountInfo:
    data = result.get("data")
    row = data[0] if isinstance(data, list) and data else data
    if not isinstance(row, dict) or "timezone" not in row:
        raise ProtocolError("uis get.account: no account in the answer", provider=NAME)
    try:
        tz = ZoneInfo(str(row["timezone"]))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ProtocolError(f"uis get.account: unknown timezone {row['timezone']!r}") from exc
    return AccountInfo(
        key=f"uis:{row.get('app_id', '')}", name=str(row.get("name", "")), timezone=tz
    )


def _row_id(row: UisCallRow) -> object:
    return row["id"]


def _total_items(result: dict[str, Any]) -> int:
    metadata = result.get("metadata")
    total = metadata.get("total_items") if isinstance(metadata, dict) else None
    return total if isinstance(total, int) else 0


def _rows(result: dict[str, Any]) -> list[UisCallRow]:
    try:
        return _ROWS.validate_python(result.get("data") or [])
    except ValidationError as exc:
        raise ProtocolError(f"uis get.calls_report: unexpected rows: {exc}", provider=NAME) from exc


def _wall(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def _local(text: str, tz: ZoneInfo) -> datetime:
    """A UIS time: wall-clock `YYYY-MM-DD hh:mm:ss` in the account's timezone, or ISO
    with an offset / `Z` (the Call API's own conventions)."""
    if len(text) == 19 and text[10] in " T":  # wall clock: the hot path of history rows
        suffix = _OFFSETS.get((tz.key, text[:13]))
        if suffix is not None:
            try:
                return datetime.fromisoformat(text + suffix)
            except ValueError:
                pass
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ProtocolError(f"uis: bad time {text!r}", provider=NAME) from exc
    if when.tzinfo is not None:
        return when
    aware = when.replace(tzinfo=tz)
    if len(text) == 19 and len(_OFFSETS) < 100_000:
        _OFFSETS[(tz.key, text[:13])] = _offset_suffix(aware)
    return aware


# (zone, "YYYY-MM-DD hh") -> "+03:00": parsing "...+03:00" is 4x faster than attaching
# a ZoneInfo, and the hour decides the offset (a fall-back hour keeps fold=0, as replace).
_OFFSETS: dict[tuple[str, str], str | None] = {}


def _offset_suffix(aware: datetime) -> str | None:
    offset = aware.utcoffset()
    if offset is None:
        return None
    minutes, seconds = divmod(int(offset.total_seconds()), 60)
    if seconds:
        return None  # odd historical offsets take the slow path
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def _record(row: UisCallRow, account: AccountInfo) -> CallRecord:
    tz = account.timezone
    link = row.get("full_record_file_link")
    employee = row.get("last_answered_employee_id")
    finish = row.get("finish_time")
    return CallRecord(
        provider=NAME,
        provider_call_id=str(row["id"]),
        account=account.key,
        started_at=_local(row["start_time"], tz),
        finished_at=_local(finish, tz) if finish else None,
        direction=Direction.OUT if row.get("direction") == "out" else Direction.IN,
        contact_number=to_e164(row.get("contact_phone_number")),
        virtual_number=to_e164(row.get("virtual_phone_number")),
        answered=not row.get("is_lost"),
        wait_seconds=row.get("wait_duration") or 0,
        talk_seconds=row.get("talk_duration") or 0,
        employee_id=None if employee is None else str(employee),
        employee_name=row.get("last_answered_employee_full_name"),
        sip_line=row.get("operator_phone_number") or None,
        recording_urls=(link,) if link else (),
        utm_source=row.get("utm_source"),
        utm_medium=row.get("utm_medium"),
        utm_campaign=row.get("utm_campaign"),
        utm_term=row.get("utm_term"),
        utm_content=row.get("utm_content"),
        referrer=row.get("referrer"),
        finish_reason=row.get("finish_reason"),
    )


def _live(call: UisLiveCall, tz: ZoneInfo) -> LiveCall:
    operator = _current_operator(call.legs)
    states = {_LIVE_STATES.get(leg.state or "", LiveState.RINGING) for leg in call.legs}
    state = next((s for s in (LiveState.TALKING, LiveState.ON_HOLD) if s in states), None)
    direction = Direction.OUT if call.direction == "out" else Direction.IN
    line = None
    if operator is not None:
        line = (
            operator.called_phone_number
            if direction is Direction.IN
            else operator.calling_phone_number
        )
    return LiveCall(
        provider=NAME,
        provider_call_id=str(call.call_session_id),
        started_at=_local(call.start_time, tz),
        direction=direction,
        state=state or LiveState.RINGING,
        contact_number=to_e164(call.contact_phone_number),
        virtual_number=to_e164(call.virtual_phone_number),
        employee_id=None
        if operator is None or operator.employee_id is None
        else str(operator.employee_id),
        employee_name=operator.employee_full_name if operator else None,
        sip_line=line,
        legs=tuple(str(leg.leg_id) for leg in call.legs),
    )


def _current_operator(legs: list[UisLeg]) -> UisLeg | None:
    """The employee leg the call is on now: talking, else the last one ringing.

    `list.calls` also lists legs that already ended (sequential ringing moves
    on after each employee's ring time); the live window filters by the line
    of the leg that is active, so an ended leg only counts when nothing else does.
    """
    operators = [leg for leg in legs if leg.is_operator]
    active = [leg for leg in operators if leg.state != "Разъединено"]
    talking = [leg for leg in active if leg.state in _LIVE_STATES]
    pool = talking or active or operators
    return pool[-1] if pool else None


def _digits(number: str) -> str:
    return number.strip().lstrip("+")


def _int_or_str(value: str) -> int | str:
    return int(value) if value.isdigit() else value
