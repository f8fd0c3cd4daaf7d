"""Each semantic check catches the defect it is named after, and passes a correct provider."""

from __future__ import annotations

import pytest
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
