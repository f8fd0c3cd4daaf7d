"""Rendering a `Report`: the terminal (rich), a self-contained HTML page, and JUnit XML.

All three are organized by requirement, (a)-(d) of DESIGN.md first, each
check with its verdict, why it matters, what was found and the evidence.
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

from contract.messages import requirement_title, status_word, text, title, ui, why
from contract.results import Report, Result, Status

__all__ = ["render_html", "render_junit", "render_terminal", "view"]

TEMPLATE = Path(__file__).with_name("report.html.j2")
STYLE = {
    Status.PASS: "bold green",
    Status.FAIL: "bold red",
    Status.WARNING: "bold yellow",
    Status.SKIPPED: "dim",
}


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


def view(report: Report, lang: str = "en") -> dict[str, Any]:
    """Everything a renderer shows, already translated."""
    return {
        "lang": lang,
        "report": report,
        "heading": ui("heading", lang),
        "target_label": ui("target", lang),
        "period_label": ui("period", lang),
        "optional": ui("optional", lang),
        "duration": ui("duration", lang, seconds=report.seconds, requests=report.requests),
        "verdict": ui("verdict_ok" if report.passed else "verdict_bad", lang),
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


def render_terminal(report: Report, lang: str = "en", console: Console | None = None) -> None:
    console = console or Console()
    data = view(report, lang)
    console.print(Text(data["heading"], style="bold"))
    console.print(f"{data['target_label']}: {report.target}")
    console.print(f"{data['period_label']}: {report.period_from} — {report.period_to}")
    for group in data["groups"]:
        table = Table(
            title=f"{group['title']}: {group['status_word']}",
            title_justify="left",
            show_lines=True,
            expand=True,
        )
        table.add_column(ui("status", lang), width=14)
        table.add_column(ui("check", lang), ratio=2)
        table.add_column(ui("details", lang), ratio=3)
        for item in group["items"]:
            status = Status(item["status"])
            name = item["title"] + ("" if item["required"] else f" ({data['optional']})")
            details = "\n".join([item["summary"], *("• " + e for e in item["evidence"])])
            table.add_row(Text(item["status_word"], style=STYLE[status]), name, details)
        console.print(table)
    style = "green" if report.passed else "red"
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
    for group, (_, results) in zip(data["groups"], report.by_requirement(), strict=True):
        failures = sum(1 for r in results if r.blocking)
        skipped = sum(1 for r in results if r.status is Status.SKIPPED)
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
            elif result.status is Status.SKIPPED:
                ET.SubElement(case, "skipped", message=item["summary"])
            else:
                ET.SubElement(case, "system-out").text = body
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)
