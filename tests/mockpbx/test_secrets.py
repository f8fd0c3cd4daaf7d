"""Secrets come from a per-server key, not the published seed; a fixed key makes them repeat."""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta
from typing import Any

import pytest

from mockpbx.app import create_state
from mockpbx.core.model import Call
from mockpbx.scenarios.model import Scenario
from mockpbx.state import Credentials, ServerState
from mockpbx.testing import DEFAULT_START, MockPBXServer


def _state(**kw: Any) -> ServerState:
    return create_state(seed=1, start=DEFAULT_START, **kw)


def _recorded(state: ServerState) -> Call:
    world = state.world
    start = world.day_start(world.today() - timedelta(days=1))
    return next(c for c in world.history(start, start + 86400) if c.has_recording)


def _secrets(state: ServerState) -> tuple[Any, ...]:
    c = state.credentials
    hash_ = state.world.recording_hash(_recorded(state))
    return (c.uis_access_token, c.uis_password, c.mango_api_key, c.mango_api_salt,
            c.clinic_key, hash_)  # fmt: skip


def _get(server: MockPBXServer, path: str) -> Any:
    with urllib.request.urlopen(server.url + path, timeout=30) as resp:
        return json.loads(resp.read())


def test_same_seed__different_secrets_by_default() -> None:
    """Two servers of one seed share no secret: not a credential, not a link hash."""
    a, b = _secrets(_state()), _secrets(_state())
    assert all(x != y for x, y in zip(a, b, strict=True))


def test_same_fixed_key__equal_secrets() -> None:
    assert _secrets(_state(secret_key="golden")) == _secrets(_state(secret_key="golden"))


def test_other_data__stays_determined_by_the_seed() -> None:
    """Ids, names, durations and history do not depend on the secret key."""
    a, b = _state(), _state()
    assert repr(_recorded(a)) == repr(_recorded(b))
    assert repr(a.world.directory.employees) == repr(b.world.directory.employees)


def test_seed__does_not_give_the_credentials() -> None:
    """What earlier versions derived from the seed no longer opens anything."""
    state = _state()
    assert state.credentials != Credentials.from_key(str(state.seed))


def test_fixed_key_equal_to_the_seed__gives_earlier_versions_secrets() -> None:
    """The golden runs pin secret_key="1" for seed 1 and keep their bytes."""
    assert (
        Credentials.from_key("1").uis_access_token
        == _state(secret_key="1").credentials.uis_access_token
    )


def test_scenario_key__is_used_and_an_explicit_key_wins() -> None:
    scenario = Scenario(secret_key="from-scenario")
    assert _state(scenario=scenario).credentials == Credentials.from_key("from-scenario")
    explicit = _state(scenario=scenario, secret_key="explicit")
    assert explicit.credentials == Credentials.from_key("explicit")


async def test_reset__keeps_the_servers_key() -> None:
    state = _state()
    before = _secrets(state)
    await state.reset(seed=1)
    assert _secrets(state) == before


def test_mango_file_tokens__come_from_the_key() -> None:
    from mockpbx.providers.mango.runtime import MangoRuntime

    assert MangoRuntime().new_token("a") != MangoRuntime().new_token("b")
    assert MangoRuntime().new_token("a") == MangoRuntime().new_token("a")


def test_two_servers_over_tcp__same_seed_different_credentials() -> None:
    """/_mockpbx/health publishes the seed; the credentials of two servers still differ."""
    with MockPBXServer(seed=5) as a, MockPBXServer(seed=5) as b:
        assert _get(a, "/_mockpbx/health")["seed"] == _get(b, "/_mockpbx/health")["seed"] == 5
        ca, cb = _get(a, "/_mockpbx/credentials"), _get(b, "/_mockpbx/credentials")
        assert ca["uis"]["access_token"] != cb["uis"]["access_token"]
        assert ca["mango"]["api_salt"] != cb["mango"]["api_salt"]
    with MockPBXServer(seed=5, secret_key="k") as a, MockPBXServer(seed=5, secret_key="k") as b:
        ca, cb = _get(a, "/_mockpbx/credentials"), _get(b, "/_mockpbx/credentials")
        assert ca["uis"]["access_token"] == cb["uis"]["access_token"]
        assert ca["mango"]["api_salt"] == cb["mango"]["api_salt"]


@pytest.mark.mockpbx(secret_key="marker-key")
def test_marker_secret_key__fixes_the_test_servers_secrets(mockpbx: MockPBXServer) -> None:
    assert mockpbx.credentials["clinic"]["key"] == Credentials.from_key("marker-key").clinic_key


def test_without_marker__the_session_server_has_its_own_random_key(
    mockpbx: MockPBXServer,
) -> None:
    assert mockpbx.credentials["clinic"]["key"] != Credentials.from_key("marker-key").clinic_key
    assert mockpbx.credentials["clinic"]["key"] != Credentials.from_key("1").clinic_key
