"""Real, playable call recordings, synthesized on demand.

A recording is a PCM WAV file (8 kHz, 16-bit, mono, as telephony records)
as long as the conversation: two "voices" (tones with a speech-like
envelope) take turns, seeded by the recording's id, so the same call always
gives the same bytes. The file is never built whole: `read(start, end)`
assembles any byte range from a few precomputed one-second segments, which
is what HTTP Range requests need.
"""

from __future__ import annotations

import math
import random
import struct
from array import array
from functools import cache

__all__ = ["SAMPLE_RATE", "WavRecording"]

SAMPLE_RATE = 8000
_BYTES_PER_SECOND = SAMPLE_RATE * 2
_HEADER_SIZE = 44


@cache
def _segment(kind: int) -> bytes:
    """One second of audio: 0 silence, 1..3 a 'voice' at a different pitch."""
    if kind == 0:
        return bytes(_BYTES_PER_SECOND)
    base = (0.0, 180.0, 240.0, 310.0)[kind]
    samples = array("h")
    for n in range(SAMPLE_RATE):
        t = n / SAMPLE_RATE
        envelope = 0.55 + 0.45 * math.sin(2 * math.pi * 3.1 * t) ** 2  # syllable rhythm
        fade = min(1.0, n / 400, (SAMPLE_RATE - n) / 400)
        tone = (
            math.sin(2 * math.pi * base * t)
            + 0.5 * math.sin(2 * math.pi * base * 2.01 * t)
            + 0.25 * math.sin(2 * math.pi * base * 3.02 * t)
        )
        samples.append(int(7000 * envelope * fade * tone / 1.75))
    return samples.tobytes()


class WavRecording:
    """A deterministic WAV of `seconds` length, readable by byte range."""

    content_type = "audio/wav"

    def __init__(self, seed: str, seconds: int) -> None:
        self.seconds = max(1, int(seconds))
        rnd = random.Random(seed)
        pattern: list[int] = []
        voice = 1
        while len(pattern) < self.seconds:
            turn = rnd.randint(1, 4)
            pattern.extend([voice] * turn)
            if rnd.random() < 0.3:
                pattern.append(0)
            voice = 2 if voice == 1 else 1
        self._pattern = pattern[: self.seconds]
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
