#!/usr/bin/env python3
"""Encode the MP3 blocks of mockpbx/core/audio/ once (by hand; needs lameenc, a dev extra).

Each block is one pattern kind of `mockpbx.core.recordings` (silence or a
voice, from `voice_samples`) encoded on its own with LAME: MPEG-2 Layer III,
16 kHz mono, CBR 24 kbit/s, exactly `BLOCK_FRAMES` frames. A fresh encoder per
block makes the first frame's main_data_begin 0 (no bit reservoir reaching
into the previous block), and lameenc writes no ID3 or Xing/Info tag frame,
so the runtime can concatenate blocks in any order. The script checks all of
that before writing, and fails rather than write a block that breaks it.

    .venv/bin/python scripts/make_audio.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

import lameenc

from mockpbx.core.recordings import (
    BLOCK_BYTES,
    BLOCK_FRAMES,
    BLOCK_NAMES,
    FRAME_BYTES,
    FRAME_SAMPLES,
    MP3_BITRATE,
    MP3_SAMPLE_RATE,
    voice_samples,
)

OUT = Path(__file__).resolve().parent.parent / "mockpbx" / "core" / "audio"
ENCODER_DELAY = 576 + 529  # LAME's start delay, in samples
# Input that LAME turns into exactly BLOCK_FRAMES frames (delay + one frame of flush).
INPUT_SAMPLES = BLOCK_FRAMES * FRAME_SAMPLES - ENCODER_DELAY - FRAME_SAMPLES


def encode(pcm: bytes) -> bytes:
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(MP3_BITRATE // 1000)
    encoder.set_in_sample_rate(MP3_SAMPLE_RATE)
    encoder.set_out_sample_rate(MP3_SAMPLE_RATE)
    encoder.set_channels(1)
    encoder.set_quality(2)  # 2 = high quality, slow (encoding happens once)
    return bytes(encoder.encode(pcm)) + bytes(encoder.flush())


def check_block(name: str, block: bytes) -> None:
    """Raise SystemExit unless `block` is BLOCK_FRAMES same-size, self-contained frames."""
    if len(block) != BLOCK_BYTES:
        sys.exit(f"{name}: {len(block)} bytes, expected {BLOCK_BYTES} ({BLOCK_FRAMES} frames)")
    for pos in range(0, BLOCK_BYTES, FRAME_BYTES):
        header = block[pos : pos + 4]
        # MPEG-2, Layer III, no CRC; 24 kbit/s, 16 kHz, no padding; mono
        if header[:2] != b"\xff\xf3" or header[2] != 0x38 or header[3] >> 6 != 3:
            sys.exit(f"{name}: unexpected frame header {header.hex()} at byte {pos}")
    if block[4] != 0:
        sys.exit(f"{name}: first frame borrows from a bit reservoir (main_data_begin != 0)")
    if b"Xing" in block or b"Info" in block or b"ID3" in block:
        sys.exit(f"{name}: carries a tag")


def main(argv: list[str]) -> int:
    check_only = "--check" in argv
    for kind, name in enumerate(BLOCK_NAMES):
        block = encode(voice_samples(kind, MP3_SAMPLE_RATE, INPUT_SAMPLES))
        check_block(name, block)
        path = OUT / name
        if check_only:
            same = path.exists() and path.read_bytes() == block
            print(f"{name}: {'same' if same else 'differs (another LAME build?)'}")
        else:
            path.write_bytes(block)
            print(f"{name}: {len(block)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
