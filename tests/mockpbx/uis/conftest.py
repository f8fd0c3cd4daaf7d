"""Fixtures for the UIS face: the app through aiohttp's test client, and JSON-RPC helpers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient
from uis_helpers import CALL, DATA, Rpc

from mockpbx.app import create_app, create_state
from mockpbx.state import ServerState
from mockpbx.testing import DEFAULT_START

ClientFactory = Callable[..., Awaitable[TestClient]]  # type: ignore[type-arg]


@pytest.fixture
def state() -> ServerState:
    return create_state(seed=1, start=DEFAULT_START, rate=0)


@pytest.fixture
async def client(aiohttp_client: ClientFactory, state: ServerState) -> TestClient:  # type: ignore[type-arg]
    return await aiohttp_client(create_app(state))


@pytest.fixture
def data(client: TestClient, state: ServerState) -> Rpc:  # type: ignore[type-arg]
    return Rpc(client, DATA, state.credentials.uis_access_token)


@pytest.fixture
def call(client: TestClient, state: ServerState) -> Rpc:  # type: ignore[type-arg]
    return Rpc(client, CALL, state.credentials.uis_access_token)
