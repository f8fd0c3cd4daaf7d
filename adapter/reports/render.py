"""Reports as a terminal table, CSV, JSON, or one self-contained HTML page with charts.

The HTML page (`templates/report.html`) has no external resources (inline CSS
and SVG) so it can be mailed or opened offline; it is in Russian (default) or
English (`adapter.reports.i18n`), readable from phone width up, with money in
₽, times in the account's zone and each metric defined under its table; an
empty period says so. Charts, per report:

- ad-channels: calls and new patients per channel; revenue against spend
  per channel (what a clinic manager asks first: which ads pay off);
- admin-conversion: new callers, booked and visited per administrator;
- contact-history: answered and missed calls per day.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Sequence
from datetime import date, datetime
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape

from adapter.reports.base import Report
from adapter.reports.i18n import LANGS, MONEY, PERCENT, Words

__all__ = [
    "FORMATS",
    "LANGS",
    "bar_chart",
    "render",
    "to_csv",
    "to_html",
    "to_json",
    "to_table",
]

FORMATS = ("table", "csv", "json", "html")

COLUMNS: dict[str, tuple[str, ...]] = {
    "ad-channels": (
        "channel", "source", "medium", "campaign", "calls", "unique_callers", "new_patients",
        "booked", "visited", "revenue", "spend", "cost_per_call", "cost_per_patient", "roi_pct",
    ),
    "admin-conversion": (
        "employee_id", "employee", "incoming_new", "answered", "booked", "visited",
        "conversion_pct",
    ),
    "contact-history": (
        "time", "direction", "phone", "patient", "employee", "wait_s", "talk_s", "status",
        "called_back", "comment", "recording_url",
    ),
}  # fmt: skip

TITLES = {
    "ad-channels": "Advertising channels and sources",
    "admin-conversion": "Administrator conversion",
    "contact-history": "Contact history",
}
PALETTE = ("#2f6fb3", "#e0883b", "#4c9f5a", "#b84a4a", "#7d5ba6")


def render(report: Report, fmt: str, lang: str = "ru") -> str:
    """`report` as `fmt`; `lang` (ru | en) is the HTML page's language (the terminal table,
    CSV and JSON keep the field names)."""
    if fmt == "json":
        return to_json(report)
    if fmt == "csv":
        return to_csv(report)
    if fmt == "html":
        return to_html(report, lang)
    return to_table(report)


def to_json(report: Report) -> str:
    return orjson.dumps(report.as_json(), option=orjson.OPT_INDENT_2).decode()


def columns(report: Report) -> tuple[str, ...]:
    return COLUMNS.get(report.report) or tuple(report.rows[0] if report.rows else ())


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns(report), extrasaction="ignore")
    writer.writeheader()
    for row in report.rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}".replace(",", " ")
    return str(value)


def sources_line(report: Report) -> str:
    s = report.sources
    parts = []
    if s.cache_until is not None:
        fresh = s.cache_synced_at.isoformat() if s.cache_synced_at else "never synced"
        parts.append(
            f"cache: {s.cache_calls} call(s) before {s.cache_until.isoformat()} (synced {fresh})"
        )
    if s.live_from is not None:
        parts.append(f"provider: {s.live_calls} call(s) from {s.live_from.isoformat()}")
    parts += s.notes
    return "; ".join(parts) or "no calls read"


def to_table(report: Report) -> str:
    from rich.console import Console
    from rich.table import Table

    cols = columns(report)
    title = (
        f"{TITLES.get(report.report, report.report)} {report.period.first}..{report.period.last}"
    )
    table = Table(title=title, caption=sources_line(report), show_footer=bool(report.rows))
    for name in cols:
        total = report.totals.get(name)
        numeric = isinstance(total, int | float) and not isinstance(total, bool)
        table.add_column(
            name,
            footer=_cell(total) if name in report.totals else "",
            justify="right" if numeric else "left",
        )
    for row in report.rows:
        table.add_row(*(_cell(row.get(name)) for name in cols))
    console = Console(file=io.StringIO(), width=220, force_terminal=False, color_system=None)
    console.print(table)
    extra = {k: v for k, v in report.totals.items() if k not in cols}
    if extra:
        console.print("totals: " + ", ".join(f"{k} {_cell(v)}" for k, v in extra.items()))
    out = console.file
    assert isinstance(out, io.StringIO)
    return out.getvalue()


# -- charts ----------------------------------------------------------------------------
def _plain(value: float) -> str:
    return _cell(value)


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    fmt: Callable[[float], str] = _plain,
) -> str:
    """A horizontal grouped bar chart as inline SVG: each label on its own line above its
    bars (so long names are never clipped), scaled down to the page's width."""
    bar, gap, label_h, width, room = 13, 10, 16, 480, 110
    group = label_h + bar * len(series) + gap
    height = 34 + group * max(1, len(labels)) + 18 * len(series)
    top = max([v for _, values in series for v in values] + [1])
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="16" class="t">{escape(title)}</text>',
    ]
    for i, label in enumerate(labels):
        y0 = 28 + i * group
        out.append(f'<text x="0" y="{y0 + 12}">{escape(label)}</text>')
        for j, (_, values) in enumerate(series):
            value = values[i] if i < len(values) else 0
            w = 0 if top <= 0 else max(0.0, value) / top * (width - room)
            y = y0 + label_h + j * bar
            color = PALETTE[j % len(PALETTE)]
            out.append(f'<rect x="0" y="{y}" width="{w:.1f}" height="{bar - 2}" fill="{color}"/>')
            out.append(f'<text x="{w + 4:.1f}" y="{y + bar - 3}">{escape(fmt(value))}</text>')
    ly = 28 + group * max(1, len(labels)) + 4
    for j, (name, _) in enumerate(series):
        color = PALETTE[j % len(PALETTE)]
        out.append(f'<rect x="0" y="{ly + j * 18}" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="16" y="{ly + j * 18 + 9}">{escape(name)}</text>')
    out.append("</svg>")
    return "".join(out)


def _channel_label(row: dict[str, Any]) -> str:
    return " / ".join(str(row[k]) for k in ("channel", "source") if row[k])


def _charts(report: Report, w: Words) -> list[str]:
    rows = report.rows
    count = w.number
    if report.report == "ad-channels":
        money = [r for r in rows if r["revenue"] or r["spend"]]
        return [
            bar_chart(
                w.text("chart_calls"),
                [_channel_label(r) for r in rows],
                [(w.header("ad-channels", "calls"), [r["calls"] for r in rows]),
                 (w.header("ad-channels", "new_patients"), [r["new_patients"] for r in rows])],
                count,
            ),
            bar_chart(
                w.text("chart_money"),
                [_channel_label(r) for r in money],
                [(w.header("ad-channels", "revenue"), [r["revenue"] for r in money]),
                 (w.header("ad-channels", "spend"), [r["spend"] or 0 for r in money])],
                w.money,
            ),
        ]  # fmt: skip
    if report.report == "admin-conversion":
        h = functools.partial(w.header, "admin-conversion")
        return [
            bar_chart(
                w.text("chart_admins"),
                [w.value(str(r["employee"] or "—")) for r in rows],
                [(h("incoming_new"), [r["incoming_new"] for r in rows]),
                 (h("booked"), [r["booked"] for r in rows]),
                 (h("visited"), [r["visited"] for r in rows])],
                count,
            )
        ]  # fmt: skip
    if report.report == "contact-history":
        days: dict[str, list[int]] = {}
        for r in rows:
            day = days.setdefault(r["time"][:10], [0, 0])
            day[0 if r["status"] == "answered" else 1] += 1
        return [
            bar_chart(
                w.text("chart_days"),
                [w.day(date.fromisoformat(d)) for d in days],
                [(w.value("answered"), [v[0] for v in days.values()]),
                 (w.value("missed"), [v[1] for v in days.values()])],
                count,
            )
        ]  # fmt: skip
    return []


# -- the HTML page -----------------------------------------------------------------------
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
# what counts as "calls" for the empty-period message, per report
_CALLS = {"ad-channels": ("calls", "no_calls"), "contact-history": ("calls", "no_calls"),
          "admin-conversion": ("incoming_new", "no_new_calls")}  # fmt: skip


def html_cell(column: str, value: Any, w: Words, tz: ZoneInfo) -> dict[str, str]:
    """One table cell as text (in `w`'s language) and its CSS class (n: a number)."""
    if value is None:
        return {"text": "—", "cls": "n" if column in MONEY | PERCENT else ""}
    if isinstance(value, bool):
        return {"text": w.text("yes" if value else "no"), "cls": ""}
    if column in MONEY:
        return {"text": w.money(value), "cls": "n"}
    if column in PERCENT:
        return {"text": w.percent(value), "cls": "n"}
    if isinstance(value, int | float):
        return {"text": w.number(value), "cls": "n"}
    if column == "time":
        return {"text": w.moment(datetime.fromisoformat(value), tz), "cls": "t"}
    if column == "recording_url":
        return {"text": w.text("listen"), "cls": "", "href": str(value)}
    if column in ("direction", "status", "employee"):
        return {"text": w.value(str(value)), "cls": ""}
    return {"text": str(value), "cls": ""}


def html_sources(report: Report, w: Words) -> str:
    """Where the calls came from, every time in the account's zone."""
    s, tz = report.sources, report.period.tz
    parts = []
    if s.cache_until is not None:
        synced = w.text("synced", at=w.moment(s.cache_synced_at, tz, False)) if (
            s.cache_synced_at is not None) else w.text("never")  # fmt: skip
        until = w.moment(s.cache_until, tz, False)
        parts.append(w.text("cache", n=w.number(s.cache_calls), until=until) + f" ({synced})")
    if s.live_from is not None:
        since = w.moment(s.live_from, tz, False)
        parts.append(w.text("provider", n=w.number(s.live_calls), since=since))
    parts += s.notes
    line = "; ".join(parts) or w.text("nothing")
    return f"{line}. {w.text('times', tz=tz.key)}"


def _footer(report: Report, cols: tuple[str, ...], w: Words) -> list[dict[str, str]]:
    """The totals row under the columns it totals ("Total" in the first column), or none."""
    if not any(c in report.totals for c in cols):
        return []
    out = []
    for i, c in enumerate(cols):
        if c in report.totals:
            out.append(html_cell(c, report.totals[c], w, report.period.tz))
        else:
            out.append({"text": w.text("total") if i == 0 else "", "cls": ""})
    return out


def to_html(report: Report, lang: str = "ru") -> str:
    w = Words(lang)
    tz = report.period.tz
    cols = columns(report)
    key, message = _CALLS.get(report.report, ("calls", "no_calls"))
    empty = w.text(message) if report.totals.get(key, 0) == 0 else ""
    rows = [
        {
            "cls": "miss" if row.get("status") == "missed" else "",
            "cells": [html_cell(c, row.get(c), w, tz) for c in cols],
        }
        for row in report.rows
    ]
    headers = [
        {"text": w.header(report.report, c), "cls": "n" if c in report.totals else ""} for c in cols
    ]
    summary = [
        (w.header(report.report, k), html_cell(k, v, w, tz)["text"])
        for k, v in report.totals.items()
        if k not in cols
    ]
    period = f"{w.day(report.period.first)} – {w.day(report.period.last)}"
    return _ENV.get_template("report.html").render(
        lang=lang,
        title=w.title(report.report),
        period=period,
        sources=html_sources(report, w),
        empty=empty,
        charts=[] if empty else _charts(report, w),
        headers=headers,
        rows=rows if report.rows and not (empty and report.report == "contact-history") else [],
        footer=_footer(report, cols, w),
        summary=summary,
        totals_title=w.text("totals"),
        definitions=w.definitions(report.report, report.options),
        definitions_title=w.text("definitions"),
    )
