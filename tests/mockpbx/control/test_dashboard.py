"""The dashboard at /_mockpbx/: served as HTML, self-contained, and in step with the API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from mockpbx.control.dashboard import render_dashboard
from mockpbx.control.routes import create_control
from mockpbx.core.calls import MAX_CALL_SECONDS
from mockpbx.scenarios.model import FAULT_KINDS
from mockpbx.state import ServerState

Client = TestClient  # type: ignore[type-arg]

PATHS = ["/_mockpbx/", "/_mockpbx/dashboard"]
SECTIONS = ["summary", "credentials", "clock", "actions", "live", "faults", "journal"]
LIVE_STATES = {"appeared", "ringing", "talking"}
# every call the page's JavaScript makes: api("/_mockpbx/...", {method: "POST", ...}), GET if
# no method follows on the same line
API_CALL = re.compile(r'api\("(/_mockpbx/[^"]*)"(?:[^;\n]*?\{method: "([A-Z]+)")?')
ANY_CONTROL_PATH = re.compile(r"/_mockpbx/[A-Za-z0-9_./{}-]*")


@pytest.fixture(scope="module")
def page() -> str:
    return render_dashboard()


def _routes(state: ServerState) -> set[tuple[str, str]]:
    """(method, path) of every route of the control app, paths as the page writes them."""
    app = create_control(state)
    return {
        (r.method, "/_mockpbx" + r.resource.canonical)
        for r in app.router.routes()
        if r.resource is not None
    }


def _api_calls(page: str) -> set[tuple[str, str]]:
    return {(method or "GET", path.split("?", 1)[0]) for path, method in API_CALL.findall(page)}


class TestServed:
    @pytest.mark.parametrize("path", PATHS)
    async def test_get__answers_html(self, client: Client, path: str) -> None:
        resp = await client.get(path)
        assert resp.status == 200
        assert resp.content_type == "text/html"
        assert "<title>mockpbx dashboard</title>" in await resp.text()

    @pytest.mark.parametrize("path", PATHS)
    async def test_get__forbids_other_hosts_by_csp(self, client: Client, path: str) -> None:
        csp = (await client.get(path)).headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp
        assert "connect-src 'self'" in csp

    async def test_bare_prefix__redirects_to_the_page(self, client: Client) -> None:
        resp = await client.get("/_mockpbx", allow_redirects=False)
        assert (resp.status, resp.headers["Location"]) == (302, "/_mockpbx/")

    async def test_both_paths__serve_the_same_page(self, client: Client) -> None:
        first, second = [await (await client.get(p)).text() for p in PATHS]
        assert first == second

    async def test_openapi__lists_the_dashboard_as_html(self, client: Client) -> None:
        paths = (await (await client.get("/_mockpbx/openapi.json")).json())["paths"]
        for path in PATHS:
            assert "text/html" in paths[path]["get"]["responses"]["200"]["content"]


class TestContent:
    @pytest.mark.parametrize("section", SECTIONS)
    def test_has_section(self, page: str, section: str) -> None:
        assert re.search(rf'<(section|header|details)[^>]* id="{section}"', page)

    def test_fault_form__offers_every_fault_kind(self, page: str) -> None:
        offered = re.findall(r'<option value="([a-z_]+)">\1</option>', page)
        assert set(FAULT_KINDS) <= set(offered)

    def test_live_window__is_the_longest_call(self, page: str) -> None:
        assert f'data-window="{MAX_CALL_SECONDS}"' in page

    def test_noscript__says_the_page_needs_javascript(self, page: str) -> None:
        note = re.search(r"<noscript>(.*?)</noscript>", page, re.S)
        assert note is not None
        assert "JavaScript" in note.group(1)

    def test_every_request__goes_through_one_helper(self, page: str) -> None:
        """One `api()` makes every fetch, so headers (e.g. a control token) live in one place."""
        assert page.count("fetch(") == 1
        assert "async function api(path, options)" in page

    def test_template__left_no_jinja_syntax(self, page: str) -> None:
        assert not re.search(r"\{\{|\{%|\{#", page)

    def test_script__never_writes_markup_from_data(self, page: str) -> None:
        """Server data goes in with textContent only: no HTML parsing of strings at all."""
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in page


class TestSelfContained:
    def test_no_external_urls(self, page: str) -> None:
        assert re.findall(r"(?i)(?:https?:)?//[a-z0-9-]+\.[a-z0-9.-]+", page) == []

    def test_no_external_assets(self, page: str) -> None:
        """The one <link> is the favicon, inline as a data: URL."""
        links = re.findall(r"<link[^>]*>", page)
        assert len(links) == 1
        assert 'rel="icon"' in links[0]
        assert 'href="data:image/png;base64,' in links[0]
        for marker in (" src=", "@import", "url("):
            assert marker not in page


class TestInStepWithTheApi:
    def test_page__calls_the_endpoints_it_promises(self, page: str) -> None:
        expected = {
            ("GET", "/_mockpbx/clock"),
            ("POST", "/_mockpbx/clock"),
            ("GET", "/_mockpbx/credentials"),
            ("GET", "/_mockpbx/scenarios"),
            ("POST", "/_mockpbx/scenario"),
            ("POST", "/_mockpbx/reset"),
            ("GET", "/_mockpbx/truth/calls"),
            ("GET", "/_mockpbx/faults"),
            ("POST", "/_mockpbx/faults"),
            ("DELETE", "/_mockpbx/faults"),
            ("DELETE", "/_mockpbx/faults/{id}"),
            ("GET", "/_mockpbx/journal"),
            ("DELETE", "/_mockpbx/journal"),
            ("GET", "/_mockpbx/health"),
            ("GET", "/_mockpbx/scenario"),
            ("GET", "/_mockpbx/directory"),
            ("GET", "/_mockpbx/faults/methods"),
        }
        assert expected <= _api_calls(page)

    def test_every_api_call__is_a_route(self, page: str, state: ServerState) -> None:
        assert _api_calls(page) - _routes(state) == set()

    def test_every_control_path__is_a_route(self, page: str, state: ServerState) -> None:
        """Links and calls alike: no /_mockpbx/ path in the page that the server lacks."""
        known = {path for _, path in _routes(state)}
        mentioned = set(ANY_CONTROL_PATH.findall(page))
        assert mentioned
        assert mentioned - known == set()

    async def test_every_get_call__answers_json(self, client: Client, page: str) -> None:
        gets = sorted(path for method, path in _api_calls(page) if method == "GET")
        assert gets
        for path in gets:
            resp = await client.get(path)
            assert (path, resp.status) == (path, 200)
            assert isinstance(await resp.json(), dict)

    async def test_every_link__answers(self, client: Client, page: str) -> None:
        for href in set(re.findall(r'href="(/_mockpbx/[^"]*)"', page)):
            assert ((await client.get(href)).status, href) == (200, href)


async def _truth(client: Client, query: str) -> list[dict[str, Any]]:
    resp = await client.get(f"/_mockpbx/truth/calls?{query}")
    assert resp.status == 200
    calls: list[dict[str, Any]] = (await resp.json())["calls"]
    return calls


async def test_live_query__finds_the_calls_in_progress(client: Client) -> None:
    """The page's live-calls query (now minus the longest call, in UTC) sees every live call."""
    for _ in range(200):  # walk the clock in 5-minute steps until a call is in progress
        now = datetime.fromisoformat((await (await client.get("/_mockpbx/clock")).json())["now"])
        today = await _truth(client, f"from={(now - timedelta(days=1)).date().isoformat()}")
        live = {c["id"] for c in today if c["state"] in LIVE_STATES}
        if live:
            break
        await client.post("/_mockpbx/clock", json={"advance_seconds": 300})
    else:
        pytest.fail("no live call in 1000 minutes of the default scenario")
    since = (now - timedelta(seconds=MAX_CALL_SECONDS)).astimezone(UTC)
    query = "from=" + since.strftime("%Y-%m-%dT%H:%M:%S") + "%2B00:00"
    seen = {c["id"] for c in await _truth(client, query) if c["state"] in LIVE_STATES}
    assert seen == live
