"""Size limits of every face over TCP: refused in the face's own shape, not aiohttp's page."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from mockpbx.app import create_app, create_state
from mockpbx.limits import MAX_BODY, MAX_QUERY
from mockpbx.state import STATE
from mockpbx.testing import DEFAULT_START

ClientFactory = Callable[..., Awaitable[TestClient]]  # type: ignore[type-arg]
BIG = b"x" * (MAX_BODY + 1)
LONG_QUERY = {"q": "y" * (MAX_QUERY + 1)}


@pytest.fixture
async def client(aiohttp_client: ClientFactory) -> TestClient:  # type: ignore[type-arg]
    return await aiohttp_client(create_app(create_state(seed=1, start=DEFAULT_START)))


async def _chunks() -> AsyncIterator[bytes]:
    """A body without Content-Length (chunked), over the limit."""
    for _ in range(MAX_BODY // 65536 + 2):
        yield b" " * 65536


def _check_uis(body: Any) -> None:
    assert body["jsonrpc"] == "2.0"
    assert body["id"] is None
    assert body["error"]["code"] == -32600
    assert body["error"]["data"]["mnemonic"] == "invalid_request"


def _check_mango(body: Any) -> None:
    assert body["result"] == 3109
    assert body["message"]


def _check_clinic(body: Any) -> None:
    assert body["error"] in ("payload_too_large", "uri_too_long")
    assert body["message"]


def _check_control(body: Any) -> None:
    assert body["field"] in ("body", "query")
    assert body["error"]


FACES = {
    "uis": ("/uis/dataapi/v2.0", _check_uis),
    "mango": ("/mango/vpbx/incominglines", _check_mango),
    "mango-root": ("/vpbx/incominglines", _check_mango),
    "clinic": ("/clinic/v1/GetFinishedCalls", _check_clinic),
    "control": ("/_mockpbx/clock", _check_control),
}


@pytest.mark.parametrize("face", sorted(FACES))
async def test_declared_body_over_the_limit__is_413_in_the_face_shape(
    client: TestClient,  # type: ignore[type-arg]
    face: str,
) -> None:
    path, check = FACES[face]
    resp = await client.post(
        path, data=io.BytesIO(BIG), headers={"Content-Type": "application/json"}
    )
    assert resp.status == 413
    assert resp.content_type == "application/json"
    check(await resp.json())


@pytest.mark.parametrize("face", sorted(FACES))
async def test_chunked_body_over_the_limit__is_413_in_the_face_shape(
    client: TestClient,  # type: ignore[type-arg]
    face: str,
) -> None:
    path, check = FACES[face]
    resp = await client.post(path, data=_chunks(), headers={"Content-Type": "application/json"})
    assert resp.status == 413
    check(await resp.json())


async def test_multipart_mango_form_over_the_limit__is_413_3109(client: TestClient) -> None:  # type: ignore[type-arg]
    form = FormData()
    form.add_field("vpbx_api_key", "k")
    form.add_field("sign", "s")
    form.add_field("json", io.BytesIO(BIG), filename="json")
    resp = await client.post("/mango/vpbx/incominglines", data=form)
    assert resp.status == 413
    _check_mango(await resp.json())


@pytest.mark.parametrize("face", sorted(FACES))
async def test_query_over_the_limit__is_414_in_the_face_shape(
    client: TestClient,  # type: ignore[type-arg]
    face: str,
) -> None:
    path, check = FACES[face]
    resp = await client.get(path, params=LONG_QUERY)
    assert resp.status == 414
    check(await resp.json())


async def test_body_at_the_limit__reaches_the_face(client: TestClient) -> None:  # type: ignore[type-arg]
    """Exactly MAX_BODY bytes is allowed: the face parses it (here: not JSON, -32700)."""
    resp = await client.post("/uis/dataapi/v2.0", data=io.BytesIO(b"x" * MAX_BODY))
    body = await resp.json()
    assert body["error"]["code"] == -32700


async def test_refusals__are_journaled_under_their_face(client: TestClient) -> None:  # type: ignore[type-arg]
    await client.post("/clinic/v1/GetFinishedCalls", data=io.BytesIO(BIG))
    state = client.server.app[STATE]
    (entry,) = state.journal.entries(face="clinic")
    assert (entry.status, entry.error) == (413, f"the request body is over {MAX_BODY} bytes")
