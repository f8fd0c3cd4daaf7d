"""The verifier's HTTP side: a rate-limited client for one provider, with evidence.

Everything the verifier sends goes through `Probe`, so the rate limit and
the request count hold for every check. The key is never written into
evidence (`redact`).

Instability is kept apart from every rule: a 5xx answer (other than 501,
which says a method is not offered), a timeout or a reset is retried (at
most `UNSTABLE_TRIES` times, within the rate limit) and recorded in
`Probe.instability`; a check sees only the answer after the retries, and
`contract.verify` reports the instability as its own finding.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from contract.results import Msg

__all__ = ["KEY_HEADER", "Exchange", "Probe", "RateLimiter", "parse_time"]

KEY_HEADER = "IDENT-Integration-Key"
MAX_LIMIT = 1000  # the spec's maximum page size
GIVE_UP_AFTER = 3  # consecutive requests without an answer: stop sending, report the rest
MAX_RETRY_AFTER = 10.0  # longest wait honoured for a 429's Retry-After, seconds
UNSTABLE_TRIES = 6  # tries of one request while the provider answers 5xx, times out or resets
UNSTABLE_PAUSE = 0.05  # seconds before retrying an unstable answer (plus the rate limit)
NOT_OFFERED = (404, 405, 501)  # a method the provider does not implement
NOT_SENT = "not sent"  # Exchange.error of a request held back: the provider stopped answering


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
    error: str = ""  # why there is no answer: NOT_SENT, or the exception's class name

    def evidence(self) -> Msg:
        """This exchange as a translatable line: the request and answer stay as data."""
        request = f"{self.method} {self.url}"
        if self.error == NOT_SENT:
            return Msg("ev.not_sent", {"request": request})
        if self.error:
            return Msg("ev.no_answer", {"request": request, "error": self.error})
        body = repr(self.text[:160])
        return Msg("ev.answer", {"request": request, "status": self.status, "body": body})

    @property
    def ok_list(self) -> bool:
        return 200 <= self.status < 300 and isinstance(self.body, list)

    @property
    def unstable(self) -> bool:
        """No answer, or a server error (501 "not implemented" is an answer)."""
        return unstable_status(self.status)


def unstable_status(status: int) -> bool:
    return status == 0 or (status >= 500 and status != 501)


@dataclass(slots=True)
class Instability:
    """Answers that were server errors, timeouts or resets: counted, kept as evidence."""

    transient: int = 0  # failed, then answered on a retry
    persistent: int = 0  # still failing after every retry
    by_kind: dict[str, int] = field(default_factory=dict)  # "HTTP 503", "timeout", "reset"
    examples: list[Msg] = field(default_factory=list)

    def note(self, kind: str, example: Msg) -> None:
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        if len(self.examples) < 5:
            self.examples.append(example)

    @property
    def failures(self) -> int:
        return sum(self.by_kind.values())


def failure_kind(status: int, error: BaseException | None) -> str:
    if error is None:
        return f"HTTP {status}"
    if isinstance(error, httpx.TimeoutException):
        return "timeout"
    return "reset"


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
        self.instability = Instability()
        self.offset_name = "offset"  # the spelling the provider pages with (see verify)

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
        invalid: bool = False,
    ) -> Exchange:
        """Call an endpoint; `key=True` sends the real key, a string sends that, None none.

        Unstable answers are retried; `invalid` marks a deliberately wrong request,
        whose persistent server error is the calling check's finding, not instability.
        """
        headers = {}
        if key is True:
            headers[KEY_HEADER] = self.key
        elif isinstance(key, str):
            headers[KEY_HEADER] = key
        url = f"{self.base_url}/{endpoint}"
        failed = 0
        answer = self._not_sent(method, url)
        for _ in range(UNSTABLE_TRIES):
            if self.gone:
                break
            answer = self._send_once(method, url, params, headers, json)
            if not answer.unstable:
                break
            failed += 1
            time.sleep(UNSTABLE_PAUSE)
        self.settle(failed, answer.unstable, invalid)
        return answer

    def settle(self, failed: int, still_failing: bool, invalid: bool = False) -> None:
        """Count one request's unstable answers once its retries are over."""
        if not failed:
            return
        if not still_failing:
            self.instability.transient += 1
        elif not invalid:
            self.instability.persistent += 1

    def _not_sent(self, method: str, url: str) -> Exchange:
        return Exchange(method, url, 0, None, "", httpx.Headers(), NOT_SENT)

    def _send_once(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None,
        headers: dict[str, str],
        json: Any,
    ) -> Exchange:
        """One request, waiting out 429s as the spec asks; an unstable answer is noted."""
        for _ in range(3):
            self.count()
            try:
                response = self.client.request(
                    method, url, params=params, headers=headers, json=json
                )
            except httpx.HTTPError as exc:
                self.answered(False)
                error = type(exc).__name__
                found = Exchange(method, url, 0, None, "", httpx.Headers(), error)
                self.instability.note(failure_kind(0, exc), found.evidence())
                return found
            self.answered(True)
            if response.status_code != 429:
                break
            time.sleep(_retry_after(response.headers.get("Retry-After")))  # as the spec asks
        found = self._exchange(method, response)
        if found.unstable:
            self.instability.note(failure_kind(found.status, None), found.evidence())
        return found

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
        offset_name: str | None = None,
    ) -> Exchange:
        params = {
            "dateTimeFrom": start.isoformat(),
            "dateTimeTo": end.isoformat(),
            "limit": limit,
            offset_name or self.offset_name: offset,
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
        """GET a link with no key at all (as a browser would): status, type, first bytes, url.

        Unstable answers are retried and counted like any other request's.
        """
        failed = 0
        found: tuple[int, str, bytes, str] = (0, "", b"", url)
        for _ in range(UNSTABLE_TRIES):
            if self.gone:
                break
            found = self._open_once(url, max_bytes)
            if not unstable_status(found[0]):
                break
            failed += 1
            time.sleep(UNSTABLE_PAUSE)
        self.settle(failed, unstable_status(found[0]))
        return found

    def _open_once(self, url: str, max_bytes: int) -> tuple[int, str, bytes, str]:
        self.count()
        headers = {"Range": f"bytes=0-{max_bytes - 1}"}
        try:
            with httpx.stream(
                "GET", url, headers=headers, timeout=self.client.timeout, follow_redirects=True
            ) as response:
                head = b""
                for chunk in response.iter_bytes():
                    head += chunk
                    if len(head) >= max_bytes:
                        break
                ctype = response.headers.get("content-type", "")
                found = response.status_code, ctype, head[:max_bytes], str(response.url)
        except httpx.HTTPError as exc:
            self.answered(False)
            error = type(exc).__name__
            self.instability.note(
                failure_kind(0, exc), Msg("ev.no_answer", {"request": f"GET {url}", "error": error})
            )
            return 0, "", b"", f"{url} ({error})"
        self.answered(True)
        if unstable_status(found[0]):
            seen = Msg("ev.status", {"request": f"GET {url}", "status": found[0]})
            self.instability.note(failure_kind(found[0], None), seen)
        return found
