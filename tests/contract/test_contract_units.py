"""Small pieces of the verifier on their own: the spec document, link secrets, audio sniffing."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any
from unittest.mock import patch

import httpx
import pytest

from contract.checks import is_audio, secret_bits
from contract.openapi import load_spec
from contract.probe import UNSTABLE_TRIES, Probe, RateLimiter, parse_time
from contract.report import render_html, render_junit, view
from contract.results import (
    Capability,
    Msg,
    Outcome,
    Report,
    Requirement,
    Result,
    Status,
    Support,
    Verdict,
)


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
    verdict, access = suites.findall("testsuite")
    assert access.get("failures") == "1"
    props = {p.get("name"): p.get("value") for p in verdict.iter("property")}
    assert props["verdict"] == "failed"
    assert props["capability.reports"] == "broken"


def _result(
    check_id: str, requirement: Requirement, status: Status, required: bool = True
) -> Result:
    return Result(check_id, requirement, required, Outcome(status, Msg("sum.keys_ok")))


def _history_only() -> Report:
    results = [
        _result("period_filter_is_honoured_at_its_edges", Requirement.HISTORY, Status.PASS),
        _result("missing_or_wrong_keys_are_refused", Requirement.ACCESS, Status.PASS),
        _result(
            "ongoing_calls_appear_while_live_and_disappear_after",
            Requirement.CURRENT,
            Status.ABSENT,
        ),
        _result("recording_links_are_unguessable", Requirement.RECORDINGS, Status.ABSENT),
        _result(
            "utm_and_referrer_are_present_on_tracked_calls", Requirement.TRACKING, Status.ABSENT
        ),
    ]
    return Report(
        "https://p/v1",
        "2026-05-12T00:00:00+03:00",
        "2026-05-14T00:00:00+03:00",
        "2026-05-14T09:00:00+03:00",
        1.0,
        3,
        results,
        "+03:00",
    )


def test_report__history_only_is_partial_with_reports_supported() -> None:
    report = _history_only()
    assert report.overall() is Verdict.PARTIAL
    assert [(r.capability, r.support) for r in report.capabilities()] == [
        (Capability.REPORTS, Support.YES),
        (Capability.CALLER_CARD, Support.NO),
        (Capability.RECORDINGS, Support.NO),
        (Capability.TRACKING, Support.NO),
        (Capability.CLICK_TO_CALL, Support.UNCONFIRMED),
    ]


def test_html_report__verdict_capabilities_and_ask_come_before_the_details() -> None:
    page = render_html(_report_with("evidence"))
    at = [page.index(f'id="{name}"') for name in ("verdict", "capabilities", "ask", "details")]
    assert at == sorted(at)
    assert 'data-check="missing_or_wrong_keys_are_refused"' in page[at[2] : at[3]]
    assert "https://p/v1" in page
    assert not re.search(r"src=|href=|url\(|@import", page)  # self-contained: nothing fetched


LATIN_WORD = re.compile(r"\b[A-Za-z]{4,}\b")
ALLOWED_LATIN = {"callto", "allow", "calls", "UTC"}  # a link scheme, a flag, a zone


def test_russian_report__top_blocks_have_no_english_left() -> None:
    """Verdict, capabilities and what to ask read in Russian (check ids and evidence aside)."""
    for report in (_history_only(), _report_with("evidence")):
        data = view(report, "ru")
        lines = [data["verdict"], data["capabilities_label"], data["ask_label"], data["period"]]
        lines += [f"{r['name']} {r['word']} {r['note']}" for r in data["capabilities"]]
        lines += [f"{i['title']} {i['summary']}" for i in data["ask"]]
        english = {w for line in lines for w in LATIN_WORD.findall(line)} - ALLOWED_LATIN
        assert english == set(), lines


def test_every_message__has_both_languages() -> None:
    """Wherever the English text has words (placeholders aside), the Russian one is Russian."""
    from contract.messages import CAPABILITIES, MESSAGES, SUPPORT, SUPPORT_NOTES, VERDICTS

    catalogs: list[dict[Any, tuple[str, str]]] = [
        MESSAGES,
        CAPABILITIES,
        SUPPORT,
        SUPPORT_NOTES,
        VERDICTS,
    ]
    code_only = ("ev.case_limit", "ev.case_offset")  # "limit = 0": parameter names, not words
    for catalog in catalogs:
        for key, (en, ru) in catalog.items():
            words = LATIN_WORD.findall(re.sub(r"\{\w+\}", "", en))
            if words and not str(key).startswith(code_only):
                assert re.search("[а-яА-Я]", ru), key


def test_probe__retries_server_errors_and_counts_them_apart() -> None:
    """Two 5xx then an answer: the check sees the answer; one request recovered is counted."""
    answers = iter([503, 502, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(next(answers), json=[])

    probe = Probe(
        "https://p/v1", "k", rate=0, client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    with patch("contract.probe.UNSTABLE_PAUSE", 0):
        answer = probe.get("GetFinishedCalls")
    assert answer.status == 200
    assert (probe.instability.transient, probe.instability.persistent) == (1, 0)
    assert probe.instability.by_kind == {"HTTP 503": 1, "HTTP 502": 1}


def test_probe__a_deliberately_invalid_request_that_always_crashes_is_not_instability() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, text="Traceback")

    probe = Probe(
        "https://p/v1", "k", rate=0, client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    with patch("contract.probe.UNSTABLE_PAUSE", 0):
        answer = probe.send("GET", "GetFinishedCalls", invalid=True)
    assert answer.status == 500
    assert (probe.instability.transient, probe.instability.persistent) == (0, 0)
    assert probe.requests == UNSTABLE_TRIES
