"""The verifier's HTML report (`pbx-contract verify --html`) read in Chromium at phone width.

The report is made by the real CLI against the mock's clinic face, in Russian
(the clinic's language, whose labels are the longest).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from contract.cli import main
from mockpbx.testing import MockPBXServer
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

FROM, TO = "2026-05-12T00:00:00+03:00", "2026-05-14T00:00:00+03:00"
# The summary blocks above the details (the verdict, the capability table,
# "what to ask your provider").
SUMMARY_IDS = ("verdict", "capabilities", "ask")
DETAILS = ".check, #details"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The verifier's HTML report of the reference face, in Russian."""
    path = tmp_path_factory.mktemp("verifier") / "verifier-ru.html"
    with MockPBXServer(seed=1) as pbx:
        creds = pbx.credentials["clinic"]
        args = ["verify", creds["url"], "--key", creds["key"], "--from", FROM, "--to", TO,
                "--no-conformance", "--observe", "0.5", "--poll", "0.5", "--rate", "500",
                "--lang", "ru", "--html", str(path)]  # fmt: skip
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
    return path


def _top(driver: Any, selector: str) -> float | None:
    script = (
        "const e = document.querySelector(arguments[0]);"
        "return e ? e.getBoundingClientRect().top + window.scrollY : null;"
    )
    top: float | None = driver.execute_script(script, selector)
    return top


@pytest.mark.parametrize("width", [SMALL_PHONE, PHONE, DESKTOP])
def test_report__fits_the_width(page: Any, report: Path, width: int) -> None:
    """No horizontal overflow at phone width (the "(необязательно)" label once reached 449 px)."""
    set_width(page, width)
    page.get(report.as_uri())
    overflow = page.execute_script(
        "return [document.documentElement.scrollWidth, "
        "[...document.querySelectorAll('body *')].map((e) => e.getBoundingClientRect().right)"
        ".reduce((a, b) => Math.max(a, b), 0)];"
    )
    screenshot(page, f"verifier-{width}")
    assert console_errors(page) == []
    assert overflow[0] <= width
    assert overflow[1] <= width


def test_summary__comes_before_the_details(page: Any, report: Path) -> None:
    """The verdict, capabilities and what to ask come above the per-check details."""
    set_width(page, PHONE)
    page.get(report.as_uri())
    details = _top(page, DETAILS)
    assert details is not None, "the report has no details"
    for block in SUMMARY_IDS:
        top = _top(page, f"#{block}")
        assert top is not None, f"the report has no #{block}"
        assert top < details, f"#{block} is below the details"
