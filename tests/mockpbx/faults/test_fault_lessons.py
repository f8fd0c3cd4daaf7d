"""Every fault kind teaches one lesson: a naive client fails it, a correct client passes.

Each lesson runs twice against a real mockpbx server over TCP, with the fault
installed afresh on a reset world: once with a naive UIS report client (a
retry or two at once, trusts a 200, no re-login, no de-duplication, reads a
closed period once) and once with a correct one (reads JSON-RPC errors,
backs off on the virtual clock and honours Retry-After, logs in again when
its session is refused, drops repeated ids, re-reads a period once history
has settled). The naive client must end with an error or with data that is
not the truth; the correct one with exactly the truth: every call of the
period, once.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from http.client import HTTPException
from typing import Any, get_args

import pytest

from mockpbx.scenarios.model import FaultKind
from mockpbx.testing import DEFAULT_START, MockPBXServer

REPORT = "get.calls_report"
YESTERDAY = (DEFAULT_START - timedelta(days=1)).replace(hour=0, minute=0)
TODAY = DEFAULT_START.replace(hour=0, minute=0)
OUTAGE = {"window": {"from": "+0s", "to": "+60s"}}  # virtual seconds after the fault is set


class ClientFailed(Exception):
    """The client gave up (the naive outcome a test accepts as a failure)."""


@dataclass(frozen=True)
class Policy:
    """How a report client copes with a misbehaving provider."""

    attempts: int = 2  # tries per request
    timeout: float | None = None  # seconds per request (None: wait for ever)
    backoff: bool = False  # sleep between tries (the virtual clock) and honour Retry-After
    read_errors: bool = False  # a JSON-RPC error in a 200 is an error, not an empty page
    relogin: bool = False  # a refused session means: log in again
    dedup: bool = False  # a repeated id is dropped
    settle_seconds: float = 0.0  # re-read a period this long after the first read


NAIVE = Policy()
CORRECT = Policy(
    attempts=8, timeout=2.0, backoff=True, read_errors=True, relogin=True, dedup=True,
    settle_seconds=3 * 3600,
)  # fmt: skip


class ReportClient:
    """Reads the ids of every call of a period from UIS get.calls_report, page by page."""

    def __init__(self, pbx: MockPBXServer, policy: Policy, limit: int = 10) -> None:
        uis = pbx.credentials["uis"]
        self.url, self.login, self.password = uis["data_api_url"], uis["login"], uis["password"]
        self.pbx, self.policy, self.limit = pbx, policy, limit
        self.session: str | None = None

    def ids(self, start: datetime, end: datetime) -> list[int]:
        """Every call that started in [start, end), as the client ends up with them."""
        self.session = None  # a sync run logs in afresh
        got: list[int] = []
        offset = 0
        while True:
            page = self._call(REPORT, self._window(start, end, offset))["data"]
            got.extend(row["id"] for row in page)
            offset += len(page)
            if len(page) < self.limit:
                break
        return list(dict.fromkeys(got)) if self.policy.dedup else got

    def _window(self, start: datetime, end: datetime, offset: int) -> dict[str, Any]:
        fmt = "%Y-%m-%d %H:%M:%S"
        till = end - timedelta(seconds=1)
        return {"date_from": start.strftime(fmt), "date_till": till.strftime(fmt),
                "fields": ["id"], "sort": [{"field": "start_time", "order": "asc"}],
                "limit": self.limit, "offset": offset}  # fmt: skip

    def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(self.policy.attempts):
            try:
                return self._once(method, params)
            except _Retry as exc:
                if attempt + 1 == self.policy.attempts:
                    raise ClientFailed(str(exc)) from exc
                if self.policy.backoff:
                    self.pbx.clock.advance(exc.retry_after or 2.0**attempt)
        raise AssertionError("unreachable")

    def _once(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if self.session is None:
            self.session = self._rpc("login.user", {"login": self.login, "password": self.password})
        body = self._rpc(method, {"access_token": self.session, **params})
        return body

    def _rpc(self, method: str, params: dict[str, Any]) -> Any:
        doc = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        request = urllib.request.Request(
            self.url, doc.encode(), {"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.policy.timeout) as resp:
                answer = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            raise _Retry(f"HTTP {exc.code}", _seconds(exc.headers.get("Retry-After"))) from exc
        except (OSError, ValueError, HTTPException) as exc:  # resets, timeouts, cut bodies
            raise _Retry(f"{type(exc).__name__}: {exc}") from exc
        if "error" in answer and self.policy.read_errors:
            self._on_error(answer["error"])
        result = answer.get("result", {})  # the naive client trusts a 200
        if method == "login.user":
            return result.get("data", {}).get("access_token")
        return result if "data" in result else {"data": []}

    def _on_error(self, error: dict[str, Any]) -> None:
        mnemonic = error.get("data", {}).get("mnemonic")
        if mnemonic in ("access_token_invalid", "access_token_expired"):
            if self.policy.relogin:
                self.session = None
            raise _Retry(mnemonic, 0.0)
        if mnemonic in ("internal_error", "limit_exceeded"):
            raise _Retry(str(mnemonic))
        raise ClientFailed(f"provider error {mnemonic}")


class _Retry(Exception):
    def __init__(self, why: str, retry_after: float | None = None) -> None:
        super().__init__(why)
        self.retry_after = retry_after


def _seconds(value: str | None) -> float | None:
    return float(value) if value and value.isdigit() else None


# -- the lessons -----------------------------------------------------------------------------
Read = Callable[[MockPBXServer, ReportClient], tuple[list[int], list[int]]]


def read_yesterday(pbx: MockPBXServer, client: ReportClient) -> tuple[list[int], list[int]]:
    """(what the client read of yesterday, the truth of yesterday)."""
    got = client.ids(YESTERDAY, TODAY)
    return got, _truth(pbx, YESTERDAY, TODAY)


def read_a_closed_hour(pbx: MockPBXServer, client: ReportClient) -> tuple[list[int], list[int]]:
    """An hour is read once all its calls have ended; a careful client re-reads it later."""
    start, end = DEFAULT_START, DEFAULT_START + timedelta(hours=1)
    pbx.clock.advance_to(end)
    calls = pbx.truth.calls(start, end)
    last_end = max(datetime.fromisoformat(c["end"]) for c in calls)
    pbx.clock.advance_to(last_end + timedelta(minutes=1))
    got = client.ids(start, end)
    if client.policy.settle_seconds:
        pbx.clock.advance(client.policy.settle_seconds)
        got = list(dict.fromkeys([*got, *client.ids(start, end)]))
    pbx.clock.advance(4 * 3600)  # by now every row has arrived
    return got, _truth(pbx, start, end)


def _truth(pbx: MockPBXServer, start: datetime, end: datetime) -> list[int]:
    calls = pbx.truth.calls(start, end)
    assert all(c["in_history"] for c in calls)
    return [c["ids"]["uis"]["call_session_id"] for c in calls]


@dataclass(frozen=True)
class Lesson:
    fault: dict[str, Any]
    read: Read = read_yesterday
    naive: Policy = NAIVE
    correct: Policy = CORRECT


LESSONS: dict[str, Lesson] = {
    # a slow answer needs a timeout longer than the provider's latency
    "latency": Lesson({"seconds": 0.3, "count": 2}, naive=replace(NAIVE, timeout=0.1)),
    # UIS errors come with HTTP 200: an error body is not an empty last page
    "provider_error": Lesson({"code": -32603, "count": 1}),
    # a one-minute outage outlasts two quick tries; backing off rides it out
    "http_status": Lesson({"status": 503, **OUTAGE}),
    "reset": Lesson(OUTAGE),
    "truncate": Lesson(OUTAGE),
    # a hung request needs a timeout shorter than the hang, then the same backing off
    "hang": Lesson(
        {"seconds": 1.2, "window": {"from": "+0s", "to": "+3s"}},
        correct=replace(CORRECT, timeout=0.7),
    ),
    # 429: wait as long as Retry-After says
    "rate_limit": Lesson({"retry_after": 30, **OUTAGE}),
    # an ended session stays ended: retrying with it fails for good, logging in again works
    "expire_token": Lesson({"count": 1}, naive=replace(NAIVE, read_errors=True)),
    # rows shift while paging: the same id comes twice
    "duplicate_rows": Lesson({"rows": 3}),
    # history lags behind the end of a call: re-read once it has settled
    "late_rows": Lesson(
        {"delay_seconds": 3600, "window": {"from": "+0s", "to": "+3h"}}, read=read_a_closed_hour
    ),
}


def test_every_fault_kind__has_a_lesson() -> None:
    """A new fault kind without a lesson fails here."""
    assert set(LESSONS) == set(get_args(FaultKind))


@pytest.fixture(scope="module")
def pbx() -> Iterator[MockPBXServer]:
    with MockPBXServer(seed=3) as server:
        yield server


def _run(pbx: MockPBXServer, kind: str, policy: Policy) -> tuple[list[int] | None, list[int]]:
    """(ids the client ended with, or None if it gave up; the truth) on a fresh world."""
    lesson = LESSONS[kind]
    pbx.reset()
    face, method = ("*", "*") if kind == "late_rows" else ("uis", REPORT)
    pbx.faults.add(face, kind, method, **lesson.fault)
    client = ReportClient(pbx, policy)
    try:
        got, truth = lesson.read(pbx, client)
    except ClientFailed:
        got, truth = None, _truth(pbx, YESTERDAY, TODAY)
    finally:
        pbx.faults.clear()
    pbx.check_errors()
    return got, truth


@pytest.mark.parametrize("kind", sorted(LESSONS))
def test_naive_client__fails_the_lesson(pbx: MockPBXServer, kind: str) -> None:
    """Retrying at once, trusting a 200, no re-login, no de-duplication: wrong or no data."""
    got, truth = _run(pbx, kind, LESSONS[kind].naive)
    assert got is None or sorted(got) != sorted(truth)
    if kind == "duplicate_rows":  # pages never exceed limit: paging by rows got loses none
        assert got is not None
        assert set(got) == set(truth)
        assert len(got) > len(truth)


@pytest.mark.parametrize("kind", sorted(LESSONS))
def test_correct_client__ends_with_exactly_the_truth(pbx: MockPBXServer, kind: str) -> None:
    """Every call of the period, each exactly once."""
    got, truth = _run(pbx, kind, LESSONS[kind].correct)
    assert truth
    assert got is not None
    assert sorted(got) == sorted(truth)
    assert len(got) == len(set(got))


def test_without_faults__both_clients_read_the_truth(pbx: MockPBXServer) -> None:
    """The lessons fail the naive client because of the fault, not of the client alone."""
    for read in (read_yesterday, read_a_closed_hour):
        for policy in (NAIVE, CORRECT):
            pbx.reset()
            got, truth = read(pbx, ReportClient(pbx, policy))
            assert sorted(got) == sorted(truth)
