"""The verifier's HTTP side: a rate-limited client for one provider, with evidence.

Everything the verifier sends goes through `Probe`, so the rate limit and
the request count hold for every check. The key is never written into
evidence (`redact`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

__all__ = ["KEY_HEADER", "Exchange", "Probe", "RateLimiter", "parse_time"]

KEY_HEADER = "IDENT-Integration-Key"
MAX_LIMIT = 1000  # the spec's maximum page size
GIVE_UP_AFTER = 3  # consecutive requests without an answer: stop sending, report the rest
MAX_RETRY_AFTER = 10.0  # longest wait honoured for a 429's Retry-After, seconds


class RateLimiter:
    """At most `rate` requests per second (evenly spaced), shared by threads."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self._sleep(start - now)


@dataclass(slots=True)
class Exchange:
    """One request and its answer, kept as evidence."""

    method: str
    url: str
    status: int
    body: Any  # parsed JSON, or None
    text: str  # first 300 characters of the body
    headers: httpx.Headers

    def describe(self) -> str:
        return f"{self.method} {self.url} -> {self.status} {self.text[:160]!r}"

    @property
    def ok_list(self) -> bool:
        return 200 <= self.status < 300 and isinstance(self.body, list)


def _retry_after(value: str | None) -> float:
    try:
        return min(max(float(value or 1), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return 1.0


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time with an offset, or None if `value` isn't one."""
    if not isinstance(value, str) or "T" not in value.upper():
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


class Probe:
    """Rate-limited access to one provider's API under `base_url`."""

    def __init__(
        self,
        base_url: str,
        key: str,
        *,
        rate: float = 20.0,
        timeout: float = 15.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.limiter = RateLimiter(rate)
        self.client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self.requests = 0
        self.unanswered = 0  # consecutive requests that got no answer at all

    @property
    def gone(self) -> bool:
        """The provider stopped answering: later requests are not sent (a run never hangs)."""
        return self.unanswered >= GIVE_UP_AFTER

    def answered(self, ok: bool) -> None:
        self.unanswered = 0 if ok else self.unanswered + 1

    def close(self) -> None:
        self.client.close()

    def redact(self, text: str) -> str:
        return text.replace(self.key, "***") if self.key else text

    def count(self) -> None:
        self.limiter.wait()
        self.requests += 1

    def send(
        self,
        method: str,
        endpoint: str,
        *,
        params: dict[str, Any] | None = None,
        key: str | bool | None = True,
        json: Any = None,
    ) -> Exchange:
        """Call an endpoint; `key=True` sends the real key, a string sends that, None none."""
        headers = {}
        if key is True:
            headers[KEY_HEADER] = self.key
        elif isinstance(key, str):
            headers[KEY_HEADER] = key
        url = f"{self.base_url}/{endpoint}"
        for _ in range(3):
            if self.gone:
                return Exchange(
                    method,
                    url,
                    0,
                    None,
                    "not sent: the provider stopped answering",
                    httpx.Headers(),
                )
            self.count()
            try:
                response = self.client.request(
                    method, url, params=params, headers=headers, json=json
                )
            except httpx.HTTPError as exc:
                self.answered(False)
                return Exchange(method, url, 0, None, f"no answer: {exc!r}", httpx.Headers())
            self.answered(True)
            if response.status_code != 429:
                break
            time.sleep(_retry_after(response.headers.get("Retry-After")))  # as the spec asks
        return self._exchange(method, response)

    def _exchange(self, method: str, response: httpx.Response) -> Exchange:
        try:
            body = response.json()
        except ValueError:
            body = None
        text = self.redact(response.text[:300])
        return Exchange(
            method,
            self.redact(str(response.url)),
            response.status_code,
            body,
            text,
            response.headers,
        )

    def get(self, endpoint: str, params: dict[str, Any] | None = None, **kw: Any) -> Exchange:
        return self.send("GET", endpoint, params=params, **kw)

    def period_page(
        self,
        endpoint: str,
        start: datetime,
        end: datetime,
        limit: int,
        offset: int,
        offset_name: str = "offset",
    ) -> Exchange:
        params = {
            "dateTimeFrom": start.isoformat(),
            "dateTimeTo": end.isoformat(),
            "limit": limit,
            offset_name: offset,
        }
        return self.get(endpoint, params)

    def pages(
        self,
        endpoint: str,
        start: datetime,
        end: datetime,
        limit: int = MAX_LIMIT,
        max_pages: int = 50,
    ) -> Iterator[Exchange]:
        """Pages of a period until a short page (or an error, or `max_pages`)."""
        offset = 0
        for _ in range(max_pages):
            page = self.period_page(endpoint, start, end, limit, offset)
            yield page
            if not page.ok_list or len(page.body) < limit:
                return
            offset += limit

    def open_link(self, url: str, *, max_bytes: int = 4096) -> tuple[int, str, bytes, str]:
        """GET a link with no key at all (as a browser would): status, type, first bytes, url."""
        self.count()
        headers = {"Range": f"bytes=0-{max_bytes - 1}"}
        try:
            with httpx.stream(
                "GET", url, headers=headers, timeout=15.0, follow_redirects=True
            ) as response:
                head = b""
                for chunk in response.iter_bytes():
                    head += chunk
                    if len(head) >= max_bytes:
                        break
                ctype = response.headers.get("content-type", "")
                return response.status_code, ctype, head[:max_bytes], str(response.url)
        except httpx.HTTPError as exc:
            return 0, "", b"", f"{url} ({exc!r})"
