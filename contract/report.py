"""Rendering a `Report`: the terminal (rich), a self-contained HTML page, and JUnit XML.

All three open with what a clinic administrator acts on: the overall
verdict, the capability table (which features of the clinic's software this
provider supports) and what to ask the provider to fix, each item naming the
check and its evidence; then the readings of the open points (findings);
then the details by requirement, (a)-(d) of contract/openapi/provider.v1.yaml first. Times are shown
in the clinic's offset (`Report.tz`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from contract.messages import (
    capability_name,
    requirement_title,
    status_word,
    support_note,
    support_word,
    text,
    title,
    ui,
    verdict_text,
    why,
)
from contract.results import Report, Result, Status, Support, Verdict

__all__ = ["render_html", "render_junit", "render_terminal", "view"]

TEMPLATE = Path(__file__).with_name("report.html.j2")
STYLE = {
    Status.PASS: "bold green",
    Status.FAIL: "bold red",
    Status.WARNING: "bold yellow",
    Status.SKIPPED: "dim",
    Status.ABSENT: "bold blue",
}
SUPPORT_STYLE = {
    Support.YES: "bold green",
    Support.BROKEN: "bold red",
    Support.NO: "bold blue",
    Support.UNCONFIRMED: "yellow",
}
VERDICT_STYLE = {Verdict.PASSED: "green", Verdict.PARTIAL: "blue", Verdict.FAILED: "red"}
ASK_EVIDENCE = 3  # evidence lines per item of "what to ask"


def _item(result: Result, lang: str) -> dict[str, Any]:
    return {
        "id": result.check_id,
        "status": result.status.value,
        "status_word": status_word(result.status, lang),
        "title": title(result.check_id, lang),
        "why": why(result.check_id, lang),
        "summary": text(result.outcome.summary, lang),
        "evidence": [text(m, lang) for m in result.outcome.evidence],
        "required": result.required,
        "seconds": round(result.seconds, 2),
    }


def _when(iso: str) -> str:
    return iso[:16].replace("T", " ")


def _verdict(report: Report, lang: str) -> str:
    overall = report.overall()
    rows = report.capabilities()
    if overall is Verdict.PARTIAL:
        works = [capability_name(r.capability, lang) for r in rows if r.support is Support.YES]
        missing = [capability_name(r.capability, lang) for r in rows if r.support is Support.NO]
        return verdict_text(overall, lang, works=", ".join(works), missing=", ".join(missing))
    return verdict_text(overall, lang, n=sum(1 for r in report.results if r.blocking))


def _capabilities(report: Report, lang: str) -> list[dict[str, str]]:
    return [
        {
            "id": row.capability.value,
            "name": capability_name(row.capability, lang),
            "support": row.support.value,
            "word": support_word(row.support, lang),
            "note": support_note(row.capability, row.support, lang),
        }
        for row in report.capabilities()
    ]


def _ask(report: Report, lang: str) -> list[dict[str, Any]]:
    return [
        {
            "check": r.check_id,
            "title": title(r.check_id, lang),
            "summary": text(r.outcome.summary, lang),
            "blocking": r.blocking,
            "evidence": [text(m, lang) for m in r.outcome.evidence[:ASK_EVIDENCE]],
            "text": ui(
                "ask_item",
                lang,
                title=title(r.check_id, lang),
                check=r.check_id,
                summary=text(r.outcome.summary, lang),
            ),
        }
        for r in report.to_ask()
    ]


def view(report: Report, lang: str = "en") -> dict[str, Any]:
    """Everything a renderer shows, already translated."""
    overall = report.overall()
    return {
        "lang": lang,
        "report": report,
        "heading": ui("heading", lang),
        "target_label": ui("target", lang),
        "period_label": ui("period", lang),
        "period": ui(
            "period_value",
            lang,
            start=_when(report.period_from),
            end=_when(report.period_to),
            tz=report.tz,
        ),
        "started_label": ui("started", lang),
        "started": _when(report.started),
        "optional": ui("optional", lang),
        "duration": ui("duration", lang, seconds=report.seconds, requests=report.requests),
        "overall": overall.value,
        "verdict": _verdict(report, lang),
        "capabilities_label": ui("capabilities", lang),
        "feature_label": ui("feature", lang),
        "support_label": ui("support", lang),
        "note_label": ui("note", lang),
        "capabilities": _capabilities(report, lang),
        "ask_label": ui("ask", lang),
        "ask_none": ui("ask_none", lang),
        "ask_warning": ui("ask_warning", lang),
        "ask": _ask(report, lang),
        "readings_label": ui("readings", lang),
        "readings": [text(m, lang) for m in report.findings()],
        "details_label": ui("details", lang),
        "groups": [
            {
                "title": requirement_title(req, lang),
                "status": report.verdict(req).value,
                "status_word": status_word(report.verdict(req), lang),
                "items": [_item(r, lang) for r in results],
            }
            for req, results in report.by_requirement()
        ],
    }


def _top(console: Console, data: dict[str, Any], lang: str) -> None:
    """The verdict, the capability table and what to ask: what an administrator acts on."""
    console.print(Panel(data["verdict"], style=VERDICT_STYLE[Verdict(data["overall"])]))
    table = Table(title=data["capabilities_label"], title_justify="left", expand=True)
    table.add_column(data["feature_label"], ratio=2)
    table.add_column(data["support_label"], ratio=1)
    table.add_column(data["note_label"], ratio=3)
    for row in data["capabilities"]:
        word = Text(row["word"], style=SUPPORT_STYLE[Support(row["support"])])
        table.add_row(row["name"], word, row["note"])
    console.print(table)
    console.print(Text(data["ask_label"], style="bold"))
    if not data["ask"]:
        console.print("  " + data["ask_none"])
    for n, item in enumerate(data["ask"], 1):
        suffix = "" if item["blocking"] else f" ({data['ask_warning']})"
        console.print(f"  {n}. {item['text']}{suffix}", highlight=False)
        for line in item["evidence"]:
            console.print(f"     • {line}", highlight=False)
    if data["readings"]:
        console.print(Text(data["readings_label"], style="bold"))
        for line in data["readings"]:
            console.print(f"  • {line}", highlight=False)


def render_terminal(report: Report, lang: str = "en", console: Console | None = None) -> None:
    console = console or Console()
    data = view(report, lang)
    console.print(Text(data["heading"], style="bold"))
    console.print(f"{data['target_label']}: {report.target}")
    console.print(f"{data['period_label']}: {data['period']}")
    _top(console, data, lang)
    console.print(Text(data["details_label"], style="bold"))
    for group in data["groups"]:
        table = Table(
            title=f"{group['title']}: {group['status_word']}",
            title_justify="left",
            show_lines=True,
            expand=True,
        )
        table.add_column(ui("status", lang), width=14)
        table.add_column(ui("check", lang), ratio=2)
        table.add_column(ui("found", lang), ratio=3)
        for item in group["items"]:
            status = Status(item["status"])
            name = item["title"] + ("" if item["required"] else f" ({data['optional']})")
            details = "\n".join([item["summary"], *("• " + e for e in item["evidence"])])
            table.add_row(Text(item["status_word"], style=STYLE[status]), name, details)
        console.print(table)
    style = VERDICT_STYLE[Verdict(data["overall"])]
    console.print(Panel(f"{data['verdict']}\n{data['duration']}", style=style))


def render_html(report: Report, lang: str = "en") -> str:
    """A self-contained page (inline CSS, no scripts, no external assets)."""
    # next to this module (package data); not importlib.resources: a tests/contract
    # directory on sys.path would shadow the package name
    source = TEMPLATE.read_text(encoding="utf-8")
    env = Environment(autoescape=select_autoescape(default_for_string=True, default=True))
    return env.from_string(source).render(**view(report, lang))


def render_junit(report: Report, lang: str = "en") -> str:
    """JUnit XML: one test suite per requirement, one test case per check."""
    data = view(report, lang)
    suites = ET.Element("testsuites", name="pbx-contract", time=str(report.seconds))
    _verdict_suite(suites, data)
    for group, (_, results) in zip(data["groups"], report.by_requirement(), strict=True):
        failures = sum(1 for r in results if r.blocking)
        skipped = sum(1 for r in results if r.status in (Status.SKIPPED, Status.ABSENT))
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=group["title"],
            tests=str(len(results)),
            failures=str(failures),
            skipped=str(skipped),
            errors="0",
        )
        for item, result in zip(group["items"], results, strict=True):
            case = ET.SubElement(
                suite,
                "testcase",
                classname=group["title"],
                name=item["id"],
                time=str(item["seconds"]),
            )
            body = "\n".join([item["title"], item["summary"], *item["evidence"]])
            if result.blocking:
                ET.SubElement(case, "failure", message=item["summary"]).text = body
            elif result.status is Status.FAIL:  # an optional check failed: reported, not failing
                ET.SubElement(case, "system-out").text = body
            elif result.status in (Status.SKIPPED, Status.ABSENT):
                ET.SubElement(case, "skipped", message=item["summary"])
            else:
                ET.SubElement(case, "system-out").text = body
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)


def _verdict_suite(suites: ET.Element, data: dict[str, Any]) -> None:
    """The first suite: the verdict, capabilities and what to ask, as properties and text."""
    suite = ET.SubElement(
        suites, "testsuite", name=data["capabilities_label"], tests="0", failures="0", errors="0"
    )
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="verdict", value=data["overall"])
    for row in data["capabilities"]:
        ET.SubElement(props, "property", name=f"capability.{row['id']}", value=row["support"])
    lines = [data["verdict"], "", data["capabilities_label"] + ":"]
    lines += [f"  {r['name']}: {r['word']}. {r['note']}".rstrip() for r in data["capabilities"]]
    lines += ["", data["ask_label"] + ":"]
    lines += [f"  {n}. {item['text']}" for n, item in enumerate(data["ask"], 1)] or [
        "  " + data["ask_none"]
    ]
    if data["readings"]:
        lines += ["", data["readings_label"] + ":", *("  " + r for r in data["readings"])]
    ET.SubElement(suite, "system-out").text = "\n".join(lines)
