"""Reports as a terminal table, CSV, JSON, or one self-contained HTML page with charts.

The HTML page has no external resources (inline CSS and SVG) so it can be
mailed or opened offline. Charts, per report:

- ad-channels: calls and new patients per channel; revenue against spend
  per channel (what a clinic manager asks first: which ads pay off);
- admin-conversion: new callers, booked and visited per administrator;
- contact-history: answered and missed calls per day.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from html import escape
from typing import Any

import orjson
from jinja2 import Environment, select_autoescape

from adapter.reports.base import Report

__all__ = ["FORMATS", "bar_chart", "render", "to_csv", "to_html", "to_json", "to_table"]

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


def render(report: Report, fmt: str) -> str:
    if fmt == "json":
        return to_json(report)
    if fmt == "csv":
        return to_csv(report)
    if fmt == "html":
        return to_html(report)
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
def bar_chart(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]
) -> str:
    """A horizontal grouped bar chart as inline SVG (one group per label)."""
    bar, gap, left, width = 12, 10, 190, 420
    group = bar * len(series) + gap
    height = 40 + group * max(1, len(labels)) + 20 * len(series)
    top = max([v for _, values in series for v in values] + [1])
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 90}" '
        f'height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="4" y="16" class="t">{escape(title)}</text>',
    ]
    for i, label in enumerate(labels):
        y0 = 30 + i * group
        out.append(f'<text x="{left - 6}" y="{y0 + bar}" text-anchor="end">{escape(label)}</text>')
        for j, (_, values) in enumerate(series):
            value = values[i] if i < len(values) else 0
            w = 0 if top <= 0 else max(0.0, value) / top * width
            y = y0 + j * bar
            color = PALETTE[j % len(PALETTE)]
            out.append(
                f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar - 2}" fill="{color}"/>'
            )
            out.append(f'<text x="{left + w + 4:.1f}" y="{y + bar - 3}">{_cell(value)}</text>')
    ly = 30 + group * max(1, len(labels)) + 6
    for j, (name, _) in enumerate(series):
        color = PALETTE[j % len(PALETTE)]
        out.append(f'<rect x="{left}" y="{ly + j * 18}" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{left + 16}" y="{ly + j * 18 + 9}">{escape(name)}</text>')
    out.append("</svg>")
    return "".join(out)


def _charts(report: Report) -> list[str]:
    rows = report.rows
    if report.report == "ad-channels":
        labels = [" / ".join(str(r[k]) for k in ("channel", "source") if r[k]) for r in rows]
        money = [r for r in rows if r["revenue"] or r["spend"]]
        return [
            bar_chart(
                "Calls and new patients by channel",
                labels,
                [("calls", [r["calls"] for r in rows]),
                 ("new patients", [r["new_patients"] for r in rows])],
            ),
            bar_chart(
                "Revenue against ad spend",
                [" / ".join(str(r[k]) for k in ("channel", "source") if r[k]) for r in money],
                [("revenue", [r["revenue"] for r in money]),
                 ("spend", [r["spend"] or 0 for r in money])],
            ),
        ]  # fmt: skip
    if report.report == "admin-conversion":
        return [
            bar_chart(
                "New callers, bookings and visits by administrator",
                [str(r["employee"]) for r in rows],
                [("new callers", [r["incoming_new"] for r in rows]),
                 ("booked", [r["booked"] for r in rows]),
                 ("visited", [r["visited"] for r in rows])],
            )
        ]  # fmt: skip
    if report.report == "contact-history":
        days: dict[str, list[int]] = {}
        for r in rows:
            day = days.setdefault(r["time"][:10], [0, 0])
            day[0 if r["status"] == "answered" else 1] += 1
        return [
            bar_chart(
                "Calls per day",
                list(days),
                [("answered", [v[0] for v in days.values()]),
                 ("missed", [v[1] for v in days.values()])],
            )
        ]  # fmt: skip
    return []


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ title }} {{ period.from }}..{{ period.to }}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px;margin:0 0 4px} .src{color:#666;margin:0 0 16px}
.charts{display:flex;flex-wrap:wrap;gap:24px;margin-bottom:16px}
svg text{font:12px system-ui,sans-serif;fill:#333} svg .t{font-weight:600;font-size:13px}
table{border-collapse:collapse;font-size:13px} th,td{border:1px solid #ddd;padding:3px 6px}
th{background:#f3f5f8;text-align:left} td.n{text-align:right} tr.miss td{background:#fff6d6}
tfoot td{font-weight:600;background:#f3f5f8}
</style></head><body>
<h1>{{ title }}: {{ period.from }} – {{ period.to }}</h1>
<p class="src">{{ sources }}</p>
<div class="charts">{% for chart in charts %}<div>{{ chart | safe }}</div>{% endfor %}</div>
<table><thead><tr>{% for c in cols %}<th>{{ c }}</th>{% endfor %}</tr></thead><tbody>
{% for row in rows %}<tr{% if row.get('status') == 'missed' %} class="miss"{% endif %}>
{% for c in cols %}{% set v = row.get(c) %}<td{% if v is number %} class="n"{% endif %}>
{%- if c == 'recording_url' and v %}<a href="{{ v }}">listen</a>{% else %}{{ cell(v) }}{% endif -%}
</td>{% endfor %}</tr>
{% endfor %}</tbody>
<tfoot><tr>{% for c in cols %}<td>{{ cell(totals[c]) if c in totals else '' }}</td>
{% endfor %}</tr></tfoot>
</table>
<p class="src">totals: {% for k, v in totals.items() %}{{ k }} {{ cell(v) }}
{%- if not loop.last %}, {% endif %}{% endfor %}</p>
</body></html>
"""
_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def to_html(report: Report) -> str:
    template = _ENV.from_string(_PAGE)
    return template.render(
        title=TITLES.get(report.report, report.report),
        period=report.period.as_json(),
        sources=sources_line(report),
        charts=_charts(report),
        cols=columns(report),
        rows=report.rows,
        totals=report.totals,
        cell=_cell,
    )
