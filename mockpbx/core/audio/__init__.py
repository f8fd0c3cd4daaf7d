"""Pre-encoded MP3 blocks that `mockpbx.core.recordings` concatenates (package data).

Regenerate with `python scripts/make_audio.py` (needs the dev extra's lameenc).
"""
