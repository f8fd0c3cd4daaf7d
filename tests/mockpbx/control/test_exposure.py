"""Doors: the control token over TCP, `serve`'s bind checks, and webhook targets (no open relay)."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from click.testing import CliRunner

from mockpbx import cli
from mockpbx.app import create_app
from mockpbx.control.mango import host_allowed
from mockpbx.state import STATE, Credentials, ServerState
from mockpbx.testing import MockPBXServer

TOKEN = "s3cret-token"
PUBLIC = {("GET", "/_mockpbx/health"), ("GET", "/_mockpbx/"), ("GET", "/_mockpbx/dashboard"),
          ("GET", "/_mockpbx"), ("GET", "/_mockpbx/openapi.json")}  # fmt: skip


@pytest.fixture(scope="module")
def guarded() -> Iterator[MockPBXServer]:
    with MockPBXServer(control_token=TOKEN) as server:
        yield server


def _request(
    server: MockPBXServer, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes, dict[str, str]]:
    data = b"{}" if method in ("POST", "PUT", "PATCH") else None
    req = urllib.request.Request(server.url + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def _control_routes(state: ServerState) -> list[tuple[str, str]]:
    """(method, path) of every /_mockpbx/ route, path parameters filled in."""
    app = create_app(state)
    control = next(
        r._app  # type: ignore[attr-defined]
        for r in app.router.resources()
        if isinstance(r, web.PrefixedSubAppResource) and r.canonical == "/_mockpbx"
    )
    out = []
    for route in control.router.routes():
        if route.method == "HEAD":
            continue
        path = re.sub(r"\{[^}]+\}", "1", route.resource.canonical if route.resource else "")
        out.append((route.method, "/_mockpbx" + path))
    return sorted(set(out))


def test_every_control_endpoint__needs_the_token(guarded: MockPBXServer) -> None:
    """Reset, faults, scenario, seed, clock, credentials, errors, journal, truth, options..."""
    routes = _control_routes(guarded.state)  # type: ignore[arg-type]
    assert len(routes) > 25
    for method, path in routes:
        if (method, path) in PUBLIC:
            continue
        status, body, headers = _request(guarded, method, path)
        assert status == 401, (method, path, status)
        assert b'"field": "Authorization"' in body or b'"field":"Authorization"' in body
        assert headers["WWW-Authenticate"].startswith("Bearer")


def test_with_the_token__endpoints_answer(guarded: MockPBXServer) -> None:
    auth = guarded.control_headers
    assert auth == {"Authorization": f"Bearer {TOKEN}"}
    for method, path in [("GET", "/_mockpbx/credentials"), ("GET", "/_mockpbx/errors"),
                         ("GET", "/_mockpbx/journal"), ("POST", "/_mockpbx/reset")]:  # fmt: skip
        status, _, _ = _request(guarded, method, path, auth)
        assert status == 200, (method, path)


@pytest.mark.parametrize(
    "header",
    [f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer ", f"Bearer {TOKEN[:-1]}", "Bearer ³"],
)
def test_wrong_token__is_401(guarded: MockPBXServer, header: str) -> None:
    status, _, _ = _request(guarded, "GET", "/_mockpbx/credentials", {"Authorization": header})
    assert status == 401


@pytest.mark.parametrize(("method", "path"), sorted(PUBLIC))
def test_health_dashboard_and_openapi__stay_public(
    guarded: MockPBXServer, method: str, path: str
) -> None:
    status, body, _ = _request(guarded, method, path)
    assert status == 200
    assert TOKEN.encode() not in body


def test_dashboard__sends_the_token_from_the_fragment(guarded: MockPBXServer) -> None:
    _, page, _ = _request(guarded, "GET", "/_mockpbx/")
    text = page.decode()
    assert "sessionStorage" in text
    assert '"Authorization"' in text
    assert "token=" in text


def test_faces__do_not_need_the_control_token(guarded: MockPBXServer) -> None:
    status, _, _ = _request(guarded, "GET", "/clinic/v1/GetOngoingCalls")
    assert status == 401  # the clinic's own key, not the control token
    key = {"IDENT-Integration-Key": guarded.credentials["clinic"]["key"]}
    assert _request(guarded, "GET", "/clinic/v1/GetOngoingCalls", key)[0] == 200


def test_without_a_token__loopback_server_is_open() -> None:
    with MockPBXServer() as server:
        assert _request(server, "GET", "/_mockpbx/credentials")[0] == 200


# -- serve ---------------------------------------------------------------------------------
@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    got: dict[str, Any] = {}

    def fake_run_app(app: Any, **kwargs: Any) -> None:
        got["state"], got["host"] = app[STATE], kwargs.get("host")

    monkeypatch.setattr(cli.web, "run_app", fake_run_app)
    monkeypatch.delenv("MOCKPBX_CONTROL_TOKEN", raising=False)
    monkeypatch.delenv("MOCKPBX_SECRET_KEY", raising=False)
    return got


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "pbx.example"])
def test_serve_beyond_loopback__without_a_token_exits_2(served: dict[str, Any], host: str) -> None:
    result = CliRunner().invoke(cli.main, ["serve", "--port", "0", "--host", host])
    assert result.exit_code == 2
    assert "--control-token" in result.output
    assert "--insecure-control" in result.output
    assert "state" not in served


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_serve_on_loopback__needs_no_token(served: dict[str, Any], host: str) -> None:
    result = CliRunner().invoke(cli.main, ["serve", "--port", "0", "--host", host])
    assert result.exit_code == 0, result.output
    assert served["state"].control_token is None


def test_serve_with_a_token__guards_the_control_plane(served: dict[str, Any]) -> None:
    args = ["serve", "--port", "0", "--host", "0.0.0.0", "--control-token", TOKEN]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 0, result.output
    assert served["state"].control_token == TOKEN
    assert served["state"].insecure_control is False


def test_serve_token__from_the_environment(served: dict[str, Any]) -> None:
    args = ["serve", "--port", "0", "--host", "0.0.0.0"]
    result = CliRunner().invoke(cli.main, args, env={"MOCKPBX_CONTROL_TOKEN": "from-env"})
    assert result.exit_code == 0, result.output
    assert served["state"].control_token == "from-env"


def test_serve_insecure_control__warns(served: dict[str, Any]) -> None:
    args = ["serve", "--port", "0", "--host", "0.0.0.0", "--insecure-control"]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 0, result.output
    assert "WARNING: --insecure-control" in result.output
    assert served["state"].insecure_control is True


def test_serve_secret_key__fixes_the_credentials(served: dict[str, Any]) -> None:
    result = CliRunner().invoke(cli.main, ["serve", "--port", "0", "--secret-key", "golden"])
    assert result.exit_code == 0, result.output
    assert served["state"].credentials == Credentials.from_key("golden")
    CliRunner().invoke(cli.main, ["serve", "--port", "0"], env={"MOCKPBX_SECRET_KEY": "env-key"})
    assert served["state"].credentials == Credentials.from_key("env-key")


def test_serve_webhook_allow__adds_hosts(served: dict[str, Any]) -> None:
    args = ["serve", "--port", "0", "--webhook-allow", "adapter", "--webhook-allow", "10.0.0.0/8"]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 0, result.output
    assert {"adapter", "10.0.0.0/8", "127.0.0.0/8"} <= set(served["state"].webhook_allow)


# -- webhook targets -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("host", "allowed"),
    [("127.0.0.1", True), ("127.9.9.9", True), ("localhost", True), ("LOCALHOST", True),
     ("::1", True), ("example.com", False), ("10.0.0.1", False), ("169.254.169.254", False),
     ("0.0.0.0", False), ("localhost.example.com", False)],
)  # fmt: skip
def test_default_allow_list__is_loopback_only(host: str, allowed: bool) -> None:
    assert host_allowed(host, ("localhost", "127.0.0.0/8", "::1")) is allowed


async def test_webhook_to_another_host__is_refused(client: TestClient) -> None:  # type: ignore[type-arg]
    """No open relay: the mock will not post events to an arbitrary host."""
    for url in ("http://example.com/hook/", "http://169.254.169.254/", "gopher://127.0.0.1/"):
        resp = await client.post("/_mockpbx/mango/webhook", json={"url": url})
        assert resp.status == 400, url
        assert (await resp.json())["field"] == "url"
    ok = await client.post("/_mockpbx/mango/webhook", json={"url": "http://127.0.0.1:9/h/"})
    assert ok.status == 200


async def test_webhook_option_and_scenario__are_checked_too(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await client.post("/_mockpbx/mango/options", json={"webhook_url": "http://evil.test/"})
    assert resp.status == 400
    assert (await resp.json())["field"] == "webhook_url"
    scenario = {"scenario": {"mango_webhook": "http://evil.test/hook/"}}
    resp = await client.post("/_mockpbx/scenario", json=scenario)
    assert resp.status == 400
    assert (await resp.json())["field"] == "mango_webhook"


async def test_insecure_control__allows_any_http_target(
    client: TestClient,  # type: ignore[type-arg]
    state: ServerState,
) -> None:
    state.insecure_control = True
    resp = await client.post("/_mockpbx/mango/webhook", json={"url": "http://example.com/h/"})
    assert resp.status == 200
    resp = await client.post("/_mockpbx/mango/webhook", json={"url": "ftp://example.com/"})
    assert resp.status == 400


async def test_allow_list__admits_a_named_host(client: TestClient, state: ServerState) -> None:  # type: ignore[type-arg]
    state.webhook_allow = (*state.webhook_allow, "adapter")
    resp = await client.post("/_mockpbx/mango/webhook", json={"url": "http://adapter:8000/h/"})
    assert resp.status == 200
