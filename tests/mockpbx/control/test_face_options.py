"""/_mockpbx/{face}/options: one option and reset semantics, checked for every registered face.

A fourth face added to `mockpbx.providers.registry` is checked here without a new test:
the option each case changes is the face's first (and second) boolean option.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from mockpbx.app import create_app, create_state
from mockpbx.providers.base import FaceOptions
from mockpbx.providers.registry import FACE_IDS, FACE_OPTIONS, options_of
from mockpbx.state import ServerState
from mockpbx.testing import DEFAULT_START
from tests.mockpbx.conftest import ClientFactory

FACES = sorted(FACE_OPTIONS)


def _flags(spec: FaceOptions[Any]) -> list[str]:
    """The face's boolean options, in the model's order (every face has at least two)."""
    return [name for name, info in spec.model.model_fields.items() if info.annotation is bool]


def _defaults(spec: FaceOptions[Any]) -> dict[str, Any]:
    return spec.model().model_dump(mode="json")


async def _get(client: TestClient, face: str) -> Any:  # type: ignore[type-arg]
    response = await client.get(f"/_mockpbx/{face}/options")
    assert response.status == 200
    return await response.json()


async def _post(client: TestClient, face: str, body: Any) -> tuple[int, Any]:  # type: ignore[type-arg]
    response = await client.post(f"/_mockpbx/{face}/options", json=body)
    return response.status, await response.json()


@pytest.fixture(params=FACES)
def face(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_registry__names_the_faces_the_app_mounts() -> None:
    """Every sub-app but the control plane is a face with registered options and call
    namer (the truth's ids), and back."""
    app = create_app(create_state(seed=1, start=DEFAULT_START))
    mounted = {
        resource.canonical.strip("/")
        for resource in app.router.resources()
        if isinstance(resource, web.PrefixedSubAppResource)
    }
    assert mounted - {"_mockpbx"} == set(FACE_OPTIONS) == set(FACE_IDS)


async def test_get__answers_the_defaults(client: TestClient, face: str) -> None:  # type: ignore[type-arg]
    assert await _get(client, face) == _defaults(FACE_OPTIONS[face])


async def test_post__merges_a_partial_body(
    client: TestClient,  # type: ignore[type-arg]
    state: ServerState,
    face: str,
) -> None:
    """Only the given option changes; the face reads the new value at once."""
    spec = FACE_OPTIONS[face]
    name = _flags(spec)[0]
    before = await _get(client, face)
    status, body = await _post(client, face, {name: not before[name]})
    assert status == 200
    assert body == {**before, name: not before[name]}
    assert await _get(client, face) == body
    assert getattr(options_of(state, face), name) is (not before[name])


async def test_post__unknown_key_is_400_naming_it(client: TestClient, face: str) -> None:  # type: ignore[type-arg]
    before = await _get(client, face)
    status, body = await _post(client, face, {"no_such_option": 1})
    assert status == 400
    assert body["field"] == "no_such_option"
    assert "no_such_option" in body["error"]
    assert await _get(client, face) == before  # nothing changed


async def test_post__bad_value_is_400_naming_the_field(client: TestClient, face: str) -> None:  # type: ignore[type-arg]
    """A bad value refuses the whole body: the good option beside it is not applied."""
    first, second = _flags(FACE_OPTIONS[face])[:2]
    before = await _get(client, face)
    status, body = await _post(client, face, {first: not before[first], second: {"a": 1}})
    assert status == 400
    assert body["field"] == second
    assert await _get(client, face) == before


async def test_unknown_face__is_404_in_control_json(client: TestClient) -> None:  # type: ignore[type-arg]
    for method in ("GET", "POST"):
        response = await client.request(method, "/_mockpbx/nope/options", json={})
        assert response.status == 404
        body = await response.json()
        assert body["field"] == "face"
        assert "nope" in body["error"]


async def test_reset__restores_the_baseline_set_at_server_start(
    aiohttp_client: ClientFactory, face: str
) -> None:
    """Options given before the app is built (serve flags, `configure`) are the baseline:
    a reset undoes what the control plane changed since, and keeps the baseline."""
    spec = FACE_OPTIONS[face]
    at_start, later = _flags(spec)[:2]
    state = create_state(seed=1, start=DEFAULT_START)
    started = not _defaults(spec)[at_start]
    state.options[face] = {at_start: started}  # a plain dict, as `mockpbx serve` sets one
    client = await aiohttp_client(create_app(state))
    baseline = await _get(client, face)
    assert baseline == {**_defaults(spec), at_start: started}
    await _post(client, face, {at_start: not started, later: not baseline[later]})
    assert (await client.post("/_mockpbx/reset")).status == 200
    assert await _get(client, face) == baseline


async def test_reset__restores_options_set_directly_on_the_state(
    client: TestClient,  # type: ignore[type-arg]
    state: ServerState,
    face: str,
) -> None:
    """Options a test sets on the state after start are undone by a reset too
    (`ServerState.reset`: what the pytest `mockpbx` fixture and `load_scenario` run)."""
    spec = FACE_OPTIONS[face]
    name = _flags(spec)[0]
    state.options[face] = spec.model(**{name: not _defaults(spec)[name]})
    assert (await _get(client, face))[name] is not _defaults(spec)[name]
    await state.reset()
    assert await _get(client, face) == _defaults(spec)
