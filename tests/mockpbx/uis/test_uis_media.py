"""Public recording links: no auth, MP3 (WAV on /wav/ or by option), Range, unguessable hash."""

from __future__ import annotations

from typing import Any

import pytest

from mockpbx.core.model import Call
from mockpbx.core.recordings import Mp3Recording, WavRecording
from mockpbx.providers.uis.media import Unsatisfiable, parse_range
from mockpbx.state import ServerState
from tests.mockpbx.mp3 import decode_info, frame_offsets


@pytest.fixture
def recorded(state: ServerState) -> tuple[Call, str]:
    world = state.world
    calls = world.history(world.now() - 86400, world.now())
    call = next(c for c in calls if world.recording_hash(c))
    token = world.recording_hash(call)
    assert token is not None
    return call, token


def _mp3_paths(call: Call, token: str) -> list[str]:
    return [f"/media/{call.id}/{token}", f"/system/media/talk/{call.id}/{token}/"]


class TestRecording:
    async def test_get__gives_the_whole_mp3(self, client: Any, recorded: tuple[Call, str]) -> None:
        call, token = recorded
        expected = Mp3Recording(token, call.talk_duration)
        for path in _mp3_paths(*recorded):
            resp = await client.get(path)
            body = await resp.read()
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "audio/mpeg"
            assert resp.headers["Accept-Ranges"] == "bytes"
            assert resp.headers["ETag"] == f'"{token}.mp3"'
            assert int(resp.headers["Content-Length"]) == len(body) == expected.size
            assert body == expected.read()
            assert len(frame_offsets(body)) == expected.blocks * 28
            info = decode_info(body)
            assert (info.sample_rate, info.bitrate, info.channels) == (16000, 24000, 1)
            assert abs(info.length - call.talk_duration) <= 1.008

    async def test_wav_link__gives_the_whole_wav(
        self, client: Any, recorded: tuple[Call, str]
    ) -> None:
        """/system/media/wav/... (the docs' wav_call_records) serves WAV whatever the option."""
        call, token = recorded
        resp = await client.get(f"/system/media/wav/{call.id}/{token}/")
        body = await resp.read()
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "audio/wav"
        assert resp.headers["ETag"] == f'"{token}.wav"'
        assert int(resp.headers["Content-Length"]) == len(body)
        assert body == WavRecording(token, call.talk_duration).read()
        assert body[:4] == b"RIFF"
        assert body[8:12] == b"WAVE"

    async def test_format_option_wav__serves_wav_on_every_link(
        self, client: Any, recorded: tuple[Call, str]
    ) -> None:
        call, token = recorded
        set_opts = await client.post("/_mockpbx/uis/options", json={"recording_format": "wav"})
        assert set_opts.status == 200
        assert (await set_opts.json())["recording_format"] == "wav"
        for path in _mp3_paths(*recorded):
            resp = await client.get(path)
            assert resp.headers["Content-Type"] == "audio/wav"
            assert await resp.read() == WavRecording(token, call.talk_duration).read()

    async def test_format_option__refuses_an_unknown_format(self, client: Any) -> None:
        resp = await client.post("/_mockpbx/uis/options", json={"recording_format": "ogg"})
        assert resp.status == 400
        current = await (await client.get("/_mockpbx/uis/options")).json()
        assert current["recording_format"] == "mp3"

    async def test_wav_link_range__gives_the_slice(
        self, client: Any, recorded: tuple[Call, str]
    ) -> None:
        call, token = recorded
        whole = WavRecording(token, call.talk_duration).read()
        path = f"/system/media/wav/{call.id}/{token}/"
        resp = await client.get(path, headers={"Range": "bytes=40-16043"})
        assert resp.status == 206
        assert await resp.read() == whole[40:16044]
        assert resp.headers["Content-Range"] == f"bytes 40-16043/{len(whole)}"

    async def test_head__gives_headers_only(self, client: Any, recorded: tuple[Call, str]) -> None:
        call, token = recorded
        resp = await client.head(f"/media/{call.id}/{token}")
        assert resp.status == 200
        assert int(resp.headers["Content-Length"]) == Mp3Recording(token, call.talk_duration).size
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
        whole = Mp3Recording(token, call.talk_duration).read()
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
        size = Mp3Recording(token, call.talk_duration).size
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
