"""Mango's spelling of world ids: base64 of colon-separated integers, like the real ones.

The world's ids are neutral integers (call ids, leg ids `core.calls.leg_id`);
Mango shows a call as an `entry_id`, each leg as a `call_id` and a recording
as a `recording_id`. `call_ids` is how the truth names a call for Mango
(`mockpbx/providers/registry.py`).
"""

from __future__ import annotations

import base64
import binascii
from binascii import b2a_base64
from functools import lru_cache
from typing import Any

from mockpbx.core.model import Call, CallKind, Leg

__all__ = [
    "call_ids",
    "mango_call_id",
    "mango_entry_id",
    "mango_recording_id",
    "shown_legs",
    "unb64_int",
]


def _b64(text: str) -> str:
    return b2a_base64(text.encode(), newline=False).decode("ascii")


# Ids are pure functions of world ids, cached: rendering a month of Mango history
# (CSV, every page of the extended JSON, then events) asks for each many times.
@lru_cache(maxsize=1 << 17)
def mango_entry_id(call_id: int) -> str:
    """Mango's `entry_id` of a call: base64 of colon-separated integers, like the real ones."""
    return _b64(f"{call_id}:101")


@lru_cache(maxsize=1 << 18)
def mango_call_id(leg_id: int) -> str:
    """Mango's `call_id` of one leg (events/call, extended stats `external_call_id`)."""
    return _b64(f"1:{leg_id}:221:1")


@lru_cache(maxsize=1 << 17)
def mango_recording_id(call_id: int) -> str:
    """Mango's `recording_id` of a call's recording."""
    return _b64(f"1:{call_id}:5009:1")


def unb64_int(value: str, index: int) -> int | None:
    """The `index`-th integer inside a Mango-style base64 id, or None if malformed."""
    try:
        parts = base64.b64decode(value.encode(), validate=True).decode().split(":")
        return int(parts[index])
    except (binascii.Error, UnicodeDecodeError, ValueError, IndexError):
        return None


def shown_legs(call: Call) -> list[Leg]:
    """The world legs Mango shows as legs: an outgoing call is one leg there (doc 245)."""
    if call.kind is CallKind.OUTGOING:
        return [call.legs[0], *(leg for leg in call.legs if leg.is_transferred)]
    return call.legs


def call_ids(call: Call) -> dict[str, Any]:
    """The call as Mango names it: entry, one call id per leg shown, the recording."""
    return {
        "entry_id": mango_entry_id(call.id),
        "call_ids": [mango_call_id(leg.id) for leg in shown_legs(call)],
        "recording_id": mango_recording_id(call.id) if call.has_recording else None,
    }
