"""Each semantic check catches the defect it is named after, and passes a correct provider.

Correct providers that read an open point of the description another way
pass (the reading is a finding); a feature a provider does not offer is
"not offered", never a failure; random server errors are instability, never
evidence against another rule.
"""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import Any

import pytest
from aiohttp import web
from broken import (
    ABSENT_CATALOG,
    CATALOG,
    CONFORMANCE_CATALOG,
    CONFORMANCE_WARNED,
    KEY,
    OPTIONAL_CATALOG,
    READINGS_CATALOG,
    WARNED_CATALOG,
    GoodProvider,
    Minimal,
    Readings,
    flaky,
    serve,
)
from broken.minimal import KEY as MINIMAL_KEY

from contract.checks import CHECKS
from contract.report import render_terminal
from contract.results import Capability, Report, Status, Support, Verdict
from contract.verify import Options, verify

FAST = {"observe_seconds": 6.0, "poll_interval": 0.5, "rate": 500.0, "max_examples": 8}


WRITES = {
    "allow_writes": True,
    "allow_calls": True,
    "callback_employee": "101",
    "callback_client": "79161234567",
}


def run(
    provider: GoodProvider | Minimal,
    *,
    only: tuple[str, ...] = (),
    conformance: bool = False,
    writes: bool = False,
    unstable: bool = False,
    observe: float | None = None,
) -> Report:
    app = flaky(provider.app()) if unstable else provider.app()
    with serve(app) as origin:
        start, end = provider.period()
        options = Options(
            base_url=origin + provider.path,
            key=MINIMAL_KEY if isinstance(provider, Minimal) else KEY,
            start=start,
            end=end,
            only=only,
            conformance=conformance,
            **{**FAST, **({"observe_seconds": observe} if observe is not None else {})},
            **(WRITES if writes else {}),
        )
        return verify(options)


def status_of(report: Report, check_id: str) -> Status:
    (result,) = [r for r in report.results if r.check_id == check_id]
    return result.status


def failing(report: Report) -> dict[str, Any]:
    return {r.check_id: r.outcome for r in report.results if r.status is Status.FAIL}


def asked(report: Report) -> list[str]:
    return [r.check_id for r in report.to_ask()]


def finding_keys(report: Report) -> set[str]:
    return {m.key for m in report.findings()}


def supports(report: Report) -> dict[Capability, Support]:
    return {row.capability: row.support for row in report.capabilities()}


@pytest.fixture(scope="module")
def good_report() -> Report:
    """The full verifier (checks and conformance) run once against the correct provider."""
    return run(GoodProvider(), conformance=True)


def test_good_provider__passes_every_required_check(good_report: Report) -> None:
    assert failing(good_report) == {}
    assert good_report.passed
    assert asked(good_report) == []


def test_good_provider__supports_every_feature_that_was_checked(good_report: Report) -> None:
    assert supports(good_report) == {
        Capability.REPORTS: Support.YES,
        Capability.CALLER_CARD: Support.YES,
        Capability.RECORDINGS: Support.YES,
        Capability.TRACKING: Support.YES,
        Capability.CLICK_TO_CALL: Support.UNCONFIRMED,  # rings phones: only with --allow-calls
    }
    assert good_report.overall() is Verdict.PASSED


@pytest.mark.parametrize("check_id", [c.id for c in CHECKS if c.required])
def test_good_provider__each_required_check_passes(good_report: Report, check_id: str) -> None:
    """The control: without a defect, no check fails or merely warns."""
    (result,) = [r for r in good_report.results if r.check_id == check_id]
    assert result.status is Status.PASS, result.outcome


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_check_catches_its_defect(name: str) -> None:
    """A defect fails its check, fails the run, and is the thing to ask the provider to fix."""
    provider_class, check_id = CATALOG[name]
    report = run(provider_class(), only=(check_id,))
    assert status_of(report, check_id) is Status.FAIL
    assert not report.passed
    assert report.overall() is Verdict.FAILED
    assert asked(report)[0] == check_id


@pytest.mark.parametrize("name", sorted(WARNED_CATALOG))
def test_schema_level_defect__is_a_warning_to_ask_about(name: str) -> None:
    """Invalid input accepted (or crashing) loses no data: a warning named in what to ask."""
    provider_class, check_id = WARNED_CATALOG[name]
    report = run(provider_class(), only=(check_id,))
    assert status_of(report, check_id) is Status.WARNING
    assert report.passed
    assert check_id in asked(report)


@pytest.mark.parametrize("name", sorted(READINGS_CATALOG))
def test_correct_provider_with_another_reading__passes_with_the_reading_found(name: str) -> None:
    """Either reading of an open point passes, and the report says which one this provider has."""
    provider_class, finding = READINGS_CATALOG[name]
    report = run(provider_class(), observe=1.0)
    assert failing(report) == {}
    assert report.overall() is not Verdict.FAILED
    assert finding in finding_keys(report)


@pytest.mark.parametrize("name", sorted(ABSENT_CATALOG))
def test_feature_not_offered__is_reported_as_such_not_as_a_failure(name: str) -> None:
    provider_class, check_id = ABSENT_CATALOG[name]
    report = run(provider_class(), only=(check_id,))
    assert status_of(report, check_id) is Status.ABSENT
    assert report.passed


@pytest.mark.parametrize("name", sorted(CONFORMANCE_CATALOG))
def test_conformance_catches_its_defect(name: str) -> None:
    provider_class, result_id = CONFORMANCE_CATALOG[name]
    report = run(provider_class(), only=("none",), conformance=True)
    assert status_of(report, result_id) is Status.FAIL


@pytest.mark.parametrize("name", sorted(CONFORMANCE_WARNED))
def test_conformance__warns_when_invalid_requests_are_accepted(name: str) -> None:
    provider_class, result_id = CONFORMANCE_WARNED[name]
    report = run(provider_class(), only=("none",), conformance=True)
    assert status_of(report, result_id) is Status.WARNING
    assert report.passed
    assert result_id in asked(report)


def test_good_provider__passes_the_optional_checks_when_allowed() -> None:
    optional = tuple(name for _, name in OPTIONAL_CATALOG.values())
    report = run(GoodProvider(), only=optional, writes=True)
    statuses = {r.check_id: r.status for r in report.results if r.check_id in optional}
    assert statuses == dict.fromkeys(optional, Status.PASS)


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


HISTORY_ONLY = frozenset({"GetFinishedCalls"})


def test_history_only_provider__reports_work_and_nothing_else_is_blamed() -> None:
    """A typical virtual PBX (history only, no links, no UTM): partial, not a wall of FAILs."""
    report = run(Minimal(features=HISTORY_ONLY, recordings=False, tracking=False), conformance=True)
    assert failing(report) == {}
    assert report.overall() is Verdict.PARTIAL
    assert supports(report) == {
        Capability.REPORTS: Support.YES,
        Capability.CALLER_CARD: Support.NO,
        Capability.RECORDINGS: Support.NO,
        Capability.TRACKING: Support.NO,
        Capability.CLICK_TO_CALL: Support.UNCONFIRMED,
    }


def test_history_only_provider__verdict_names_what_works_and_what_does_not() -> None:
    from rich.console import Console

    report = run(Minimal(features=HISTORY_ONLY, recordings=False, tracking=False))
    console = Console(width=200, record=True)
    render_terminal(report, "en", console)
    out = console.export_text()
    first = out[out.index("Passed for what it offers") :].splitlines()[0]
    assert "Call-history reports work" in first
    assert "Caller card during a call, Listening to recordings" in out
    assert "FAIL" not in out


def test_separately_written_provider__with_every_other_reading_at_once_passes() -> None:
    """dateTimeTo inclusive, filtered by end, 403, limit clamped, offSet only, talk 0, UTC."""
    readings = Readings(
        to_inclusive=True,
        filter_by="end",
        auth_status=403,
        over_limit="clamp",
        offset_names=("offSet",),
        missed_talk=0,
        zone=UTC,
        phone_style="plus",
    )
    report = run(Minimal(readings=readings, features=HISTORY_ONLY), conformance=True)
    assert failing(report) == {}
    assert {
        "find.period_end_inclusive",
        "find.auth_status",
        "find.offset_offSet",
        "find.missed_talk",
    } <= finding_keys(report)
    assert report.tz == "+00:00"


def test_random_server_errors__are_instability_and_nothing_else() -> None:
    """A 500 on GetTickets must not read "keys are not enforced" or "lead ids repeat"."""
    report = run(GoodProvider(), conformance=True, unstable=True)
    assert failing(report) == {}
    assert status_of(report, "provider_is_stable") is Status.WARNING
    assert asked(report) == ["provider_is_stable"]
    (stable,) = [r for r in report.results if r.check_id == "provider_is_stable"]
    assert stable.outcome.summary.params["recovered"] > 0
    assert stable.outcome.evidence
