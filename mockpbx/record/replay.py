"""`mockpbx serve --replay CASSETTE`: recorded answers to recorded requests.

A request to a face that has a cassette is matched on (face, method,
normalized parameters): secrets and envelope ids are ignored and keys
sorted. Requests with the same key get the recorded answers in recorded order
(the last one repeats), so polling flows (a report that says "not ready"
twice, then answers) replay as they happened. When no exact match exists, a
request whose only difference is its time window matches the recorded request
with the same window lengths and the nearest start (a sync job's sliding
window asks for "the last hour" at another time); paging parameters always
match exactly. Anything else gets the provider's own "not found" error, or
with `fallback="world"` the mock's simulated world answers.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import orjson
from aiohttp import web

from mockpbx import keys
from mockpbx.record.cassette import Cassette, read_cassette
from mockpbx.record.faces import face_of_mock_path, method_of, params_of, parse_body

__all__ = ["Fallback", "Replay", "load_replay", "split_times"]

Fallback = Literal["not-found", "world"]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_TIME_KEYS = ("from", "to", "till", "date", "start", "end", "time")
_T = "<t>"


def _as_time(value: Any, key: str) -> float | None:
    """Epoch seconds of a value that is a point in time, else None."""
    if isinstance(value, str) and 10 <= len(value) <= 40 and value[:4].isdigit() and "-" in value:
        try:
            when = datetime.fromisoformat(value.replace(" ", "T", 1))
        except ValueError:
            return None
        return when.timestamp() if when.tzinfo else when.replace(tzinfo=None).timestamp()
    if isinstance(value, int) and not isinstance(value, bool) and 10**9 <= value < 4 * 10**9:
        return float(value) if any(k in key.lower() for k in _TIME_KEYS) else None
    return None


def split_times(params: Any) -> tuple[Any, list[float]]:
    """(params with every point in time replaced by a marker, those times in order)."""
    times: list[float] = []

    def walk(value: Any, key: str) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, str(k)) for k, v in sorted(value.items())}
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        t = _as_time(value, key)
        if t is None:
            return value
        times.append(t)
        return _T

    return walk(params, ""), times


def _key(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


class Replay:
    """The recorded answers of one or more cassettes (one per face)."""

    def __init__(self, cassettes: Iterable[Cassette], fallback: Fallback = "not-found") -> None:
        self.fallback = fallback
        self.faces: set[str] = set()
        self._exact: dict[tuple[str, str, bytes], list[dict[str, Any]]] = defaultdict(list)
        self._loose: dict[tuple[str, str, bytes], list[tuple[list[float], dict[str, Any]]]] = (
            defaultdict(list)
        )
        self._served: dict[tuple[str, str, bytes], int] = defaultdict(int)
        for cassette in cassettes:
            self.faces.add(cassette.face)
            for ex in cassette.api():
                self._add(cassette.face, ex)

    def _add(self, face: str, ex: dict[str, Any]) -> None:
        req = ex["request"]
        params = params_of(face, req.get("query") or {}, req.get("body"))
        self._exact[(face, ex["method"], _key(params))].append(ex)
        loose, times = split_times(params)
        if times:
            self._loose[(face, ex["method"], _key(loose))].append((times, ex))

    def match(self, face: str, method: str, params: Any) -> dict[str, Any] | None:
        """The recorded exchange that answers this request, if any."""
        key = (face, method, _key(params))
        found = self._exact.get(key)
        if found:
            n = self._served[key]
            self._served[key] = n + 1
            return found[min(n, len(found) - 1)]
        loose, times = split_times(params)
        candidates = self._loose.get((face, method, _key(loose)), [])
        fitting = [(t, ex) for t, ex in candidates if _same_lengths(t, times)]
        if not fitting:
            return None
        return min(fitting, key=lambda c: abs(c[0][0] - times[0]))[1]

    async def handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Answer from the cassettes, else the fallback (the mock's own handlers answer
        everything that is not a recorded face)."""
        where = face_of_mock_path(request.path)
        if where is None or where[0] not in self.faces:
            return await handler(request)
        face, rel = where
        _kind, body = parse_body(request.content_type, await request.read())
        method = method_of(face, rel, body)
        request[keys.FACE], request[keys.METHOD] = face.split("-")[0], method
        ex = self.match(face, method, params_of(face, dict(request.query), body))
        if ex is not None:
            return render(ex, body)
        if self.fallback == "world":
            return await handler(request)
        return not_found(face, method, body)


def _same_lengths(a: list[float], b: list[float]) -> bool:
    if len(a) != len(b):
        return False
    return all(abs((a[i] - a[0]) - (b[i] - b[0])) < 1 for i in range(1, len(a)))


def render(ex: dict[str, Any], request_body: Any) -> web.Response:
    """The recorded response (a JSON-RPC reply carries the id of the request it answers)."""
    resp = ex["response"]
    headers = dict(resp.get("headers") or {})
    kind, body = resp.get("body_kind"), resp.get("body")
    if kind == "json":
        if isinstance(body, dict) and "jsonrpc" in body and isinstance(request_body, dict):
            body = {**body, "id": request_body.get("id")}
        payload = orjson.dumps(body)
    elif kind == "text":
        payload = str(body).encode()
    elif kind == "base64":
        payload = base64.b64decode(body)
    else:
        payload = b""
    return web.Response(status=int(resp["status"]), body=payload, headers=headers)


def not_found(face: str, method: str, body: Any) -> web.Response:
    """The provider's own answer to a request it does not know."""
    text = f"no recorded answer for {method} with these parameters"
    if face.startswith("uis"):
        rpc_id = body.get("id") if isinstance(body, dict) else None
        error = {
            "code": -32601,
            "message": "The method does not exist / is not available",
            "data": {"mnemonic": "method_not_found", "field": "method", "value": method},
        }
        return web.json_response({"jsonrpc": "2.0", "id": rpc_id, "error": error})
    if face == "mango":
        return web.json_response({"result": 4001, "message": text}, status=404)
    return web.json_response({"error": "not_found", "message": text}, status=404)


def load_replay(paths: Iterable[str | Path], fallback: Fallback = "not-found") -> Replay:
    """A Replay over cassette files (CassetteError names a file that cannot be read)."""
    return Replay([read_cassette(Path(p)) for p in paths], fallback)
