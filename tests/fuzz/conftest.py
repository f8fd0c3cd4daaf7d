"""Shared parts of the fuzz suite: a real server over TCP per module, bounded settings, shapes.

Every module starts its own `MockPBXServer` (options a fuzzer changes stay
in its module), sends generated requests with `requests`, and asserts the
invariant of issue 16: no 5xx and no traceback without an injected fault,
every refusal in the face's own shape. Hypothesis is derandomized (a fixed
seed, no example database) so CI sees the same requests on every run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, settings

from mockpbx.testing import MockPBXServer

TOKEN = "fuzz-control-token"

FUZZ = settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def pbx() -> Iterator[MockPBXServer]:
    """A real server on a free port (with a control token, as when exposed)."""
    with MockPBXServer(seed=1, control_token=TOKEN, secret_key="fuzz") as server:
        yield server


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def no_server_error(resp: Any, what: str) -> None:
    """The invariant every answer keeps: below 500, no Python traceback in it."""
    assert resp.status_code < 500, f"{what} -> {resp.status_code}: {resp.text[:300]}"
    assert "Traceback (most recent call last)" not in resp.text, what


def content_type(resp: Any) -> str:
    """The Content-Type of a `requests` or a Schemathesis response (lists of values)."""
    value = resp.headers.get("Content-Type") or resp.headers.get("content-type") or ""
    return str(value[0] if isinstance(value, list) else value)


def json_of(resp: Any, what: str) -> Any:
    ctype = content_type(resp)
    assert ctype.startswith("application/json"), (
        f"{what} -> {resp.status_code} {ctype}: {resp.text[:200]}"
    )
    return resp.json()


def clean(pbx: MockPBXServer) -> None:
    """Nothing blew up inside the server (ServerError with the traceback otherwise)."""
    pbx.check_errors()
