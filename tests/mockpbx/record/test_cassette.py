"""The cassette format: a header line, then one JSON line per exchange; clear read errors."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mockpbx.record.cassette import CassetteError, CassetteWriter, read_cassette


def _exchange(method: str) -> dict[str, object]:
    return {
        "method": method,
        "request": {"method": "GET", "path": "/" + method, "query": {}},
        "response": {"status": 200, "body_kind": "json", "body": []},
    }


async def test_writer__appends_numbered_lines_readable_back(tmp_path: Path) -> None:
    """Exchanges are written in order with a sequence number after a header line."""
    path = tmp_path / "c.jsonl"
    writer = CassetteWriter(path, {"face": "clinic"})
    writer.start()
    writer.append(_exchange("GetFinishedCalls"))
    writer.append(_exchange("GetOngoingCalls"))
    await writer.close()
    cassette = read_cassette(path)
    assert cassette.face == "clinic"
    assert cassette.header["mockpbx_cassette"] == 1
    assert [(e["seq"], e["method"]) for e in cassette.exchanges] == [
        (1, "GetFinishedCalls"),
        (2, "GetOngoingCalls"),
    ]


async def test_writer__each_exchange_is_on_disk_before_the_next(tmp_path: Path) -> None:
    """A line is flushed as soon as it is written: a crash loses at most the one in flight."""
    path = tmp_path / "c.jsonl"
    writer = CassetteWriter(path, {"face": "clinic"})
    writer.start()
    writer.append(_exchange("GetFinishedCalls"))
    for _ in range(200):
        if len(path.read_bytes().splitlines()) == 2:
            break
        await asyncio.sleep(0.01)
    assert len(read_cassette(path).exchanges) == 1
    await writer.close()


async def test_writer__an_unrecordable_exchange_is_skipped(tmp_path: Path) -> None:
    """One exchange that cannot be prepared does not stop the recording."""
    path = tmp_path / "c.jsonl"

    def prepare(raw: object) -> dict[str, object]:
        if raw == "bad":
            raise ValueError("no")
        return _exchange(str(raw))

    writer = CassetteWriter(path, {"face": "clinic"}, prepare=prepare)
    writer.start()
    writer.append("bad")
    writer.append("GetTickets")
    await writer.close()
    assert [e["method"] for e in read_cassette(path).exchanges] == ["GetTickets"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b'{"face": "clinic"}\n', ":1: not a mockpbx cassette header"),
        (b'{"mockpbx_cassette": 1, "face": "clinic"}\n{oops\n', ":2: not JSON"),
        (b'{"mockpbx_cassette": 1, "face": "clinic"}\n{"method": "x"}\n', ":2: exchange lacks"),
    ],
)
def test_read__names_the_line_that_is_wrong(tmp_path: Path, content: bytes, message: str) -> None:
    """A broken cassette is refused with the file, the line and what is wrong."""
    path = tmp_path / "c.jsonl"
    path.write_bytes(content)
    with pytest.raises(CassetteError, match=message):
        read_cassette(path)
