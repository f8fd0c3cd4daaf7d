"""Transport helpers shared by the provider clients: one request, retries, rate limits.

`send()` performs one HTTP request and turns every transport failure into
the adapter's error tree; `retrying()` is the tenacity policy every client
wraps its calls in. Nothing here knows a provider's wire format.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
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

from adapter.errors import (
    AdapterError,
    ConfigError,
    ProtocolError,
    ProviderError,
    RateLimitedError,
    UnavailableError,
)
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


# How each httpx failure enters the adapter's error tree: the first class of the
# exception's MRO listed here wins. UnavailableError is retried; ConfigError and
# ProtocolError are not, as the same request would fail the same way again.
_HTTPX_ERRORS: dict[type[Exception], tuple[type[AdapterError], str]] = {
    # transient: the network, the server or our pool; a later attempt may pass
    httpx.TimeoutException: (UnavailableError, "timed out"),  # connect, read, write, pool
    httpx.NetworkError: (UnavailableError, "network error"),  # connect, read, write, close
    httpx.RemoteProtocolError: (UnavailableError, "the server broke off the HTTP exchange"),
    httpx.TransportError: (UnavailableError, "transport error"),  # a kind httpx adds later
    # our side: the URL or the request cannot work, whatever the server does
    httpx.UnsupportedProtocol: (ConfigError, "the URL needs an http:// or https:// scheme"),
    httpx.InvalidURL: (ConfigError, "the URL is not valid"),
    httpx.LocalProtocolError: (ConfigError, "the request is not valid HTTP (check URL and keys)"),
    # The proxy answered CONNECT with a refusal (407 credentials, 403 policy, ...):
    # a misconfigured proxy is configuration, and retrying it six times only delays
    # the message. An unreachable or slow proxy is a ConnectError/timeout (retried).
    httpx.ProxyError: (ConfigError, "the proxy refused the connection (check the proxy settings)"),
    # the server answered, but not with something HTTP lets us read
    httpx.DecodingError: (ProtocolError, "the response body cannot be decoded"),
    httpx.TooManyRedirects: (ProtocolError, "too many redirects"),
    httpx.RequestError: (ProtocolError, "the request failed"),  # a kind httpx adds later
}


def _translate(exc: Exception, *, provider: str, url: str, timeout: float) -> AdapterError | None:
    """The adapter error for an httpx failure (see `_HTTPX_ERRORS`), or None if unlisted."""
    entry = next((_HTTPX_ERRORS[c] for c in type(exc).__mro__ if c in _HTTPX_ERRORS), None)
    if entry is None:
        return None
    kind, what = entry
    if isinstance(exc, httpx.TimeoutException):
        what = f"timed out after {timeout:g}s"
    message = f"{provider}: {what}: {type(exc).__name__}: {exc} ({url})"
    if issubclass(kind, ProviderError):
        return kind(message, provider=provider)
    return kind(message)


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
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        error = _translate(exc, provider=provider, url=url, timeout=timeout)
        if error is None:
            raise  # bare HTTPError, HTTPStatusError: a request never raises them
        raise error from exc
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
MAX_REWINDS = 8  # consecutive pages that fail to join the rows seen, before giving up
MAX_RESTARTS = 3  # re-reads of the whole list when fewer rows were seen than it holds


async def stable_pages(
    fetch: Callable[[int], Awaitable[list[T]]],
    *,
    limit: int,
    key: Callable[[T], object],
    overlap: int = 20,
    total: Callable[[], int | None] | None = None,
) -> AsyncIterator[list[T]]:
    """Offset paging that proves it saw every row of a list that moves while read.

    Providers page by offset over a list that can change between requests
    (rows arriving late, a page served from a little earlier, a page longer
    than asked): trusting offsets would then skip rows. So continuity is
    proved, not assumed:

    - we track the list position of the last row seen by counting the rows
      after it in each page (never by the page's length or our offset);
    - each next page is asked to start `overlap` rows before that row and
      must contain it; if it does not (rows moved, or the page is empty) we
      step back (or forward, past a page of rows all seen) and ask again,
      at most `MAX_REWINDS` times in a row, then raise `ProtocolError`;
    - the end is a short page that joins the rows seen; with `total` (the
      provider's latest row count) a pass that saw fewer distinct rows
      reads the list again from the start, at most `MAX_RESTARTS` times.

    Each row is yielded once (by `key`), in the order first seen.
    """
    if limit < 2:
        raise ConfigError(
            "history pages need at least 2 rows to prove continuity", setting="page_size"
        )
    overlap = max(1, min(overlap, limit // 2))
    yielded: set[object] = set()
    for restart in range(MAX_RESTARTS + 1):
        seen: set[object] = set()
        async with aclosing(_pass(fetch, limit, key, overlap, seen)) as pages:
            async for rows in pages:
                fresh = [r for r in rows if key(r) not in yielded]
                yielded.update(key(r) for r in fresh)
                if fresh:
                    yield fresh
        expected = total() if total is not None else None
        if expected is None or len(seen) >= expected:
            return
        log.warning(
            "paging saw %d of %d rows (pass %d): reading the list again",
            len(seen),
            expected,
            restart + 1,
        )
    raise ProtocolError(f"paging keeps missing rows: the list holds {expected}, read {len(seen)}")


async def _pass(
    fetch: Callable[[int], Awaitable[list[T]]],
    limit: int,
    key: Callable[[T], object],
    overlap: int,
    seen: set[object],
) -> AsyncGenerator[list[T], None]:
    """One read of the list from offset 0 (see `stable_pages`); adds every key to `seen`."""
    offset, last, position, misses = 0, None, -1, 0
    pending = asyncio.ensure_future(fetch(offset))
    try:
        while True:
            rows = await pending
            keys = [key(r) for r in rows]
            gained = _gained(keys, last, limit)
            if last is None:
                position = len(rows) - 1
            elif gained is not None:
                position += gained
                misses = 0
            else:  # a gap before this page, an empty page, or a full page of rows seen
                misses += 1
                if misses > MAX_REWINDS:
                    raise ProtocolError("pages keep shifting: cannot read a stable list")
                offset = _retarget(offset, keys, seen, limit, overlap)
                pending = asyncio.ensure_future(fetch(offset))
                continue
            seen.update(keys)
            full = len(rows) >= limit
            if full:  # ask for the next page now: it travels while this one is consumed
                last = keys[-1]
                offset = max(0, position + 1 - overlap)
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


def _gained(keys: list[object], last: object, limit: int) -> int | None:
    """Rows after `last` in a page that holds it, or None when the page does not join:
    it lacks `last`, or is a full page ending at it (the list goes on past it)."""
    if last not in keys:
        return None
    gained = len(keys) - 1 - keys.index(last)
    return None if gained == 0 and len(keys) >= limit else gained


def _retarget(offset: int, keys: list[object], seen: set[object], limit: int, overlap: int) -> int:
    """Where to ask next after a page that does not hold the last row seen."""
    if keys and all(k in seen for k in keys):  # the page lies before that row: go forward
        return offset + max(1, len(keys) - overlap)
    return max(0, offset - max(overlap, limit // 2))  # rows moved past us (or none came): back
