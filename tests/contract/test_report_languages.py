"""Every line of a report is in its language: no English in Russian, no Cyrillic in English.

Reports of four providers are rendered as terminal text, HTML and JUnit: the
reference clinic face (everything passes), a provider built from the broken
catalog with four defects (period, paging, keys, recordings), one whose times
lack offsets (unreadable items, Schemathesis findings) and the flaky provider
(instability evidence: 5xx answers and resets). Data stays as it is
(field and method names, URLs, quoted provider answers, exception class
names); every word around it must be translated.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from broken import KEY, GoodProvider, flaky, serve
from broken.providers import (
    AcceptsAnyKey,
    IgnoresPeriod,
    MissingOffsets,
    RecordingsBehindAuth,
    ShortPageMidData,
)
from rich.console import Console

from contract import messages
from contract.checks import CHECKS
from contract.messages import progress_line, text
from contract.probe import NOT_SENT, Exchange
from contract.report import render_html, render_junit, render_terminal
from contract.results import Msg, Report, Status
from contract.verify import Options, verify
from mockpbx.testing import MockPBXServer

FROM, TO = "2026-05-12T00:00:00+03:00", "2026-05-14T00:00:00+03:00"  # the reference world's days
FAST = {"observe_seconds": 2.0, "poll_interval": 0.5, "rate": 500.0, "max_examples": 5}

# words that are data, not prose: request parameters, protocol and product names
ALLOWED = {
    "callto",
    "http",
    "https",
    "limit",
    "offset",
    "Schemathesis",
    "IDENT",
    "null",  # JSON literals, as the provider sent them
    "true",
    "false",
}
DATA_SPANS = re.compile(  # applied line by line
    r"https?://\S+"  # links
    r"|(?<![A-Za-z])'[^'\n]*(?:'|$)"  # quoted data (provider answers), maybe cut at the end
    r"|\"[^\"\n]*(?:\"|$)"
    r"|--[a-z][a-z-]*",  # command-line options
    re.MULTILINE,
)
TOKEN = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.:/-]*[A-Za-z0-9_])?")
CYRILLIC = re.compile(r"[А-Яа-яЁё]+")


class SeveralDefects(IgnoresPeriod, ShortPageMidData, AcceptsAnyKey, RecordingsBehindAuth):
    """A provider with four defects at once: period, paging, keys and recordings."""


def is_data(token: str) -> bool:
    """Identifiers, numbers, names in capitals or camelCase are data; plain words are prose."""
    if token in ALLOWED or len(token) < 3 or not token.isalpha():
        return True
    return token.isupper() or any(c.isupper() for c in token[1:])


def english_words(text: str) -> list[str]:
    return [t for t in TOKEN.findall(DATA_SPANS.sub(" ", text)) if not is_data(t)]


def cyrillic_words(text: str) -> list[str]:
    return CYRILLIC.findall(DATA_SPANS.sub(" ", text))


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("style", "script")
        self.parts += [v for k, v in attrs if k in ("title", "alt", "aria-label") and v]

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def terminal_text(report: Report, lang: str) -> str:
    out = io.StringIO()
    render_terminal(report, lang, Console(file=out, width=2000, color_system=None))
    return out.getvalue()


def html_text(report: Report, lang: str) -> str:
    parser = _Text()
    parser.feed(render_html(report, lang))
    return "\n".join(parser.parts)


def junit_text(report: Report, lang: str) -> str:
    """What a person reads in JUnit: texts, messages, suite names (ids and enum values are data)."""
    root = ET.fromstring(render_junit(report, lang))
    parts: list[str] = []
    for node in root.iter():
        parts.append(node.text or "")
        parts += [node.get(a, "") for a in ("message",)]
        if node.tag == "testsuite":
            parts.append(node.get("name", ""))
        if node.tag == "testcase":
            parts.append(node.get("classname", ""))
    return "\n".join(parts)


RENDERERS: dict[str, Callable[[Report, str], str]] = {
    "terminal": terminal_text,
    "html": html_text,
    "junit": junit_text,
}


def run(app_provider: GoodProvider, *, unstable: bool = False) -> Report:
    app = flaky(app_provider.app()) if unstable else app_provider.app()
    with serve(app) as origin:
        start, end = app_provider.period()
        options = Options(
            base_url=origin + app_provider.path,
            key=KEY,
            start=start,
            end=end,
            conformance=True,
            **FAST,  # type: ignore[arg-type]
        )
        return verify(options)


@pytest.fixture(scope="module")
def reports(mockpbx_server: MockPBXServer) -> dict[str, Report]:
    mockpbx_server.reset()
    creds = mockpbx_server.credentials["clinic"]
    start, end = datetime.fromisoformat(FROM), datetime.fromisoformat(TO)
    reference = verify(
        Options(base_url=creds["url"], key=creds["key"], start=start, end=end, **FAST)  # type: ignore[arg-type]
    )
    return {
        "reference": reference,
        "broken": run(SeveralDefects()),
        "no-offsets": run(MissingOffsets()),  # unreadable items and Schemathesis findings
        "flaky": run(GoodProvider(), unstable=True),
    }


def test_the_providers__give_failures_and_instability_to_translate(
    reports: dict[str, Report],
) -> None:
    """The reports hold what is to be translated: failures with evidence, and instability."""
    for name in ("broken", "no-offsets"):
        failed = [r for r in reports[name].results if r.status is Status.FAIL]
        assert len(failed) >= 3
        assert all(r.outcome.evidence for r in failed)
    asked = {r.check_id for r in reports["no-offsets"].to_ask()}
    assert "conformance:GetFinishedCalls" in asked
    (stable,) = [r for r in reports["flaky"].results if r.check_id == "provider_is_stable"]
    assert stable.status is Status.WARNING
    assert stable.outcome.evidence


@pytest.mark.parametrize("form", sorted(RENDERERS))
@pytest.mark.parametrize("provider", ["reference", "broken", "no-offsets", "flaky"])
def test_russian_report__has_no_english_outside_data(
    reports: dict[str, Report], provider: str, form: str
) -> None:
    """The Russian report translates every sentence; only data tokens stay in Latin letters."""
    shown = RENDERERS[form](reports[provider], "ru")
    assert CYRILLIC.search(shown)
    assert [line for line in shown.splitlines() if english_words(line)] == []


@pytest.mark.parametrize("form", sorted(RENDERERS))
@pytest.mark.parametrize("provider", ["reference", "broken", "no-offsets", "flaky"])
def test_english_report__has_no_cyrillic(
    reports: dict[str, Report], provider: str, form: str
) -> None:
    """The English report has no Russian word outside quoted provider data."""
    shown = RENDERERS[form](reports[provider], "en")
    assert english_words(shown)  # the detector sees English prose
    assert [line for line in shown.splitlines() if cyrillic_words(line)] == []


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("GET http://x/GetFinishedCalls -> 0 нет ответа: ReadTimeout", []),
        ("GET /GetTickets -> 0 no answer: ReadTimeout", ["answer"]),
        ("Провайдер читает offset, limit и DateAndTime (HTTP 503, UTM)", []),
        ("conformance:GetFinishedCalls: ответ 'upstream error' (--allow-calls)", []),
        ("Ошибка сервера. Пример: Server error", ["Server", "error"]),
    ],
)
def test_english_detector__flags_prose_and_spares_data(line: str, found: list[str]) -> None:
    """The detector itself: plain English words are found, data tokens are not."""
    assert english_words(line) == found


def unanswered(error: str) -> Msg:
    return Exchange("GET", "http://p/GetTickets", 0, None, "", httpx.Headers(), error).evidence()


KINDS = [Msg("ev.kind_count", {"kind": Msg(k), "n": 2}) for k in ("kind.reset", "kind.timeout")]
UNSTABLE = {"failures": 4, "n": 9, "kinds": KINDS, "recovered": 1, "persistent": 1}


@pytest.mark.parametrize(
    "msg",
    [
        unanswered(NOT_SENT),
        unanswered("ReadTimeout"),
        Msg("ev.conformance", {"title": Msg("conf.Some new title"), "example": Msg.raw("GET /x")}),
        Msg("sum.unstable", UNSTABLE),
    ],
    ids=["not-sent", "no-answer", "new-schemathesis-title", "kinds-of-instability"],
)
def test_rare_evidence__is_translated_too(msg: Msg) -> None:
    """Evidence the three providers may not produce: a request not sent, no answer, a new title."""
    shown = text(msg, "ru")
    assert CYRILLIC.search(shown)
    assert english_words(shown) == []
    assert cyrillic_words(text(msg, "en")) == []


@pytest.mark.parametrize("check_id", [*(spec.id for spec in CHECKS), "conformance"])
def test_progress_line__names_the_check_in_russian(check_id: str) -> None:
    """The terminal's progress line while a check runs is translated, like the report."""
    shown = progress_line(check_id, "ru")
    assert CYRILLIC.search(shown)
    assert english_words(shown) == []
    assert cyrillic_words(progress_line(check_id, "en")) == []


CATALOGS = {
    "messages": messages.MESSAGES,
    "ui": messages.UI,
    "titles": messages.TITLES,
    "why": messages.WHY,
    "requirements": messages.REQUIREMENTS,
    "capabilities": messages.CAPABILITIES,
    "support": messages.SUPPORT,
    "support_notes": messages.SUPPORT_NOTES,
    "verdicts": messages.VERDICTS,
    "status": messages.STATUS,
}
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


@pytest.mark.parametrize("name", sorted(CATALOGS))
def test_catalog__every_russian_text_is_russian_and_every_english_one_english(name: str) -> None:
    """Each entry's Russian text has no English word outside data, its English text no Cyrillic."""
    catalog: dict[Any, tuple[str, str]] = CATALOGS[name]  # type: ignore[assignment]
    english = {k: en for k, (en, _) in catalog.items() if cyrillic_words(en)}
    russian = {k: ru for k, (_, ru) in catalog.items() if english_words(PLACEHOLDER.sub(" ", ru))}
    assert english == {}
    assert russian == {}
