"""Real, playable call recordings: MP3 as the providers serve them, or WAV.

A recording is as long as the conversation: two "voices" (tones with a
speech-like envelope, `voice_samples`) take turns, seeded by the recording's
id, so the same call always gives the same bytes. The file is never built
whole: `read(start, end)` assembles any byte range from a few precomputed
pieces, and `size` is known up front, which is what HTTP Range needs.

`Mp3Recording` (the default, `audio/mpeg`): MPEG-2 Layer III, 16 kHz mono,
CBR 24 kbit/s, no ID3 or Xing/Info tag. It is a run of whole *blocks* of
`BLOCK_FRAMES` frames (1.008 s), each pre-encoded once by
`scripts/make_audio.py` (lameenc) and shipped as package data in
`mockpbx/core/audio/`, so the runtime needs no encoder. Every block starts
a self-contained frame sequence (first frame's main_data_begin is 0, every
frame the same size), so any concatenation is a valid stream; the length is
the talk duration rounded to a whole block.

`WavRecording` (`audio/wav`): 8 kHz, 16-bit mono PCM, one-second segments.
"""

from __future__ import annotations

import math
import random
import struct
from array import array
from functools import cache
from importlib import resources
from typing import Literal

__all__ = [
    "BLOCK_BYTES",
    "BLOCK_FRAMES",
    "BLOCK_NAMES",
    "FRAME_BYTES",
    "FRAME_SAMPLES",
    "MP3_BITRATE",
    "MP3_SAMPLE_RATE",
    "SAMPLE_RATE",
    "Mp3Recording",
    "Recording",
    "RecordingFormat",
    "WavRecording",
    "make_recording",
    "voice_samples",
]

SAMPLE_RATE = 8000  # of the WAV
_BYTES_PER_SECOND = SAMPLE_RATE * 2
_HEADER_SIZE = 44

MP3_SAMPLE_RATE = 16000
MP3_BITRATE = 24_000
FRAME_SAMPLES = 576  # one MPEG-2 Layer III frame (one granule)
FRAME_BYTES = 72 * MP3_BITRATE // MP3_SAMPLE_RATE  # 108: exact, so no padding slots
BLOCK_FRAMES = 28  # 16128 samples = 1.008 s
BLOCK_SAMPLES = BLOCK_FRAMES * FRAME_SAMPLES
BLOCK_BYTES = BLOCK_FRAMES * FRAME_BYTES
# Block file of each pattern kind: 0 silence, 1..3 a voice.
BLOCK_NAMES = ("silence.mp3", "voice1.mp3", "voice2.mp3", "voice3.mp3")

RecordingFormat = Literal["mp3", "wav"]


def voice_samples(kind: int, rate: int, count: int) -> bytes:
    """`count` 16-bit samples at `rate` Hz: 0 silence, 1..3 a 'voice' at a different pitch."""
    if kind == 0:
        return bytes(2 * count)
    base = (0.0, 180.0, 240.0, 310.0)[kind]
    ramp = rate * 0.05  # 50 ms fade in and out
    samples = array("h")
    for n in range(count):
        t = n / rate
        envelope = 0.55 + 0.45 * math.sin(2 * math.pi * 3.1 * t) ** 2  # syllable rhythm
        fade = min(1.0, n / ramp, (count - n) / ramp)
        tone = (
            math.sin(2 * math.pi * base * t)
            + 0.5 * math.sin(2 * math.pi * base * 2.01 * t)
            + 0.25 * math.sin(2 * math.pi * base * 3.02 * t)
        )
        samples.append(int(7000 * envelope * fade * tone / 1.75))
    return samples.tobytes()


def _turns(seed: str, count: int) -> list[int]:
    """`count` pattern kinds: the two voices take turns of 1-4 units, sometimes a pause."""
    rnd = random.Random(seed)
    pattern: list[int] = []
    voice = 1
    while len(pattern) < count:
        turn = rnd.randint(1, 4)
        pattern.extend([voice] * turn)
        if rnd.random() < 0.3:
            pattern.append(0)
        voice = 2 if voice == 1 else 1
    return pattern[:count]


@cache
def _segment(kind: int) -> bytes:
    """One second of WAV audio of a pattern kind."""
    return voice_samples(kind, SAMPLE_RATE, SAMPLE_RATE)


@cache
def _blocks() -> tuple[bytes, ...]:
    """The pre-encoded MP3 blocks, by pattern kind (checked once: a bad install fails loudly)."""
    folder = resources.files("mockpbx.core.audio")
    blocks = tuple(folder.joinpath(name).read_bytes() for name in BLOCK_NAMES)
    for name, block in zip(BLOCK_NAMES, blocks, strict=True):
        if len(block) != BLOCK_BYTES or block[:2] != b"\xff\xf3" or block[4] != 0:
            raise RuntimeError(f"mockpbx/core/audio/{name} is not a {BLOCK_BYTES}-byte MP3 block")
    return blocks


class Mp3Recording:
    """A deterministic MP3 about `seconds` long (whole 1.008 s blocks), readable by byte range."""

    content_type = "audio/mpeg"
    extension = "mp3"

    def __init__(self, seed: str, seconds: int) -> None:
        # the nearest whole number of blocks, at least one (integer math: no float drift)
        twice = 2 * max(0, int(seconds)) * MP3_SAMPLE_RATE
        self.blocks = max(1, (twice + BLOCK_SAMPLES) // (2 * BLOCK_SAMPLES))
        self.duration = self.blocks * BLOCK_SAMPLES / MP3_SAMPLE_RATE
        self._pattern = _turns(seed, self.blocks)
        self.size = self.blocks * BLOCK_BYTES

    def read(self, start: int = 0, end: int | None = None) -> bytes:
        """Bytes [start, end) of the file (end exclusive, clamped to the size)."""
        end = self.size if end is None else min(end, self.size)
        if start >= end:
            return b""
        first, offset = divmod(start, BLOCK_BYTES)
        last = (end - 1) // BLOCK_BYTES
        blocks = _blocks()
        data = b"".join([blocks[kind] for kind in self._pattern[first : last + 1]])
        return data[offset : offset + end - start]


class WavRecording:
    """A deterministic WAV of `seconds` length, readable by byte range."""

    content_type = "audio/wav"
    extension = "wav"

    def __init__(self, seed: str, seconds: int) -> None:
        self.seconds = max(1, int(seconds))
        self.duration = float(self.seconds)
        self._pattern = _turns(seed, self.seconds)
        self.size = _HEADER_SIZE + self.seconds * _BYTES_PER_SECOND

    def header(self) -> bytes:
        data_size = self.seconds * _BYTES_PER_SECOND
        return (
            b"RIFF"
            + struct.pack("<I", 36 + data_size)
            + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, 1, SAMPLE_RATE, _BYTES_PER_SECOND, 2, 16)
            + b"data"
            + struct.pack("<I", data_size)
        )

    def read(self, start: int = 0, end: int | None = None) -> bytes:
        """Bytes [start, end) of the file (end exclusive, clamped to the size)."""
        end = self.size if end is None else min(end, self.size)
        if start >= end:
            return b""
        out = bytearray()
        if start < _HEADER_SIZE:
            out += self.header()[start:end]
        pos = max(start, _HEADER_SIZE) - _HEADER_SIZE
        stop = end - _HEADER_SIZE
        while pos < stop:
            second, within = divmod(pos, _BYTES_PER_SECOND)
            chunk = _segment(self._pattern[second])
            take = min(_BYTES_PER_SECOND - within, stop - pos)
            out += chunk[within : within + take]
            pos += take
        return bytes(out)


Recording = Mp3Recording | WavRecording


def make_recording(fmt: RecordingFormat, seed: str, seconds: int) -> Recording:
    """The recording of `seconds` talk seeded by `seed`, as MP3 or WAV."""
    return WavRecording(seed, seconds) if fmt == "wav" else Mp3Recording(seed, seconds)
