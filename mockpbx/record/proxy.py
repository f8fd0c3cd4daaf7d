"""`mockpbx record`: a reverse proxy between the user's client and the provider.

The client is pointed at the proxy instead of the provider; each request is
forwarded unchanged (credentials included) to `upstream` + the request's path
and query, the answer is sent back unchanged, and the exchange is queued for
the cassette (redacted and written off the event loop, see cassette.py).

Mango webhooks: with `events_to`, the proxy is also the URL Mango posts
events to (`<proxy>/events/...`, `<proxy>/result/...`); each post is relayed
to the integrator's receiver (`events_to` + the same path), its signature is
checked when the account's key and salt are given, and it is recorded with
`kind: "event"`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import sys
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from mockpbx.record.cassette import CassetteWriter
from mockpbx.record.exchange import Preparer, Raw

__all__ = ["ProxyConfig", "ProxyServer", "create_proxy_app"]

MAX_BODY = 64 * 1024 * 1024
_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "upgrade",
        "host",
        "content-length",
        "content-encoding",
        "proxy-connection",
    }
)


@dataclass(slots=True)
class ProxyConfig:
    face: str
    upstream: str
    out: Path
    redact: bool = True
    events_to: str | None = None  # Mango: the integrator's receiver base URL
    api_key: str | None = None  # Mango: to check event signatures (never written)
    api_salt: str | None = None
    timeout: float = 120.0
    redact_key: bytes | None = None  # tests: fixed pseudonyms (default: random, never written)


class _Proxy:
    def __init__(self, config: ProxyConfig) -> None:
        self.config = config
        self.writer = CassetteWriter(
            config.out,
            self._header(),
            prepare=Preparer(config.face, config.redact, config.redact_key),
            in_process=True,
        )
        self.session: ClientSession | None = None

    def _header(self) -> dict[str, Any]:
        up = urlsplit(self.config.upstream)
        return {
            "face": self.config.face,
            "upstream": urlunsplit((up.scheme, up.hostname or "", up.path, "", "")),
            "created": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "redacted": self.config.redact,
        }

    # -- the request path ----------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        is_event = self.config.events_to is not None and request.path.startswith(
            ("/events/", "/result/")
        )
        base = self.config.events_to if is_event else self.config.upstream
        assert base is not None
        target = base.rstrip("/") + (request.path if request.path != "/" else "")
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        started = time.perf_counter()
        try:
            status, headers, payload = await self._forward(request, target, body)
        except (ClientError, TimeoutError) as exc:
            print(f"mockpbx record: {target}: {exc!r}", file=sys.stderr)
            return web.json_response(
                {"error": "upstream_unreachable", "message": f"the proxy could not reach {base}"},
                status=502,
            )
        elapsed = (time.perf_counter() - started) * 1000
        self.writer.append(
            Raw(
                kind="event" if is_event else "api",
                at=at,
                method=request.method,
                path=request.path,
                query=dict(request.query),
                req_headers={str(k): v for k, v in request.headers.items()},
                req_body=body,
                status=status,
                resp_headers=headers,
                resp_body=payload,
                upstream_ms=round(elapsed, 3),
                signature=self._signature(body) if is_event else None,
            )
        )
        out = web.Response(status=status, body=payload)
        for name, value in headers.items():
            if name.lower() not in _HOP:
                out.headers[name] = value
        return out

    async def _forward(
        self, request: web.Request, target: str, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        assert self.session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        async with self.session.request(
            request.method,
            target,
            params=request.query,
            data=body or None,
            headers=headers,
            allow_redirects=False,
        ) as resp:
            payload = await resp.read()
            return resp.status, {str(k): v for k, v in resp.headers.items()}, payload

    def _signature(self, body: bytes) -> str:
        """Mango's event signature: sha256(api_key + json + api_salt), as posted."""
        key, salt = self.config.api_key, self.config.api_salt
        if not key or not salt:
            return "unchecked"
        form = dict(parse_qsl(body.decode("utf-8", "replace")))
        expected = hashlib.sha256(f"{key}{form.get('json', '')}{salt}".encode()).hexdigest()
        given = form.get("sign", "").strip().lower()
        ok = hmac.compare_digest(expected, given) and form.get("vpbx_api_key") == key
        if not ok:
            print("mockpbx record: an event with a wrong signature was relayed", file=sys.stderr)
        return "valid" if ok else "invalid"


PROXY = web.AppKey("record_proxy", _Proxy)


def create_proxy_app(config: ProxyConfig) -> web.Application:
    """The proxy as an aiohttp application (its cassette opens on startup, closes on cleanup)."""
    proxy = _Proxy(config)
    app = web.Application(client_max_size=MAX_BODY)
    app[PROXY] = proxy

    async def lifecycle(_app: web.Application) -> Any:
        proxy.session = ClientSession(
            timeout=ClientTimeout(total=config.timeout), auto_decompress=True
        )
        proxy.writer.start()
        yield
        await proxy.writer.close()
        await proxy.session.close()

    app.cleanup_ctx.append(lifecycle)
    app.router.add_route("*", "/{tail:.*}", proxy.handle)
    return app


class ProxyServer:
    """The proxy on a free loopback port in a background thread (tests, benchmarks)."""

    def __init__(self, config: ProxyConfig) -> None:
        self.config = config
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ProxyServer:
        ready: Future[None] = Future()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        ready.result(timeout=30)
        return self

    def _serve(self, ready: Future[None]) -> None:
        loop = self._loop = asyncio.new_event_loop()
        runner = web.AppRunner(create_proxy_app(self.config), handle_signals=False)
        try:
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
        except BaseException as exc:
            ready.set_exception(exc)
            return
        server: Any = site._server
        self.port = int(server.sockets[0].getsockname()[1])
        ready.set_result(None)
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    def __exit__(self, *exc: object) -> None:
        """Stop serving; the cassette is complete once this returns."""
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
