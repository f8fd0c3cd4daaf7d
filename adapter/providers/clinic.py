"""Client of a clinic's own provider API (contract/openapi/provider.v1.yaml, IDENT's HTTP variant).

- Auth: header `IDENT-Integration-Key` on every request; 401/403 -> `AuthError`.
- History: `GET GetFinishedCalls?dateTimeFrom&dateTimeTo&limit&offset`, periods in
  UTC with offset; `dateTimeTo` is exclusive. Pages of `page_size` until a short
  page (the contract's end-of-data rule). Either reading of the open points works:
  a call at exactly `dateTimeTo` is kept by the window it starts in, and a call a
  provider files by its end is kept by the window it ended in. Long periods are split into windows
  of `max_window` so one failure never costs a month of paging.
- Current calls: `GET GetOngoingCalls`; wait and talk counted up to now by the
  provider, so `TalkInSeconds` null means still ringing.
- Callback (optional in the contract): `POST StartCallback {EmployeePhone,
  ClientPhone}` -> 202; 501 means the provider does not offer it (`CapabilityError`).
- Identity: the contract's Call has no id. A provider's optional `Id` is used when
  present; otherwise the id is a hash of start instant, numbers and direction, the
  same for the live call and its history row.
- Errors: 5xx/429/network/truncated JSON are retried (tenacity, via `_http`); a
  2xx body that is not a list of objects is a `ProtocolError` (never "no calls").
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, field_validator

from adapter.errors import AuthError, CapabilityError, ProtocolError, UnavailableError
from adapter.model import CallRecord, Direction, LiveCall, LiveState, to_e164
from adapter.providers._http import Sleep, retrying, send
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

__all__ = ["ClinicCall", "ClinicClient"]

NAME = "clinic"
KEY_HEADER = "IDENT-Integration-Key"
MAX_PAGE = 1000  # the contract's largest `limit`
NOT_OFFERED = (404, 405, 501)  # an endpoint this provider does not implement


class ClinicCall(BaseModel):
    """One Call object; unknown fields are ignored so a provider may add its own."""

    model_config = ConfigDict(extra="ignore")

    Id: str | int | None = None
    DateAndTime: datetime
    Direction: str = "in"
    PhoneFrom: str | None = None
    PhoneTo: str | None = None
    WaitInSeconds: int = 0
    TalkInSeconds: int | None = None
    LineDescription: str | None = None
    RecordUrl: str | None = None
    UtmSource: str | None = None
    UtmMedium: str | None = None
    UtmCampaign: str | None = None
    UtmTerm: str | None = None
    UtmContent: str | None = None
    HttpReferer: str | None = None

    @field_validator("DateAndTime")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("DateAndTime must carry a UTC offset")
        return value

    @property
    def outgoing(self) -> bool:
        return self.Direction == "out"

    def identity(self) -> str:
        if self.Id is not None and str(self.Id):
            return str(self.Id)
        key = f"{self.DateAndTime.timestamp():.0f}|{self.PhoneFrom}|{self.PhoneTo}|{self.Direction}"
        return "h" + hashlib.blake2b(key.encode(), digest_size=10).hexdigest()

    def numbers(self) -> tuple[str | None, str | None]:
        """(contact, virtual): the patient's number and the clinic's."""
        if self.outgoing:
            return to_e164(self.PhoneTo), to_e164(self.PhoneFrom)
        return to_e164(self.PhoneFrom), to_e164(self.PhoneTo)


_CALLS = TypeAdapter(list[ClinicCall])


class ClinicClient:
    """A clinic provider API behind the `Provider` interface."""

    name = NAME

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        url: str,
        key: str,
        timezone: ZoneInfo,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        page_size: int = MAX_PAGE,
        max_window: timedelta = timedelta(days=31),
        callback: bool = True,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE}")
        self._http = http
        self.url = check_url(url, "clinic.url").rstrip("/")
        self._key = key
        self.timezone = timezone
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self.page_size = page_size
        self.max_window = max_window
        caps = {Capability.HISTORY, Capability.CURRENT_CALLS, Capability.RECORDINGS, Capability.UTM}
        self.capabilities = frozenset(caps | ({Capability.CALLBACK} if callback else set()))

    # -- wire -----------------------------------------------------------------------------
    async def _request(self, method: str, endpoint: str, **kwargs: Any) -> httpx.Response:
        """One attempt; the caller decides whether to retry (never for a callback)."""
        response = await send(
            self._http,
            method,
            f"{self.url}/{endpoint}",
            provider=NAME,
            timeout=self._retry.timeout,
            headers={KEY_HEADER: self._key},
            **kwargs,
        )
        if response.status_code in (401, 403):
            raise AuthError(
                f"clinic {endpoint}: the integration key was refused (HTTP {response.status_code})",
                provider=NAME,
                code=response.status_code,
            )
        return response

    async def _calls(self, endpoint: str, params: dict[str, Any] | None = None) -> list[ClinicCall]:
        """A list of Call objects; a truncated body is retried, a wrong shape is not."""
        async for attempt in retrying(self._retry, sleep=self._sleep):
            with attempt:
                response = await self._request("GET", endpoint, params=params)
                _refuse_errors(response, endpoint)
                try:
                    body = response.json()
                except ValueError as exc:
                    raise UnavailableError(
                        f"clinic {endpoint}: the answer is not complete JSON", provider=NAME
                    ) from exc
                return _parse_calls(body, endpoint)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- Provider interface -----------------------------------------------------------------
    async def account(self) -> AccountInfo:
        parts = urlsplit(self.url)
        return AccountInfo(
            key=f"clinic:{parts.netloc}{parts.path}", name=parts.netloc, timezone=self.timezone
        )

    async def history(self, start: datetime, end: datetime) -> AsyncIterator[list[CallRecord]]:
        account = await self.account()
        for w_start, w_end in split_period(start, end, max_span=self.max_window):
            offset = 0
            while True:
                page = await self._calls("GetFinishedCalls", self._page(w_start, w_end, offset))
                yield [
                    r
                    for r in (_record(c, account.key) for c in page)
                    if _in_window(r, w_start, w_end)
                ]
                offset += len(page)
                if len(page) < self.page_size:
                    break

    def _page(self, start: datetime, end: datetime, offset: int) -> dict[str, Any]:
        return {
            "dateTimeFrom": start.astimezone(UTC).isoformat(),
            "dateTimeTo": end.astimezone(UTC).isoformat(),
            "limit": self.page_size,
            # both spellings (an open point): a provider reading either one pages right
            "offset": offset,
            "offSet": offset,
        }

    async def current_calls(self) -> list[LiveCall]:
        try:
            return [_live(c) for c in await self._calls("GetOngoingCalls")]
        except ProtocolError as exc:
            if exc.code not in NOT_OFFERED:
                raise
            why = f"the clinic provider gives no current calls (GetOngoingCalls: HTTP {exc.code})"
            raise lost(self, Capability.CURRENT_CALLS, why) from exc

    async def callback(self, request: CallbackRequest) -> CallbackResult:
        if Capability.CALLBACK not in self.capabilities:
            raise CapabilityError("callback is turned off for this clinic provider")
        employee = request.employee_phone or request.extension or request.employee_id
        if not employee:
            raise ProtocolError("a clinic callback needs the employee's phone", provider=NAME)
        body = {"EmployeePhone": employee, "ClientPhone": request.contact_number.lstrip("+")}
        try:
            response = await self._request("POST", "StartCallback", json=body)  # never retried
        except UnavailableError as exc:
            if exc.code != 501:
                raise
            raise CapabilityError("the clinic provider does not offer callback (501)") from exc
        if response.status_code in (404, 405):
            why = f"the clinic provider does not offer callback ({response.status_code})"
            raise lost(self, Capability.CALLBACK, why)
        _refuse_errors(response, "StartCallback")
        data = _json_object(response)
        return CallbackResult(NAME, str(data.get("Id") or data.get("DateAndTime") or ""))

    async def aclose(self) -> None:
        """Nothing to release: the http client is injected and owned by the caller."""


def _in_window(record: CallRecord, start: datetime, end: datetime) -> bool:
    """Started in [start, end); or, from a provider that filters periods by a call's end
    (an open point of the contract), started just before `start` and ended in the window."""
    if record.started_at >= end:  # `dateTimeTo` inclusive: the next window has it
        return False
    ended = record.finished_at
    return record.started_at >= start or (ended is not None and start <= ended < end)


def _refuse_errors(response: httpx.Response, endpoint: str) -> None:
    if not 200 <= response.status_code < 300:
        raise ProtocolError(
            f"clinic {endpoint}: HTTP {response.status_code}: {response.text[:200]}",
            provider=NAME,
            code=response.status_code,
        )


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _parse_calls(body: Any, endpoint: str) -> list[ClinicCall]:
    if not isinstance(body, list):
        raise ProtocolError(f"clinic {endpoint}: expected a JSON list of calls", provider=NAME)
    try:
        return _CALLS.validate_python(body)
    except ValidationError as exc:
        raise ProtocolError(f"clinic {endpoint}: unexpected calls: {exc}", provider=NAME) from exc


def _record(call: ClinicCall, account: str) -> CallRecord:
    contact, virtual = call.numbers()
    talk = call.TalkInSeconds or 0
    return CallRecord(
        provider=NAME,
        provider_call_id=call.identity(),
        account=account,
        started_at=call.DateAndTime,
        finished_at=call.DateAndTime + timedelta(seconds=call.WaitInSeconds + talk),
        direction=Direction.OUT if call.outgoing else Direction.IN,
        contact_number=contact,
        virtual_number=virtual,
        answered=talk > 0,
        wait_seconds=call.WaitInSeconds,
        talk_seconds=talk,
        sip_line=call.LineDescription,
        line_description=call.LineDescription,
        recording_urls=(call.RecordUrl,) if call.RecordUrl else (),
        utm_source=call.UtmSource,
        utm_medium=call.UtmMedium,
        utm_campaign=call.UtmCampaign,
        utm_term=call.UtmTerm,
        utm_content=call.UtmContent,
        referrer=call.HttpReferer,
    )


def _live(call: ClinicCall) -> LiveCall:
    contact, virtual = call.numbers()
    return LiveCall(
        provider=NAME,
        provider_call_id=call.identity(),
        started_at=call.DateAndTime,
        direction=Direction.OUT if call.outgoing else Direction.IN,
        state=LiveState.RINGING if call.TalkInSeconds is None else LiveState.TALKING,
        contact_number=contact,
        virtual_number=virtual,
        sip_line=call.LineDescription,
        line_description=call.LineDescription,
    )
