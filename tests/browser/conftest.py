"""A real Chromium for page tests: one headless browser per test session (or xdist worker).

The browser is Debian's `chromium` driven through its `chromedriver` (both
installed by `.ci/run`). Without them the tests skip on a developer's machine,
but never under CI=true, where they fail instead. Screenshots go to
`out/screenshots/` (gitignored; CI keeps them as artifacts).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
DESKTOP, PHONE, SMALL_PHONE = 1280, 390, 360
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)


def _missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            return f"{path} is not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """The session's headless Chromium (a Selenium WebDriver) with a fresh profile."""
    problem = _missing()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem} (CI=true: browser tests may not be skipped)")
        pytest.skip(problem)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="mockpbx-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={DESKTOP},900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """The browser at desktop width, its console log drained before and checked after."""
    set_width(browser, DESKTOP)
    browser.get("about:blank")
    console_errors(browser)
    yield browser
    browser.get("about:blank")


def set_width(driver: Any, width: int) -> None:
    """Resize the viewport (not the window) to `width` CSS pixels, phone-like."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def console_errors(driver: Any) -> list[str]:
    """The browser console's errors since the last read (the log drains on read)."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def page_width(driver: Any) -> int:
    """The document's scroll width: more than the viewport means horizontal overflow."""
    return int(driver.execute_script("return document.documentElement.scrollWidth"))


def screenshot(driver: Any, name: str) -> Path:
    """Save a full-page PNG of the current page under out/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    width = int(driver.execute_script("return window.innerWidth"))
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {
            "width": width,
            "height": min(height, 8000),
            "deviceScaleFactor": 1,
            "mobile": width < 600,
        },
    )
    path.write_bytes(driver.get_screenshot_as_png())
    set_width(driver, width)
    return path
