"""The adapter's HTML reports read in Chromium: from phone width up, nothing clipped.

The reports are built from `tests/adapter/reports`' hand-made clinic, with
long Russian administrator names (the chart labels must show them whole).
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from adapter.clinic_data import parse_document
from adapter.reports import ReportContext, ad_channels, admin_conversion, contact_history
from adapter.reports.render import render
from adapter.store import SqlStore
from adapter.store.clinic import ClinicStore
from tests.adapter.reports.test_reports_unit import (
    CACHED,
    DOC,
    MSK,
    TODAYS,
    FakeSource,
    FixedClock,
    both,
)
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    SMALL_PHONE,
    console_errors,
    screenshot,
    set_width,
)

# one worker runs every browser test: one Chromium serves them all (-n 2 --dist loadgroup)
pytestmark = pytest.mark.xdist_group("browser")
LONG_NAMES = {1: "Константинопольская Александра Владиславовна",
              2: "Преображенская-Оболенская Екатерина Вячеславовна"}  # fmt: skip
BUILDS = {"ad-channels": ad_channels, "admin-conversion": admin_conversion,
          "contact-history": contact_history}  # fmt: skip


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Each report as an HTML file, in Russian."""
    out = tmp_path_factory.mktemp("reports")
    doc = copy.deepcopy(DOC)
    for admin in doc["administrators"]:
        admin["name"] = LONG_NAMES[admin["id"]]
    store = SqlStore(f"sqlite:///{out}/cache.sqlite3")
    store.upsert(CACHED, MSK)
    ClinicStore(store.engine).replace(
        parse_document(orjson.loads(orjson.dumps(doc)), provider="fake")
    )
    ctx = ReportContext(store, FixedClock(), FakeSource(TODAYS), MSK)
    files = {}
    for name, build in BUILDS.items():
        report = asyncio.run(build(ctx, both()))
        files[name] = out / f"{name}.html"
        files[name].write_text(render(report, "html"), encoding="utf-8")
    yield files
    store.close()


CLIPPED = """
const out = [];
for (const svg of document.querySelectorAll("svg")) {
  const box = svg.getBoundingClientRect();
  for (const t of svg.querySelectorAll("text")) {
    const r = t.getBoundingClientRect();
    if (r.left < box.left - 0.5 || r.right > box.right + 0.5) out.push(t.textContent);
  }
}
return out;
"""


@pytest.mark.parametrize("name", sorted(BUILDS))
@pytest.mark.parametrize("width", [SMALL_PHONE, PHONE, DESKTOP])
def test_report__fits_the_width_with_nothing_clipped(
    page: Any, pages: dict[str, Path], name: str, width: int
) -> None:

    set_width(page, width)
    page.get(pages[name].as_uri())
    assert page.execute_script("return document.documentElement.scrollWidth") <= width
    assert page.execute_script(CLIPPED) == []
    assert console_errors(page) == []
    if width != PHONE:
        screenshot(page, f"report-{name}-{width}")


def test_chart__shows_long_russian_names_whole(page: Any, pages: dict[str, Path]) -> None:
    set_width(page, SMALL_PHONE)
    page.get(pages["admin-conversion"].as_uri())
    labels = page.execute_script(
        "return [...document.querySelectorAll('svg text')].map((t) => t.textContent);"
    )
    assert set(LONG_NAMES.values()) <= set(labels)
    assert page.execute_script(CLIPPED) == []
