"""Transport helpers shared by the provider clients: one request, retries, rate limits.

`send()` performs one HTTP request and turns every transport failure into
the adapter's error tree; `retrying()` is the tenacity policy every client
wraps its calls in. Nothing here knows a provider's wire format.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from adapter.errors import ProtocolError, RateLimitedError, UnavailableError
from adapter.providers.base import RetryPolicy

__all__ = ["Sleep", "parse_retry_after", "retrying", "send", "stable_pages"]

log = logging.getLogger("adapter.providers")

Sleep = Callable[[float], Awaitable[None]]


class _Wait:
    """Backoff: the provider's own Retry-After when it gave one, else exponential + jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._exp = wait_exponential_jitter(
            multiplier=policy.initial, max=policy.maximum, jitter=policy.initial
        )

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            return max(0.0, min(exc.retry_after, self._policy.maximum))
        return float(self._exp(state))


def _log_retry(state: RetryCallState) -> None:
    """A failure being retried: a warning, except a rate limit, which is the provider
    pacing us as documented (info; a long backfill meets it on every few pages)."""
    exc = state.outcome.exception() if state.outcome else None
    level = logging.INFO if isinstance(exc, RateLimitedError) else logging.WARNING
    log.log(level, "retrying after attempt %d: %s", state.attempt_number, exc)


def retrying(policy: RetryPolicy, *, sleep: Sleep = asyncio.sleep) -> AsyncRetrying:
    """Retry transient failures (`UnavailableError`, `RateLimitedError`) per `policy`."""
    return AsyncRetrying(
        retry=retry_if_exception_type((UnavailableError, RateLimitedError)),
        stop=stop_after_attempt(policy.attempts),
        wait=_Wait(policy),
        sleep=sleep,
        before_sleep=_log_retry,
        reraise=True,
    )


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    from datetime import UTC, datetime

    return max(0.0, (when - datetime.now(UTC)).total_seconds())


async def send(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    provider: str,
    timeout: float,  # noqa: ASYNC109 -- httpx's own per-request timeout, not a cancel scope
    **kwargs: Any,
) -> httpx.Response:
    """One request; transport failures, 5xx and 429 become adapter errors.

    Other statuses are returned for the caller to interpret in its
    provider's terms.
    """
    try:
        response = await http.request(method, url, timeout=timeout, **kwargs)
    except httpx.TimeoutException as exc:
        raise UnavailableError(
            f"{provider}: timed out after {timeout:g}s ({url})", provider=provider
        ) from exc
    except httpx.TransportError as exc:
        raise UnavailableError(
            f"{provider}: {type(exc).__name__}: {exc} ({url})", provider=provider
        ) from exc
    if response.status_code == 429:
        raise RateLimitedError(
            f"{provider}: HTTP 429 rate limit exceeded ({url})",
            provider=provider,
            code=429,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    if response.status_code >= 500:
        raise UnavailableError(
            f"{provider}: HTTP {response.status_code} ({url})",
            provider=provider,
            code=response.status_code,
        )
    return response


T = TypeVar("T")
MAX_REWINDS = 8


async def stable_pages(
    fetch: Callable[[int], Awaitable[list[T]]],
    *,
    limit: int,
    key: Callable[[T], object],
    overlap: int = 20,
) -> AsyncIterator[list[T]]:
    """Offset paging that survives rows shifting between requests.

    Providers page by offset over a list that can change while we read it
    (rows arriving late, a page served from a little earlier): advancing by
    the page length would then skip rows. Each next page starts `overlap`
    rows before the end of the previous one, and must contain the last row
    we saw; if it does not, the rows moved more than that and we step back.
    Rows repeat across pages: consumers de-duplicate. The end is a short page.
    """
    overlap = max(0, min(overlap, limit // 2))
    offset, last, rewinds = 0, None, 0
    pending = asyncio.ensure_future(fetch(offset))
    try:
        while True:
            rows = await pending
            if last is not None and rows and last not in {key(r) for r in rows}:
                rewinds += 1
                if rewinds > MAX_REWINDS or offset == 0:
                    raise ProtocolError("pages keep shifting: cannot read a stable list")
                offset = max(0, offset - max(overlap, limit // 2))
                pending = asyncio.ensure_future(fetch(offset))
                continue
            full = len(rows) >= limit
            if full:  # ask for the next page now: it travels while this one is consumed
                last = key(rows[-1])
                offset += len(rows) - overlap
                pending = asyncio.ensure_future(fetch(offset))
                await asyncio.sleep(0)  # let the request go out before the caller's CPU work
            yield rows
            if not full:
                return
    finally:
        if not pending.done():
            pending.cancel()
        elif not pending.cancelled():
            pending.exception()  # a prefetch nobody will read: mark its error as seen
