"""Public recording links: no auth, WAV audio, HTTP Range, unguessable hash."""

from __future__ import annotations

from typing import Any

import pytest

from mockpbx.core.model import Call
from mockpbx.core.recordings import WavRecording
from mockpbx.providers.uis.media import Unsatisfiable, parse_range
from mockpbx.state import ServerState


@pytest.fixture
def recorded(state: ServerState) -> tuple[Call, str]:
    world = state.world
    calls = world.history(world.now() - 86400, world.now())
    call = next(c for c in calls if world.recording_hash(c))
    token = world.recording_hash(call)
    assert token is not None
    return call, token


def _paths(call: Call, token: str) -> list[str]:
    return [
        f"/media/{call.id}/{token}",
        f"/system/media/talk/{call.id}/{token}/",
        f"/system/media/wav/{call.id}/{token}/",
    ]


class TestRecording:
    async def test_get__gives_the_whole_wav(self, client: Any, recorded: tuple[Call, str]) -> None:
        call, token = recorded
        expected = WavRecording(token, call.talk_duration)
        for path in _paths(*recorded):
            resp = await client.get(path)
            body = await resp.read()
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "audio/wav"
            assert resp.headers["Accept-Ranges"] == "bytes"
            assert int(resp.headers["Content-Length"]) == len(body) == expected.size
            assert body[:4] == b"RIFF"
            assert body[8:12] == b"WAVE"

    async def test_head__gives_headers_only(self, client: Any, recorded: tuple[Call, str]) -> None:
        call, token = recorded
        resp = await client.head(f"/media/{call.id}/{token}")
        assert resp.status == 200
        assert int(resp.headers["Content-Length"]) == WavRecording(token, call.talk_duration).size
        assert await resp.read() == b""

    @pytest.mark.parametrize(
        ("header", "start", "end"),
        [("bytes=0-99", 0, 100), ("bytes=100-", 100, None), ("bytes=-50", -50, None)],
    )
    async def test_range__gives_206_with_the_slice(
        self,
        client: Any,
        recorded: tuple[Call, str],
        header: str,
        start: int,
        end: int | None,
    ) -> None:
        call, token = recorded
        whole = WavRecording(token, call.talk_duration).read()
        resp = await client.get(f"/media/{call.id}/{token}", headers={"Range": header})
        body = await resp.read()
        assert resp.status == 206
        assert body == whole[start:end]
        first = start % len(whole)
        assert (
            resp.headers["Content-Range"] == f"bytes {first}-{first + len(body) - 1}/{len(whole)}"
        )

    async def test_range_past_the_end__is_416(
        self, client: Any, recorded: tuple[Call, str]
    ) -> None:
        call, token = recorded
        size = WavRecording(token, call.talk_duration).size
        resp = await client.get(f"/media/{call.id}/{token}", headers={"Range": f"bytes={size}-"})
        assert resp.status == 416
        assert resp.headers["Content-Range"] == f"bytes */{size}"

    async def test_wrong_hash__is_404(self, client: Any, recorded: tuple[Call, str]) -> None:
        call, token = recorded
        wrong = ("0" if token[0] != "0" else "1") + token[1:]
        assert (await client.get(f"/media/{call.id}/{wrong}")).status == 404
        assert (await client.get(f"/media/{call.id + 1}/{token}")).status == 404

    async def test_hash__has_128_bits(self, recorded: tuple[Call, str]) -> None:
        assert len(recorded[1]) == 32
        int(recorded[1], 16)


class TestParseRange:
    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            (None, None),
            ("bytes=0-0", (0, 1)),
            ("bytes=5-1000", (5, 100)),
            ("bytes=-10", (90, 100)),
            ("bytes=-1000", (0, 100)),
            ("bytes=0-1,5-6", None),  # several ranges: serve it all
            ("items=0-1", None),
            ("bytes=9-3", None),
        ],
    )
    def test_valid_or_ignored(self, header: str | None, expected: tuple[int, int] | None) -> None:
        assert parse_range(header, 100) == expected

    @pytest.mark.parametrize("header", ["bytes=100-", "bytes=-0", "bytes=200-300"])
    def test_unsatisfiable(self, header: str) -> None:
        with pytest.raises(Unsatisfiable):
            parse_range(header, 100)
