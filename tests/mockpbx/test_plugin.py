"""The pytest plugin: a real server over TCP, reset per test, server errors surface."""

from __future__ import annotations

import json
import urllib.request

import pytest

from mockpbx.testing import MockPBXServer, ServerError


def _get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


def test_fixture__serves_over_tcp(mockpbx: MockPBXServer) -> None:
    body = _get(f"{mockpbx.url}/_mockpbx/credentials")
    assert body == mockpbx.credentials


def test_fixture__clock_control_moves_the_server_clock(mockpbx: MockPBXServer) -> None:
    before = mockpbx.clock.now()
    mockpbx.clock.advance(60)
    now = _get(f"{mockpbx.url}/_mockpbx/clock")["now"]
    assert isinstance(now, str)
    assert (mockpbx.clock.now() - before).total_seconds() == 60


def test_fixture__is_reset_between_tests__first(mockpbx: MockPBXServer) -> None:
    mockpbx.clock.advance(86400)


def test_fixture__is_reset_between_tests__second(mockpbx: MockPBXServer) -> None:
    from mockpbx.testing import DEFAULT_START

    assert mockpbx.clock.now() == DEFAULT_START


@pytest.mark.mockpbx(seed=42)
def test_marker__sets_the_seed(mockpbx: MockPBXServer) -> None:
    assert mockpbx.call(lambda s: s.seed) == 42


def test_server_errors__are_raised_in_the_test(mockpbx_server: MockPBXServer) -> None:
    mockpbx_server.call(lambda s: s.record_error(RuntimeError("kaboom")))
    with pytest.raises(ServerError, match="kaboom"):
        mockpbx_server.check_errors()
