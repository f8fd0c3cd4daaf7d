"""The dashboard at /_mockpbx/, used in Chromium as a developer would, checked on the server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from mockpbx.testing import MockPBXServer
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    SMALL_PHONE,
    console_errors,
    page_width,
    screenshot,
    set_width,
)

# one worker runs every browser test: one Chromium serves them all (-n 2 --dist loadgroup)
pytestmark = pytest.mark.xdist_group("browser")

WAIT = 15  # seconds a page may take to show what the server already has (polls every 1-2 s)
SECOND_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+03:00$")
LIVE = {"appeared", "ringing", "talking"}


@pytest.fixture(scope="module")
def pbx() -> Iterator[MockPBXServer]:
    with MockPBXServer(seed=1, rate=0) as server:
        yield server


@pytest.fixture
def dash(page: Any, pbx: MockPBXServer) -> Iterator[Any]:
    """The dashboard of a freshly reset server, loaded and showing the header."""
    pbx.reset()
    page.get(pbx.url + "/_mockpbx/")
    wait_text(page, "scenario-name", lambda t: t not in ("", "…"))
    wait_text(page, "clock-now", lambda t: t not in ("", "…"))
    yield page
    assert console_errors(page) == []


def control(pbx: MockPBXServer, path: str) -> Any:
    """GET a control-plane JSON document: the server's own account of its state."""
    resp = httpx.get(pbx.url + "/_mockpbx" + path, timeout=10)
    resp.raise_for_status()
    return resp.json()


def by_id(driver: Any, element_id: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id)


def css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, selector))


def text_of(driver: Any, selector: str) -> str | None:
    """The text of the first element matching `selector`, read in one step (rows re-render)."""
    script = "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;"
    text: str | None = driver.execute_script(script, selector)
    return text


def until(driver: Any, check: Any, message: str) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT, poll_frequency=0.1).until(lambda d: check(), message)


def wait_text(driver: Any, element_id: str, ok: Any) -> str:
    """Wait until the element's text satisfies `ok`; return it."""
    until(driver, lambda: ok(by_id(driver, element_id).text), f"#{element_id} never matched")
    return str(by_id(driver, element_id).text)


def retype(field: Any, text: str) -> None:
    """Click into a field, select what it holds and type over it, as a person does."""
    from selenium.webdriver.common.keys import Keys

    field.click()
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(text)


def choose(driver: Any, element_id: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(by_id(driver, element_id)).select_by_value(value)


def clock_now(pbx: MockPBXServer) -> datetime:
    return datetime.fromisoformat(control(pbx, "/clock")["now"])


def shown(now: datetime) -> str:
    """A server time as the page writes it: the account's wall time to the second."""
    return now.strftime("%Y-%m-%d %H:%M:%S")


class TestLayout:
    def test_page__fits_every_width_and_shows_the_server_s_header(
        self, dash: Any, pbx: MockPBXServer
    ) -> None:
        """No horizontal overflow from desktop down to 360 px; the header is the server's."""
        health = control(pbx, "/health")
        assert by_id(dash, "scenario-name").text == health["scenario"]
        assert by_id(dash, "scenario-seed").text == str(health["seed"])
        assert by_id(dash, "clock-now").text == shown(clock_now(pbx))
        assert "Europe/Moscow" in by_id(dash, "clock-tz").text
        wait_text(dash, "journal-count", lambda t: t != "")
        for width in (DESKTOP, PHONE, SMALL_PHONE):
            set_width(dash, width)
            assert (width, page_width(dash)) <= (width, width)
            for section in ("clock", "actions", "live", "faults", "journal"):
                assert by_id(dash, section).is_displayed()
            screenshot(dash, f"dashboard-{width}")

    def test_root__opens_the_dashboard(self, page: Any, pbx: MockPBXServer) -> None:
        page.get(pbx.url + "/")
        assert page.current_url == pbx.url + "/_mockpbx/"
        assert page.title == "mockpbx dashboard"


class TestClock:
    def test_advance__moves_the_server_clock_and_the_page(
        self, dash: Any, pbx: MockPBXServer
    ) -> None:
        before = clock_now(pbx)
        css(dash, '[data-advance="3600"]')[0].click()
        after = before + timedelta(hours=1)
        wait_text(dash, "clock-now", lambda t: t == shown(after))
        assert clock_now(pbx) == after
        assert by_id(dash, "clock-set").get_attribute("value") == after.isoformat()

    def test_set_to__follows_the_clock_sets_a_typed_time_and_refuses_the_past(
        self, dash: Any, pbx: MockPBXServer
    ) -> None:
        """After +1 day, "set to" shows the new now (to the second); a typed later time is set;
        an earlier one gets a message in the account's time and leaves the clock alone."""
        css(dash, '[data-advance="86400"]')[0].click()
        day_later = clock_now(pbx)
        field = by_id(dash, "clock-set")
        until(dash, lambda: field.get_attribute("value") == day_later.isoformat(), "set to lags")
        assert SECOND_ISO.match(field.get_attribute("value"))
        target = day_later + timedelta(hours=2, minutes=5)
        retype(field, target.isoformat())
        by_id(dash, "clock-set-button").click()
        wait_text(dash, "message", lambda t: "done" in t)
        assert clock_now(pbx) == target
        until(dash, lambda: field.get_attribute("value") == target.isoformat(), "not followed")
        retype(field, (target - timedelta(hours=1)).isoformat())
        by_id(dash, "clock-set-button").click()
        text = wait_text(dash, "message", lambda t: "backwards" in t)
        assert shown(target) in text
        assert clock_now(pbx) == target

    def test_rate__ticks_the_header_with_the_virtual_clock(
        self, dash: Any, pbx: MockPBXServer
    ) -> None:
        css(dash, '[data-rate="600"]')[0].click()
        until(dash, lambda: control(pbx, "/clock")["rate"] == 600, "rate not set")
        first = wait_text(dash, "clock-rate", lambda t: "600" in t)
        assert first == "×600"
        start = by_id(dash, "clock-now").text
        wait_text(dash, "clock-now", lambda t: t > start)  # moves between the server's reads
        css(dash, '[data-rate="0"]')[0].click()
        until(dash, lambda: control(pbx, "/clock")["rate"] == 0, "rate not frozen")


class TestWorld:
    def test_scenario_loaded_elsewhere__shows_on_the_page(
        self, dash: Any, pbx: MockPBXServer
    ) -> None:
        """A scenario and seed loaded from elsewhere refresh the header and the credentials.

        Credentials follow the server's secret key, not the seed: the scenario file here
        fixes another key, so the key the page showed is now refused.
        """
        old_token = control(pbx, "/credentials")["uis"]["access_token"]
        httpx.post(
            pbx.url + "/_mockpbx/scenario",
            content="name: clinic_day\nsecret_key: rotated-elsewhere\n",
            headers={"Content-Type": "application/yaml"},
            timeout=30,
        ).raise_for_status()
        httpx.post(pbx.url + "/_mockpbx/seed", json={"seed": 5}, timeout=30).raise_for_status()
        token = control(pbx, "/credentials")["uis"]["access_token"]
        assert token != old_token
        wait_text(dash, "scenario-name", lambda t: t == "clinic_day")
        wait_text(dash, "scenario-seed", lambda t: t == "5")
        shown_token = css(dash, '[data-face="uis"] dd[data-key="access_token"]')
        until(dash, lambda: shown_token[0].text == token, "old credentials still shown")

    def test_load__rebuilds_the_world_with_the_typed_seed(
        self, dash: Any, pbx: MockPBXServer
    ) -> None:
        choose(dash, "scenario-select", "ad_campaign")
        by_id(dash, "scenario-seed-input").send_keys("9")
        by_id(dash, "scenario-load").click()
        wait_text(dash, "scenario-name", lambda t: t == "ad_campaign")
        assert (control(pbx, "/health")["scenario"], control(pbx, "/health")["seed"]) == (
            "ad_campaign",
            9,
        )
        assert by_id(dash, "scenario-seed").text == "9"


class TestFaults:
    def test_add_at_phone_width__sends_the_kind_s_fields_and_resets_the_form(
        self, dash: Any, pbx: MockPBXServer
    ) -> None:
        width = SMALL_PHONE
        set_width(dash, width)
        choose(dash, "fault-face", "uis")
        until(dash, lambda: len(css(dash, "#fault-method option")) > 5, "no methods offered")
        choose(dash, "fault-method", "get.calls_report")
        choose(dash, "fault-kind", "rate_limit")
        assert by_id(dash, "fault-retry-after").is_displayed()
        assert not by_id(dash, "fault-seconds").is_displayed()
        by_id(dash, "fault-retry-after").send_keys("7")
        by_id(dash, "fault-count").send_keys("2")
        css(dash, '#fault-form button[type="submit"]')[0].click()
        wait_text(dash, "faults-count", lambda t: t == "(1)")
        (fault,) = control(pbx, "/faults")["faults"]
        assert (fault["face"], fault["method"], fault["kind"]) == (
            "uis",
            "get.calls_report",
            "rate_limit",
        )
        assert (fault["retry_after"], fault["remaining"]) == (7, 2)
        assert by_id(dash, "fault-kind").get_attribute("value") == "latency"
        assert by_id(dash, "fault-retry-after").get_attribute("value") == ""
        assert "retry_after=7" in by_id(dash, "faults-rows").text
        assert page_width(dash) <= width

    def test_kind__shows_its_own_fields_and_sends_a_distribution(
        self, dash: Any, pbx: MockPBXServer
    ) -> None:
        expected = {
            "truncate": {"fault-keep-bytes"},
            "duplicate_rows": {"fault-rows"},
            "late_rows": {"fault-delay-seconds"},
            "provider_error": {"fault-code", "fault-message"},
            "http_status": {"fault-status"},
            "latency": {"fault-seconds", "fault-distribution"},
        }
        optional = ["fault-seconds", "fault-distribution", "fault-keep-bytes", "fault-rows",
                    "fault-delay-seconds", "fault-code", "fault-message", "fault-status",
                    "fault-retry-after"]  # fmt: skip
        script = "return arguments[0].filter((id) => document.getElementById(id).offsetParent);"
        for kind, fields in expected.items():
            choose(dash, "fault-kind", kind)
            visible = set(dash.execute_script(script, optional))
            assert (kind, visible) == (kind, fields)
        choose(dash, "fault-distribution", "uniform")
        retype(by_id(dash, "fault-dist-high"), "3")
        css(dash, '#fault-form button[type="submit"]')[0].click()
        wait_text(dash, "faults-count", lambda t: t == "(1)")
        (fault,) = control(pbx, "/faults")["faults"]
        assert (fault["kind"], fault["distribution"]["kind"]) == ("latency", "uniform")
        assert fault["distribution"]["high"] == 3

    def test_invalid_values__get_a_visible_message_and_no_fault(
        self, dash: Any, pbx: MockPBXServer
    ) -> None:
        """Checked in the page first (probability), then by the server (a window backwards)."""
        by_id(dash, "fault-probability").send_keys("2")
        css(dash, '#fault-form button[type="submit"]')[0].click()
        text = wait_text(dash, "fault-error", lambda t: t != "")
        assert text.startswith("Probability")
        assert by_id(dash, "fault-probability").get_attribute("aria-invalid") == "true"
        retype(by_id(dash, "fault-probability"), "1")
        assert by_id(dash, "fault-probability").get_attribute("aria-invalid") is None
        by_id(dash, "fault-from").send_keys("+10m")
        by_id(dash, "fault-to").send_keys("+5m")
        css(dash, '#fault-form button[type="submit"]')[0].click()
        text = wait_text(dash, "fault-error", lambda t: "window" in t)
        assert "window.to must be after window.from" in text
        assert by_id(dash, "fault-from").get_attribute("aria-invalid") == "true"
        assert control(pbx, "/faults")["faults"] == []
        logged = console_errors(dash)
        assert all("400 (Bad Request)" in line for line in logged)

    def test_remove__deletes_the_fault_on_the_server(self, dash: Any, pbx: MockPBXServer) -> None:
        first = pbx.faults.add("mango", "http_status", status=502)
        pbx.faults.add("clinic", "reset")
        wait_text(dash, "faults-count", lambda t: t == "(2)")
        css(dash, f'tr[data-fault="{first}"] button')[0].click()
        wait_text(dash, "faults-count", lambda t: t == "(1)")
        assert [f["face"] for f in control(pbx, "/faults")["faults"]] == ["clinic"]


def _uis(pbx: MockPBXServer, method: str, token: str | None = None, **params: Any) -> None:
    creds = pbx.credentials["uis"]
    params["access_token"] = token or creds["access_token"]
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    httpx.post(creds["data_api_url"], json=body, timeout=10).raise_for_status()


class TestJournal:
    def test_provider_error_on_http_200__is_marked_and_opens_to_its_details(
        self, dash: Any, pbx: MockPBXServer
    ) -> None:
        day = {"date_from": "2026-05-13 00:00:00", "date_till": "2026-05-14 00:00:00"}
        _uis(pbx, "get.calls_report", limit=1, **day)
        _uis(pbx, "get.calls_report", token="wrong", **day)
        wait_text(dash, "journal-count", lambda t: t.startswith("(2 "))
        bad, good = css(dash, "#journal-rows tr.entry")  # newest first
        assert "bad" in bad.get_attribute("class")
        assert "bad" not in good.get_attribute("class")
        assert "error" in bad.find_element("css selector", "td.status").text
        entries = control(pbx, "/journal")["entries"]
        assert [(e["status"], e["error"]) for e in entries] == [
            (200, None),
            (200, "access_token_invalid"),
        ]
        bad.click()
        until(dash, lambda: text_of(dash, "#journal-rows tr.detail"), "no details")
        detail = str(text_of(dash, "#journal-rows tr.detail"))
        assert "access_token_invalid" in detail
        assert '"date_from": "2026-05-13 00:00:00"' in detail
        assert "wrong" not in detail  # the journal keeps no secrets
        assert "response (application/json" in detail  # the provider's answer, as text
        assert '"mnemonic":"access_token_invalid"' in detail.replace(" ", "")
        css(dash, "#journal-rows tr.entry.bad")[0].click()
        until(dash, lambda: text_of(dash, "#journal-rows tr.detail") is None, "did not close")
        css(dash, "#journal-rows tr.entry")[1].click()
        until(dash, lambda: text_of(dash, "#journal-rows tr.detail"), "no details")
        good_detail = str(text_of(dash, "#journal-rows tr.detail"))
        assert '"jsonrpc":"2.0"' in good_detail
        assert '"result"' in good_detail

    def test_filters__narrow_by_status_method_and_fault_then_clear(
        self, dash: Any, pbx: MockPBXServer
    ) -> None:
        day = {"date_from": "2026-05-13 00:00:00", "date_till": "2026-05-14 00:00:00"}
        _uis(pbx, "get.calls_report", limit=1, **day)
        _uis(pbx, "get.employees", token="wrong")
        with pbx.faults.inject("uis", "latency", seconds=0):
            _uis(pbx, "get.employees")
        wait_text(dash, "journal-count", lambda t: t.startswith("(3 "))
        choose(dash, "journal-status", "error")
        until(dash, lambda: len(css(dash, "#journal-rows tr.entry")) == 1, "status filter")
        choose(dash, "journal-status", "")
        by_id(dash, "journal-method").send_keys("employees")
        until(dash, lambda: len(css(dash, "#journal-rows tr.entry")) == 2, "method filter")
        by_id(dash, "journal-faulted").click()
        until(dash, lambda: len(css(dash, "#journal-rows tr.entry")) == 1, "faulted filter")
        assert "latency" in str(text_of(dash, "#journal-rows tr.entry"))
        assert control(pbx, "/journal")["total"] == 3
        by_id(dash, "journal-clear").click()
        wait_text(dash, "journal-count", lambda t: t.startswith("(0 "))
        assert control(pbx, "/journal")["total"] == 0


def _talking_call(pbx: MockPBXServer) -> dict[str, Any]:
    """Walk the frozen clock until a call is being talked (the default scenario has many)."""
    for _ in range(300):
        now = pbx.clock.now()
        for call in pbx.truth.calls(now - timedelta(hours=2), now + timedelta(seconds=1)):
            if call["state"] == "talking" and call["answered_by"] is not None:
                return call
        pbx.clock.advance(120)
    pytest.fail("no call in progress in 10 hours of the default scenario")


class TestLiveCalls:
    def test_live_call__shows_names_lines_and_a_ticking_duration(
        self, dash: Any, pbx: MockPBXServer
    ) -> None:
        call = _talking_call(pbx)
        directory = control(pbx, "/directory")
        name = next(e["name"] for e in directory["employees"] if e["id"] == call["answered_by"])
        leg = next(leg for leg in call["legs"] if leg["employee_id"] == call["answered_by"])
        login = next(s["login"] for s in directory["sip_lines"] if s["id"] == leg["sip_line_id"])
        row = f'tr[data-call="{call["id"]}"]'
        until(dash, lambda: text_of(dash, row + " td.answered"), "call not shown")
        assert text_of(dash, row + " td.answered") == f"{name} · {login}"
        assert "incoming in" not in str(text_of(dash, row))
        duration = text_of(dash, row + " td.for")
        pbx.clock.advance(5)  # the page reads the clock each second
        until(dash, lambda: text_of(dash, row + " td.for") != duration, "duration never moved")
        set_width(dash, PHONE)
        assert page_width(dash) <= PHONE


class TestUnreachable:
    def test_banner__shows_while_the_server_is_down_and_clears_itself(self, page: Any) -> None:
        with MockPBXServer(seed=1) as first:
            port = first.port
            page.get(first.url + "/_mockpbx/")
            wait_text(page, "scenario-name", lambda t: t not in ("", "…"))
        banner = by_id(page, "offline")
        until(page, banner.is_displayed, "no banner while the server is down")
        assert "unreachable" in banner.text
        assert "Failed to fetch" not in by_id(page, "message").text
        with MockPBXServer(seed=1, port=port):
            until(page, lambda: not banner.is_displayed(), "the banner stayed")
        logged = console_errors(page)
        assert all("ERR_CONNECTION_REFUSED" in line for line in logged)
