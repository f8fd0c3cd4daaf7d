"""Recordings: a valid MP3 (or WAV) as long as the talk, deterministic, readable by range."""

from __future__ import annotations

import pytest

from mockpbx.core import recordings
from mockpbx.core.recordings import (
    BLOCK_BYTES,
    BLOCK_NAMES,
    FRAME_BYTES,
    Mp3Recording,
    WavRecording,
    make_recording,
)
from tests.mockpbx.mp3 import decode_info, frame_offsets

TOKEN = "2e40c75469075b6e5f16cd29873cbc57"


class TestBlocks:
    @pytest.mark.parametrize("kind", range(len(BLOCK_NAMES)))
    def test_block__is_whole_self_contained_frames(self, kind: int) -> None:
        """Each block: same-size frames, no tag, and a first frame that borrows no reservoir."""
        block = recordings._blocks()[kind]
        assert len(block) == BLOCK_BYTES
        assert frame_offsets(block) == list(range(0, BLOCK_BYTES, FRAME_BYTES))
        assert block[4] == 0  # main_data_begin (MPEG-2: the first side-info byte)
        # no ID3 and no Xing/Info/VBRI tag frame ("LAME4.0UUU..." in ancillary data is fine)
        assert not any(tag in block for tag in (b"ID3", b"Xing", b"Info", b"VBRI"))

    def test_blocks__differ(self) -> None:
        assert len(set(recordings._blocks())) == len(BLOCK_NAMES)


class TestMp3Recording:
    def test_whole__is_a_valid_mpeg2_layer3_stream(self) -> None:
        data = Mp3Recording(TOKEN, 180).read()
        offsets = frame_offsets(data)
        assert len(offsets) == len(data) // FRAME_BYTES
        info = decode_info(data)
        assert (info.version, info.layer) == (2, 3)
        assert (info.sample_rate, info.bitrate, info.channels) == (16000, 24000, 1)
        assert info.length == pytest.approx(180, abs=0.51)

    def test_block_boundaries__each_start_a_frame_with_no_reservoir(self) -> None:
        data = Mp3Recording(TOKEN, 30).read()
        for start in range(0, len(data), BLOCK_BYTES):
            assert data[start : start + 2] == b"\xff\xf3"
            assert data[start + 4] == 0

    @pytest.mark.parametrize("seconds", [0, 1, 2, 7, 59, 61, 195, 600, 3600])
    def test_length__tracks_the_talk_duration_within_one_block(self, seconds: int) -> None:
        rec = Mp3Recording(TOKEN, seconds)
        assert abs(rec.duration - max(seconds, 1)) <= 1.008
        assert rec.size == rec.blocks * BLOCK_BYTES
        assert decode_info(rec.read(0, 4 * BLOCK_BYTES)).sample_rate == 16000

    def test_size__is_what_read_gives(self) -> None:
        rec = Mp3Recording(TOKEN, 195)
        assert len(rec.read()) == rec.size
        assert decode_info(rec.read()).length == pytest.approx(rec.duration)

    def test_same_id__gives_the_same_bytes(self) -> None:
        assert Mp3Recording(TOKEN, 120).read() == Mp3Recording(TOKEN, 120).read()

    def test_other_id__gives_other_bytes_of_the_same_size(self) -> None:
        a, b = Mp3Recording(TOKEN, 120), Mp3Recording("f" * 32, 120)
        assert a.size == b.size
        assert a.read() != b.read()

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (0, 1),
            (0, 4),
            (10, 5000),
            (BLOCK_BYTES - 1, BLOCK_BYTES + 1),
            (3 * BLOCK_BYTES, 5 * BLOCK_BYTES),
            (12345, None),
            (0, 10**9),
        ],
    )
    def test_range__equals_the_slice_of_the_whole(self, start: int, end: int | None) -> None:
        rec = Mp3Recording(TOKEN, 60)
        whole = rec.read()
        assert rec.read(start, end) == whole[start:end]

    def test_frame_walk__rejects_a_broken_stream(self) -> None:
        """The frame walker (used on everything served) notices a byte lost or cut."""
        data = Mp3Recording(TOKEN, 5).read()
        with pytest.raises(AssertionError, match="sync word"):
            frame_offsets(data[:BLOCK_BYTES] + data[BLOCK_BYTES + 1 :])
        with pytest.raises(AssertionError, match="past the end"):
            frame_offsets(data[:-1])

    def test_range__empty_past_the_end(self) -> None:
        rec = Mp3Recording(TOKEN, 5)
        assert rec.read(rec.size, rec.size + 10) == b""
        assert rec.read(10, 10) == b""

    def test_bad_block_file__fails_loudly(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A broken install (a block of the wrong size) raises instead of serving garbage."""
        monkeypatch.setattr(recordings, "BLOCK_BYTES", BLOCK_BYTES + 1)
        recordings._blocks.cache_clear()
        try:
            with pytest.raises(RuntimeError, match="not a"):
                recordings._blocks()
        finally:
            monkeypatch.undo()
            recordings._blocks.cache_clear()


class TestWavRecording:
    def test_whole__is_a_riff_wave_readable_by_range(self) -> None:
        rec = WavRecording("abc", 3)
        whole = rec.read()
        assert whole[:4] == b"RIFF"
        assert whole[8:12] == b"WAVE"
        assert len(whole) == rec.size == 44 + 3 * 16000
        assert rec.read(10, 5000) == whole[10:5000]
        assert rec.read(20000, 40000) == whole[20000:40000]
        assert WavRecording("abc", 3).read() == whole
        assert WavRecording("abd", 3).read() != whole


class TestMakeRecording:
    def test_format__picks_the_class(self) -> None:
        mp3, wav = make_recording("mp3", TOKEN, 10), make_recording("wav", TOKEN, 10)
        assert (mp3.content_type, mp3.extension) == ("audio/mpeg", "mp3")
        assert (wav.content_type, wav.extension) == ("audio/wav", "wav")
        assert mp3.read(0, 2) == b"\xff\xf3"
        assert wav.read(0, 4) == b"RIFF"
