"""The cassette: an open, line-oriented record of one face's traffic (JSON Lines, UTF-8).

Line 1 is the header, every further line one exchange, appended (written,
flushed and fsync'd) as it completes, so a crash loses at most the exchange
in flight:

    {"mockpbx_cassette": 1, "face": "clinic", "upstream": "https://clinic.example/api/v1",
     "created": "2026-05-14T07:30:00+00:00", "redacted": true}
    {"seq": 1, "at": "2026-05-14T07:30:01.250+00:00", "face": "clinic",
     "method": "GetFinishedCalls", "kind": "api",
     "request": {"method": "GET", "path": "/GetFinishedCalls", "query": {...},
                 "headers": {"IDENT-Integration-Key": "[redacted]"},
                 "body_kind": "none", "body": null},
     "response": {"status": 200, "headers": {"Content-Type": "application/json; ..."},
                  "body_kind": "json", "body": [...]},
     "upstream_ms": 3.1}

`body_kind` is json (the parsed document), form (a dict; Mango's `json`
field parsed), text, base64 (bytes up to 1 MiB), omitted (larger bytes:
only `length` and `sha256`) or none. `kind` is "api" for requests to the
provider and "event" for Mango webhook posts relayed to the integrator (with
`signature`: "valid", "invalid" or "unchecked").
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

__all__ = ["FORMAT_VERSION", "Cassette", "CassetteError", "CassetteWriter", "read_cassette"]

FORMAT_VERSION = 1


class CassetteError(Exception):
    """A cassette file that cannot be read: names the file, the line and what is wrong."""


@dataclass(slots=True)
class Cassette:
    header: dict[str, Any]
    exchanges: list[dict[str, Any]] = field(default_factory=list)

    @property
    def face(self) -> str:
        return str(self.header["face"])

    def api(self) -> Iterator[dict[str, Any]]:
        """The exchanges with the provider's API (not relayed webhook events)."""
        return (e for e in self.exchanges if e.get("kind", "api") == "api")


def read_cassette(path: Path) -> Cassette:
    """Parse a cassette; CassetteError names the line that is not what it should be."""
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise CassetteError(f"{path}: cannot read ({exc.strerror})") from None
    if not lines:
        raise CassetteError(f"{path}: empty, expected a header line")
    header = _line(path, 1, lines[0])
    if header.get("mockpbx_cassette") != FORMAT_VERSION or "face" not in header:
        raise CassetteError(f"{path}:1: not a mockpbx cassette header (version {FORMAT_VERSION})")
    out = Cassette(header)
    for number, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue
        ex = _line(path, number, raw)
        for key in ("method", "request", "response"):
            if key not in ex:
                raise CassetteError(f"{path}:{number}: exchange lacks {key!r}")
        out.exchanges.append(ex)
    return out


def _line(path: Path, number: int, raw: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CassetteError(f"{path}:{number}: not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise CassetteError(f"{path}:{number}: expected a JSON object")
    return value


class _Sink:
    """The open cassette file: prepares one exchange, writes its line, flushes and fsyncs."""

    def __init__(self, path: Path, prepare: Callable[[Any], dict[str, Any]] | None) -> None:
        self._prepare = prepare or dict
        self._fh: IO[bytes] = path.open("ab")

    def write_one(self, seq: int, raw: Any) -> None:
        try:
            line = {"seq": seq, **self._prepare(raw)}
        except Exception as exc:  # one unrecordable exchange must not stop the recording
            print(f"mockpbx record: exchange {seq} not recorded: {exc!r}", file=sys.stderr)
            return
        self.write(line)

    def write(self, item: dict[str, Any]) -> None:
        self._fh.write(orjson.dumps(item) + b"\n")
        self._fh.flush()
        with contextlib.suppress(OSError):  # e.g. a pipe: nothing to sync
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


_WORKER_SINK: _Sink | None = None  # in the writer process


def _init_worker(path: Path, prepare: Callable[[Any], dict[str, Any]] | None) -> None:
    global _WORKER_SINK
    _WORKER_SINK = _Sink(path, prepare)


def _worker_write(seq: int, raw: Any) -> None:
    assert _WORKER_SINK is not None
    _WORKER_SINK.write_one(seq, raw)


def _worker_ready() -> None:
    """Nothing: submitted once so the writer process starts before the first exchange."""


class CassetteWriter:
    """Appends exchanges in the order given, off the event loop: each is prepared (parsed,
    redacted), written, flushed and fsync'd in a worker thread, or with `in_process` in a
    worker process of its own, so neither the disk nor the redaction's CPU time (and GIL)
    delays the client."""

    def __init__(
        self,
        path: Path,
        header: dict[str, Any],
        prepare: Callable[[Any], dict[str, Any]] | None = None,
        *,
        in_process: bool = False,
    ) -> None:
        self.path = path
        path.write_bytes(orjson.dumps({"mockpbx_cassette": FORMAT_VERSION, **header}) + b"\n")
        self.count = 0
        self._pool: ProcessPoolExecutor | None = None
        self._sink: _Sink | None = None
        if in_process:
            spawn = multiprocessing.get_context("spawn")  # never fork a threaded server
            self._pool = ProcessPoolExecutor(
                1, mp_context=spawn, initializer=_init_worker, initargs=(path, prepare)
            )
        else:
            self._sink = _Sink(path, prepare)
        self._queue: asyncio.Queue[tuple[int, Any] | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._pool is not None:
            self._pool.submit(_worker_ready)
        else:
            self._task = asyncio.get_running_loop().create_task(self._run())

    def append(self, raw: Any) -> None:
        """Queue one exchange (numbered in the order given; `prepare` turns it into a line)."""
        self.count += 1
        if self._pool is not None:
            self._pool.submit(_worker_write, self.count, raw)
        else:
            self._queue.put_nowait((self.count, raw))

    async def _run(self) -> None:
        assert self._sink is not None
        while (item := await self._queue.get()) is not None:
            await asyncio.to_thread(self._sink.write_one, *item)

    async def close(self) -> None:
        """Write what is queued, then close the file."""
        if self._pool is not None:
            await asyncio.to_thread(self._pool.shutdown, True)
        if self._task is not None:
            self._queue.put_nowait(None)
            await self._task
            self._task = None
        if self._sink is not None:
            self._sink.close()
