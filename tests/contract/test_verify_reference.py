"""The verifier against the reference face over real TCP (a `MockPBXServer`), and its CLI."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from broken import KEY, serve
from broken.providers import IgnoresPeriod
from click.testing import CliRunner

from contract.cli import main
from contract.results import Report, Status
from contract.verify import Options, verify
from mockpbx.core import actions
from mockpbx.testing import MockPBXServer

FROM, TO = "2026-05-12T00:00:00+03:00", "2026-05-14T00:00:00+03:00"
ONGOING = "ongoing_calls_appear_while_live_and_disappear_after"


def options(pbx: MockPBXServer, **extra: Any) -> Options:
    creds = pbx.credentials["clinic"]
    base: dict[str, Any] = {
        "start": datetime.fromisoformat(FROM),
        "end": datetime.fromisoformat(TO),
        "rate": 500.0,
        "max_examples": 5,
        "observe_seconds": 1.0,
        "poll_interval": 0.5,
    }
    return Options(base_url=creds["url"], key=creds["key"], **{**base, **extra})


def status_of(report: Report, check_id: str) -> Status:
    (result,) = [r for r in report.results if r.check_id == check_id]
    return result.status


def test_reference_face__passes_the_whole_verifier(mockpbx: MockPBXServer) -> None:
    report = verify(options(mockpbx))
    failing = {r.check_id: r.outcome for r in report.results if r.status is Status.FAIL}
    assert failing == {}
    assert report.passed


def test_verifier__is_read_only_by_default(mockpbx: MockPBXServer) -> None:
    """Only GETs reach a provider unless writes or calls are allowed."""
    verify(options(mockpbx))
    methods = {(e.http_method, e.method) for e in mockpbx.journal.entries(face="clinic")}
    assert {m for m, _ in methods} == {"GET"}
    assert mockpbx.call(lambda s: "clinic.timetable" not in s.extras)


def test_ongoing_check__passes_when_the_mock_clock_runs_calls(mockpbx: MockPBXServer) -> None:
    """Driving the mock: callbacks start and end during the observation, which sees both."""
    mockpbx.clock.set_rate(60)
    mockpbx.call(
        lambda s: [
            actions.start_callback(s.world, e.id, f"7916000000{i}")
            for i, e in enumerate(s.world.employees)
        ]
    )
    report = verify(
        options(
            mockpbx, only=(ONGOING,), conformance=False, observe_seconds=5.0, poll_interval=0.25
        )
    )
    assert status_of(report, ONGOING) is Status.PASS, report.results[0].outcome


def test_ongoing_check__warns_when_nothing_is_live(mockpbx: MockPBXServer) -> None:
    report = verify(options(mockpbx, only=(ONGOING,), conformance=False))
    assert status_of(report, ONGOING) is Status.WARNING
    assert report.passed


def test_optional_checks__pass_when_writes_and_calls_are_allowed(mockpbx: MockPBXServer) -> None:
    line = mockpbx.call(lambda s: s.world.lines_of(s.world.employees[0].id)[0].login)
    extra = {
        "allow_writes": True,
        "allow_calls": True,
        "callback_employee": line,
        "callback_client": "79161234567",
        "only": ("timetable_is_accepted", "callback_places_a_call_listed_as_current"),
    }
    report = verify(options(mockpbx, **extra))
    assert {
        r.check_id: r.status
        for r in report.results
        if not r.required and ":" not in r.check_id and r.check_id != "provider_is_stable"
    } == {
        "timetable_is_accepted": Status.PASS,
        "callback_places_a_call_listed_as_current": Status.PASS,
    }
    assert {
        r.check_id: r.status for r in report.results if r.check_id.startswith("conformance:")
    } == {
        f"conformance:{name}": Status.PASS
        for name in (
            "GetFinishedCalls",
            "GetOngoingCalls",
            "GetTickets",
            "PostTimeTable",
            "StartCallback",
        )
    }


class TestCli:
    ARGS = (
        "--from",
        FROM,
        "--to",
        TO,
        "--max-examples",
        "3",
        "--observe",
        "0.5",
        "--poll",
        "0.5",
        "--rate",
        "500",
    )

    def test_cli__exit_0_with_html_and_junit_in_russian(
        self, mockpbx: MockPBXServer, tmp_path: Path
    ) -> None:
        creds = mockpbx.credentials["clinic"]
        html, junit = tmp_path / "r.html", tmp_path / "r.xml"
        args = [
            "verify",
            creds["url"],
            "--key",
            creds["key"],
            *self.ARGS,
            "--html",
            str(html),
            "--junit",
            str(junit),
            "--lang",
            "ru",
        ]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert "Пройдено" in result.output
        assert "Что клиника сможет использовать" in result.output
        page = html.read_text(encoding="utf-8")
        assert "(а) История звонков за любой период" in page
        assert "<script" not in page
        assert "<link" not in page
        suites = ET.parse(junit).getroot()
        assert int(suites.find("testsuite").get("failures")) == 0  # type: ignore[union-attr]
        assert creds["key"] not in page + junit.read_text(encoding="utf-8")

    def test_cli__exit_1_when_a_required_check_fails(self) -> None:
        provider = IgnoresPeriod()
        start, end = provider.period()
        with serve(provider.app()) as origin:
            args = [
                "verify",
                origin + provider.path,
                "--key",
                KEY,
                "--from",
                start.isoformat(),
                "--to",
                end.isoformat(),
                "--no-conformance",
                "--observe",
                "0.5",
                "--poll",
                "0.5",
                "--rate",
                "500",
            ]
            result = CliRunner().invoke(main, args)
        assert result.exit_code == 1
        assert "Not passed" in result.output
        assert "period_filter_is_honoured_at_its_edges" in result.output

    def test_cli__shows_the_period_in_the_clinic_zone(self, mockpbx: MockPBXServer) -> None:
        """--tz +05:00 turns the +03:00 period into 02:00 — 02:00 in UTC+05:00."""
        creds = mockpbx.credentials["clinic"]
        args = ["verify", creds["url"], "--key", creds["key"], *self.ARGS, "--tz", "+05:00"]
        args += ["--no-conformance"]
        result = CliRunner().invoke(main, args, env={"COLUMNS": "200"})
        assert "2026-05-12 02:00 — 2026-05-14 02:00 (UTC+05:00)" in result.output

    def test_cli__refuses_a_zone_it_does_not_know(self) -> None:
        args = ["verify", "http://127.0.0.1:9", "--key", "k", "--tz", "Mars/Olympus"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2
        assert "--tz" in result.output

    def test_cli__needs_both_ends_of_the_period(self) -> None:
        result = CliRunner().invoke(
            main, ["verify", "http://127.0.0.1:9", "--key", "k", "--from", FROM]
        )
        assert result.exit_code == 2

    def test_cli__refuses_a_time_without_offset(self) -> None:
        result = CliRunner().invoke(
            main,
            [
                "verify",
                "http://127.0.0.1:9",
                "--key",
                "k",
                "--from",
                "2026-05-12T00:00:00",
                "--to",
                TO,
            ],
        )
        assert result.exit_code == 2
        assert "offset" in result.output


def test_spec_command__prints_the_openapi_document() -> None:
    result = CliRunner().invoke(main, ["spec"])
    assert result.exit_code == 0
    assert result.output.startswith("openapi: 3.1.0")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_check__has_a_title_and_reason_in_both_languages(lang: str) -> None:
    from contract.checks import CHECKS
    from contract.messages import TITLES, WHY

    assert {c.id for c in CHECKS} <= set(TITLES) & set(WHY)
    assert all(TITLES[c.id][1 if lang == "ru" else 0] for c in CHECKS)


@pytest.mark.parametrize(
    ("clinic_options", "check_id", "expected"),
    [
        ({"auth_status": 403}, "missing_or_wrong_keys_are_refused", Status.PASS),
        ({"time_offset": "utc"}, "times_carry_offsets", Status.PASS),
        ({"missed_talk": "zero"}, "period_filter_is_honoured_at_its_edges", Status.PASS),
        ({"to_inclusive": True}, "period_filter_is_honoured_at_its_edges", Status.PASS),
        ({"offset_names": ["offset"]}, "offset_is_accepted_in_both_spellings", Status.PASS),
        ({"offset_names": ["offSet"]}, "pages_are_complete_and_stable", Status.PASS),
        ({"max_limit": 50}, "pages_are_complete_and_stable", Status.FAIL),
    ],
)
def test_face_options__allowed_ones_pass_and_deviations_are_caught(
    mockpbx: MockPBXServer, clinic_options: dict[str, Any], check_id: str, expected: Status
) -> None:
    """The mock's open points: every reading passes; a page cap below 1000 is caught."""
    mockpbx.call(lambda s: s.options.__setitem__("clinic", clinic_options))
    try:
        report = verify(options(mockpbx, only=(check_id,), conformance=False))
    finally:
        mockpbx.call(lambda s: s.options.pop("clinic", None))
    assert status_of(report, check_id) is expected
