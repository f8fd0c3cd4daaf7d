"""The reports' HTML pages: language, formats, totals that mean one thing, empty periods.

The data is `test_reports_unit`'s hand-made clinic (SQLite only: the pages do
not depend on the store).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import date, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import orjson
import pytest

from adapter.clinic_data import parse_document
from adapter.reports import ReportContext, ad_channels, admin_conversion, contact_history
from adapter.reports.base import Report, period_of
from adapter.reports.contact_history import history_start
from adapter.reports.i18n import Words
from adapter.reports.render import render
from adapter.store import SqlStore
from adapter.store.clinic import ClinicStore
from tests.adapter.reports.test_reports_unit import (
    CACHED,
    DOC,
    MSK,
    NOW,
    TODAY,
    TODAYS,
    FakeSource,
    FixedClock,
    both,
)

NBSP = "\u00a0"
RAW = ("unique_callers", "roi_pct", "wait_s", "cost_per_call", "conversion_pct")


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[ReportContext]:
    store = SqlStore(f"sqlite:///{tmp_path}/cache.sqlite3")
    store.upsert(CACHED, MSK)
    ClinicStore(store.engine).replace(
        parse_document(orjson.loads(orjson.dumps(DOC)), provider="fake")
    )
    yield ReportContext(store, FixedClock(), FakeSource(TODAYS), MSK)
    store.close()


def run(coro: Any) -> Report:
    return asyncio.run(coro)  # type: ignore[no-any-return]


def headers(page: str) -> list[str]:
    return re.findall(r"<th[^>]*>([^<]*)</th>", page)


class TestLanguage:
    def test_russian_by_default__human_headers_and_rubles(self, ctx: ReportContext) -> None:
        page = render(run(ad_channels(ctx, both())), "html")
        assert '<html lang="ru">' in page
        assert "Рекламные каналы и источники: 12.05.2026 – 14.05.2026" in page
        assert "Уникальные звонящие" in headers(page)
        assert not set(RAW) & set(headers(page))
        assert f"7{NBSP}000,00{NBSP}₽" in page

    def test_english_on_request(self, ctx: ReportContext) -> None:
        page = render(run(admin_conversion(ctx, both())), "html", "en")
        assert '<html lang="en">' in page
        assert {"Administrator", "Calls from new callers", "Conversion"} <= set(headers(page))
        assert not set(RAW) & set(headers(page))

    def test_viewport__is_declared(self, ctx: ReportContext) -> None:
        page = render(run(contact_history(ctx, both())), "html")
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page

    def test_unknown_language__is_refused(self) -> None:
        with pytest.raises(ValueError, match="lang"):
            Words("de")


class TestFormats:
    def test_thousands__are_split_by_no_break_spaces(self) -> None:
        assert Words("ru").number(1234567) == f"1{NBSP}234{NBSP}567"
        assert Words("en").money(1234.5) == f"1{NBSP}234.50{NBSP}₽"

    def test_percent__printed_as_computed(self) -> None:
        """A percentage computed to 0.1 prints with that one decimal, not two."""
        assert Words("ru").percent(1543.2) == f"1{NBSP}543,2{NBSP}%"
        assert Words("en").percent(133.3) == f"133.3{NBSP}%"

    def test_times__are_the_account_s_wall_time_to_the_second(self, ctx: ReportContext) -> None:
        report = run(contact_history(ctx, both(), phone="+79160000007"))
        page = render(report, "html")
        first = report.rows[0]["time"]  # 2026-05-14T09:00:00+03:00
        assert first.startswith("2026-05-14T09:00:00")
        assert f"14.05.2026{NBSP}09:00:00" in page
        assert "T09:00:00+03:00" not in page

    def test_sources__use_one_zone(self, ctx: ReportContext) -> None:
        page = render(run(contact_history(ctx, both())), "html", "en")
        line = re.search(r'<p class="src">([^<]*)</p>', page)
        assert line is not None
        assert "+00:00" not in line.group(1)
        assert "Europe/Moscow" in line.group(1)


class TestTotals:
    def test_ad_channel_ratios__use_only_rows_with_spend(self, ctx: ReportContext) -> None:
        report = run(ad_channels(ctx, both()))
        paid = [r for r in report.rows if r["spend"] is not None]
        spend = sum(r["spend"] for r in paid)
        revenue = sum(r["revenue"] for r in paid)
        calls = sum(r["calls"] for r in paid)
        assert report.totals["calls"] > calls  # unpaid rows exist, so the rule matters
        assert report.totals["cost_per_call"] == round(spend / calls, 2)
        assert report.totals["roi_pct"] == round((revenue - spend) / spend * 100, 1)

    def test_totals_row__lines_up_with_its_columns(self, ctx: ReportContext) -> None:
        page = render(run(ad_channels(ctx, both())), "html")
        foot = re.search(r"<tfoot><tr>(.*?)</tr></tfoot>", page, re.S)
        assert foot is not None
        cells = re.findall(r"<td[^>]*>", foot.group(1))
        assert len(cells) == len(headers(page))
        assert "<td>Итого</td>" in foot.group(1)
        assert all('class="n"' in c for c in cells[4:])  # numbers align right

    def test_contact_history__has_no_empty_totals_row(self, ctx: ReportContext) -> None:
        page = render(run(contact_history(ctx, both())), "html")
        assert "<tfoot>" not in page
        assert "<dt>Звонков</dt><dd>8</dd>" in page

    def test_definitions__say_what_booked_and_unique_callers_mean(self, ctx: ReportContext) -> None:
        ads = unescape(render(run(ad_channels(ctx, both())), "html", "en"))
        admins = unescape(render(run(admin_conversion(ctx, both())), "html", "en"))
        assert "Booked: the row's calls (from any caller)" in ads
        assert "less than the column's sum" in ads
        assert "Only new callers count here" in admins


class TestEmpty:
    @pytest.mark.parametrize("build", [ad_channels, admin_conversion, contact_history])
    def test_empty_period__says_there_were_no_calls(self, ctx: ReportContext, build: Any) -> None:
        ctx.source = None
        quiet = period_of(date(2026, 4, 1), date(2026, 4, 2), MSK)
        page = render(run(build(ctx, quiet)), "html", "en")
        assert 'id="empty"' in page
        assert "in this period" in page
        assert "<svg" not in page


class TestHistoryStart:
    def test_without_sync_runs__is_today(self, ctx: ReportContext) -> None:
        assert asyncio.run(history_start(ctx, TODAY)) == TODAY

    def test_with_a_sync_run__is_its_first_day(self, ctx: ReportContext) -> None:
        first = TODAY - timedelta(days=40)
        run_id = ctx.store.begin_run("fake:1", "fake", "Europe/Moscow", NOW, first, TODAY)
        ctx.store.finish_run(run_id, NOW, status="ok", days=41, calls=5, loaded_until=TODAY)
        assert asyncio.run(history_start(ctx, TODAY)) == first
