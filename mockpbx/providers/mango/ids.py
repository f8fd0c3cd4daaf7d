"""Mango ids of world objects, cached: the same strings as `core.ids`, made faster.

Ids are pure functions of world ids; rendering a month of history asks for
each many times (CSV, then every page of the extended JSON, then events).
`binascii` directly skips `base64`'s per-call wrapper; tests/mockpbx/mango/
test_fastrows.py checks the strings equal those of `core.ids`.
"""

from __future__ import annotations

from binascii import b2a_base64
from functools import lru_cache

__all__ = ["mango_call_id", "mango_entry_id", "mango_recording_id"]


def _b64(text: str) -> str:
    return b2a_base64(text.encode(), newline=False).decode("ascii")


@lru_cache(maxsize=1 << 17)
def mango_entry_id(call_id: int) -> str:
    """= core.ids.mango_entry_id"""
    return _b64(f"{call_id}:101")


@lru_cache(maxsize=1 << 18)
def mango_call_id(leg_id: int) -> str:
    """= core.ids.mango_call_id"""
    return _b64(f"1:{leg_id}:221:1")


@lru_cache(maxsize=1 << 17)
def mango_recording_id(call_id: int) -> str:
    """= core.ids.mango_recording_id"""
    return _b64(f"1:{call_id}:5009:1")
