"""Test helpers for MP3 bytes: walk every frame header, and decode with mutagen."""

from __future__ import annotations

import io

from mutagen.mp3 import MP3, MPEGInfo

# MPEG-2 Layer III bit rates (kbit/s) by index, and sample rates (Hz) by index.
_KBPS = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_RATES = (22050, 24000, 16000)


def frame_offsets(data: bytes) -> list[int]:
    """Offsets of every frame; AssertionError at the first byte that is not a valid header.

    Accepts MPEG-2 Layer III only (what the mock serves): a broken concatenation,
    a stray tag or a cut frame lands off a sync word or short of the end.
    """
    offsets: list[int] = []
    pos = 0
    while pos < len(data):
        assert len(data) - pos >= 4, f"truncated header at {pos}"
        header = int.from_bytes(data[pos : pos + 4], "big")
        assert header >> 21 == 0x7FF, f"no sync word at byte {pos}: {data[pos : pos + 4].hex()}"
        version, layer = (header >> 19) & 3, (header >> 17) & 3
        assert (version, layer) == (2, 1), f"not MPEG-2 Layer III at byte {pos}"
        bitrate, rate = _KBPS[(header >> 12) & 15] * 1000, _RATES[(header >> 10) & 3]
        length = 72 * bitrate // rate + ((header >> 9) & 1)
        assert pos + length <= len(data), f"frame at {pos} runs past the end"
        offsets.append(pos)
        pos += length
    return offsets


def decode_info(data: bytes) -> MPEGInfo:
    """What a real MP3 parser (mutagen) reads from the stream."""
    return MP3(io.BytesIO(data)).info
