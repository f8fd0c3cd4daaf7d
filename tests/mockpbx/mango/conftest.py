"""Fixtures for the Mango face: a signed-post client over aiohttp_client, and an event receiver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient, TestServer

from mockpbx.app import create_app, create_state
from mockpbx.providers.mango.signing import sign
from mockpbx.state import ServerState
from mockpbx.testing import DEFAULT_START

ClientFactory = Callable[..., Awaitable[TestClient]]  # type: ignore[type-arg]


@dataclass
class MangoClient:
    """Posts signed requests like an integrator would."""

    http: TestClient  # type: ignore[type-arg]
    state: ServerState

    @property
    def key(self) -> str:
        return self.state.credentials.mango_api_key

    @property
    def salt(self) -> str:
        return self.state.credentials.mango_api_salt

    def form(self, params: dict[str, Any] | str) -> dict[str, str]:
        text = params if isinstance(params, str) else orjson.dumps(params).decode()
        return {"vpbx_api_key": self.key, "sign": sign(self.key, text, self.salt), "json": text}

    async def post(self, method: str, params: dict[str, Any] | str | None = None, **kw: Any) -> Any:
        return await self.http.post(f"/mango/vpbx/{method}", data=self.form(params or {}), **kw)

    async def post_multipart(self, method: str, params: dict[str, Any]) -> Any:
        data = FormData()
        for name, value in self.form(params).items():
            data.add_field(name, value)
        return await self.http.post(f"/mango/vpbx/{method}", data=data)

    async def json(self, method: str, params: dict[str, Any] | None = None) -> Any:
        resp = await self.post(method, params)
        assert resp.status == 200, await resp.text()
        return await resp.json()

    def advance(self, seconds: float) -> None:
        self.state.world.clock.advance(seconds)


@pytest.fixture
def state() -> ServerState:
    return create_state(seed=1, start=DEFAULT_START, rate=0)


@pytest.fixture
async def mango(aiohttp_client: ClientFactory, state: ServerState) -> MangoClient:
    return MangoClient(await aiohttp_client(create_app(state)), state)


@dataclass
class Receiver:
    """A real aiohttp server standing in for the integrator; checks every signature."""

    key: str
    salt: str
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0  # real seconds before answering (a slow receiver)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        form = await request.post()
        text = str(form.get("json", ""))
        if form.get("vpbx_api_key") != self.key or form.get("sign") != sign(
            self.key, text, self.salt
        ):
            self.bad.append(request.match_info["path"])
            return web.json_response({"result": 3102}, status=401)
        self.posts.append((request.match_info["path"], orjson.loads(text)))
        self.arrived.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.json_response({"result": 1000}, status=self.status)

    def of(self, path: str) -> list[dict[str, Any]]:
        return [p for name, p in self.posts if name == path]

    async def wait_for(self, predicate: Callable[[], bool], seconds: float = 5.0) -> None:
        async with asyncio.timeout(seconds):
            while not predicate():
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def receiver(state: ServerState) -> AsyncIterator[Receiver]:
    creds = state.credentials
    rec = Receiver(creds.mango_api_key, creds.mango_api_salt)
    app = web.Application()
    app.router.add_post("/hook/{path:.+}", rec.handle)
    server = TestServer(app)
    await server.start_server()
    rec.url = str(server.make_url("/hook/"))
    yield rec
    await server.close()


async def until(predicate: Callable[[], bool], seconds: float = 5.0) -> None:
    """Poll `predicate` on the loop (the dispatcher works in the background)."""
    async with asyncio.timeout(seconds):
        while not predicate():  # noqa: ASYNC110 - the journal has no event to wait on
            await asyncio.sleep(0.005)


def sent(state: ServerState, method: str | None = None) -> list[Any]:
    """Journal entries of deliveries the mock attempted (direction out)."""
    return [e for e in state.journal.entries(face="mango", method=method) if e.direction == "out"]
