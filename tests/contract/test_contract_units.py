"""Small pieces of the verifier on their own: the spec document, link secrets, audio sniffing."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from contract.checks import is_audio, secret_bits
from contract.openapi import load_spec
from contract.probe import RateLimiter, parse_time
from contract.report import render_html, render_junit
from contract.results import Msg, Outcome, Report, Requirement, Result, Status


def test_spec__documents_the_five_endpoints_with_callback_optional() -> None:
    spec = load_spec()
    ids = {op["operationId"]: op for item in spec["paths"].values() for op in item.values()}
    assert set(ids) == {
        "GetFinishedCalls",
        "GetOngoingCalls",
        "GetTickets",
        "PostTimeTable",
        "StartCallback",
    }
    assert ids["StartCallback"].get("x-optional") is True
    assert (
        spec["components"]["securitySchemes"]["IntegrationKey"]["name"] == "IDENT-Integration-Key"
    )


def test_spec__every_call_field_is_required_and_nullable_where_absent_is_possible() -> None:
    call = load_spec()["components"]["schemas"]["Call"]
    assert "Id" not in call["required"]
    assert {"DateAndTime", "RecordUrl", "UtmSource", "HttpReferer"} <= set(call["required"])
    assert "null" in call["properties"]["TalkInSeconds"]["type"]


def test_load_spec__returns_a_copy() -> None:
    load_spec()["paths"].clear()
    assert load_spec()["paths"]


@pytest.mark.parametrize(
    ("url", "at_least", "below"),
    [
        ("https://h/system/media/talk/3962900001/cdfc35775c41a6cf590474f8dc287aac/", 128, 129),
        ("https://h/rec/123/123.wav", 0, 1),
        ("https://h/rec?id=2024-05-14-000123", 0, 64),
        ("https://h/r/Xk9aQ2pL7vB3nM8cZ1tY4w", 64, 200),
    ],
)
def test_secret_bits__estimates_the_random_part_of_a_link(
    url: str, at_least: int, below: int
) -> None:
    bits, _ = secret_bits(url)
    assert at_least <= bits < below


@pytest.mark.parametrize(
    ("ctype", "head", "audio"),
    [
        ("audio/wav", b"RIFF\x00\x00\x00\x00WAVE", True),
        ("application/octet-stream", b"ID3\x04", True),
        ("application/octet-stream", b"\xff\xfb\x90", True),
        ("text/html", b"<html>", False),
        ("audio/mpeg", b"", False),
    ],
)
def test_is_audio__sniffs_the_first_bytes(ctype: str, head: bytes, audio: bool) -> None:
    assert is_audio(ctype, head) is audio


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("2024-05-14T10:02:11+03:00", True),
        ("2024-05-14T10:02:11Z", True),
        ("2024-05-14T10:02:11", False),
        ("2024-05-14", False),
        (12, False),
    ],
)
def test_parse_time__needs_an_offset(value: object, ok: bool) -> None:
    assert (parse_time(value) is not None) is ok


def test_rate_limiter__spaces_requests_evenly() -> None:
    """Ten requests at once at 4 per second wait 0, 0.25, 0.5, ... seconds (a fake clock)."""
    slept: list[float] = []
    limiter = RateLimiter(4, clock=lambda: 100.0, sleep=slept.append)
    for _ in range(10):
        limiter.wait()
    assert slept == pytest.approx([0.25 * i for i in range(1, 10)])


def _report_with(evidence: str) -> Report:
    outcome = Outcome(Status.FAIL, Msg("sum.keys_bad"), [Msg.raw(evidence)])
    result = Result("missing_or_wrong_keys_are_refused", Requirement.ACCESS, True, outcome)
    return Report("https://p/v1", "a", "b", "c", 1.0, 3, [result])


def test_html_report__escapes_what_the_provider_sent() -> None:
    page = render_html(_report_with("GET /x -> 200 '<script>alert(1)</script>'"))
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_junit_report__a_required_failure_is_a_failure() -> None:
    suites = ET.fromstring(render_junit(_report_with("evidence")).split("?>", 1)[1])
    (case,) = suites.iter("testcase")
    assert case.find("failure") is not None
    assert suites.find("testsuite").get("failures") == "1"  # type: ignore[union-attr]
