"""Each semantic check catches the defect it is named after, and passes a correct provider."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web
from broken import CATALOG, CONFORMANCE_CATALOG, KEY, OPTIONAL_CATALOG, GoodProvider, serve

from contract.checks import CHECKS
from contract.results import Report, Status
from contract.verify import Options, verify

FAST = {"observe_seconds": 6.0, "poll_interval": 0.5, "rate": 500.0, "max_examples": 8}


WRITES = {
    "allow_writes": True,
    "allow_calls": True,
    "callback_employee": "101",
    "callback_client": "79161234567",
}


def run(
    provider: GoodProvider,
    *,
    only: tuple[str, ...] = (),
    conformance: bool = False,
    writes: bool = False,
) -> Report:
    with serve(provider.app()) as origin:
        start, end = provider.period()
        options = Options(
            base_url=origin + provider.path,
            key=KEY,
            start=start,
            end=end,
            only=only,
            conformance=conformance,
            **FAST,
            **(WRITES if writes else {}),
        )
        return verify(options)


def status_of(report: Report, check_id: str) -> Status:
    (result,) = [r for r in report.results if r.check_id == check_id]
    return result.status


@pytest.fixture(scope="module")
def good_report() -> Report:
    """The full verifier (checks and conformance) run once against the correct provider."""
    return run(GoodProvider(), conformance=True)


def test_good_provider__passes_every_required_check(good_report: Report) -> None:
    failing = {r.check_id: r.outcome for r in good_report.results if r.status is Status.FAIL}
    assert failing == {}
    assert good_report.passed


@pytest.mark.parametrize("check_id", [c.id for c in CHECKS if c.required])
def test_good_provider__each_required_check_passes(good_report: Report, check_id: str) -> None:
    """The control: without a defect, no check fails or merely warns."""
    (result,) = [r for r in good_report.results if r.check_id == check_id]
    assert result.status is Status.PASS, result.outcome


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_check_catches_its_defect(name: str) -> None:
    provider_class, check_id = CATALOG[name]
    report = run(provider_class(), only=(check_id,))
    assert status_of(report, check_id) is Status.FAIL
    assert not report.passed


@pytest.mark.parametrize("name", sorted(CONFORMANCE_CATALOG))
def test_conformance_catches_its_defect(name: str) -> None:
    provider_class, result_id = CONFORMANCE_CATALOG[name]
    report = run(provider_class(), only=("none",), conformance=True)
    assert status_of(report, result_id) is Status.FAIL


def test_good_provider__passes_the_optional_checks_when_allowed() -> None:
    optional = tuple(name for _, name in OPTIONAL_CATALOG.values())
    report = run(GoodProvider(), only=optional, writes=True)
    assert {r.check_id: r.status for r in report.results} == dict.fromkeys(optional, Status.PASS)


@pytest.mark.parametrize("name", sorted(OPTIONAL_CATALOG))
def test_optional_check_flags_its_defect_without_failing_the_run(name: str) -> None:
    """An optional feature done wrong is reported, but does not fail the verdict."""
    provider_class, check_id = OPTIONAL_CATALOG[name]
    report = run(provider_class(), only=(check_id,), writes=True)
    assert status_of(report, check_id) in (Status.FAIL, Status.WARNING)
    assert report.passed


class RateLimitsEveryOtherRequest(GoodProvider):
    """A correct provider that answers every other API request with 429 and Retry-After: 0."""

    def app(self) -> web.Application:
        app = super().app()
        count = 0

        @web.middleware
        async def limit(request: web.Request, handler: Any) -> web.StreamResponse:
            nonlocal count
            count += 1
            if count % 2 and request.path.startswith(self.path):
                return web.Response(status=429, headers={"Retry-After": "0"})
            response: web.StreamResponse = await handler(request)
            return response

        app.middlewares.append(limit)
        return app


def test_verifier__honours_429_retry_after() -> None:
    """429 is the documented way to slow a client down: the verifier waits and retries."""
    report = run(RateLimitsEveryOtherRequest())
    assert [r.check_id for r in report.results if r.status is Status.FAIL] == []


def test_verifier__gives_up_on_a_provider_that_never_answers() -> None:
    """Three requests without an answer and the rest are not sent: a run never hangs."""

    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(2)  # far beyond the 0.2 s timeout; short so the server stops soon
        return web.json_response([])

    app = web.Application()
    app.router.add_get("/v1/{name}", hang)
    with serve(app) as origin:
        start, end = GoodProvider().period()
        options = Options(
            base_url=origin + "/v1", key=KEY, start=start, end=end, timeout=0.2, **FAST
        )
        report = verify(options)
    assert not report.passed
    assert report.requests <= 10


def test_unimplemented_leads__are_not_blamed_on_call_history() -> None:
    from broken.providers import TicketsNotImplemented

    report = run(
        TicketsNotImplemented(), only=("times_carry_offsets", "a_short_page_ends_the_data")
    )
    assert {r.status for r in report.results} == {Status.PASS}
