"""What a report cannot show with this provider, and why: never an empty column without a word.

A partial provider (most virtual PBXs give only the list of finished calls)
leaves recording links or UTM tags empty. The reports still run; these
notes go into `Sources.notes` (shown under every table, in the HTML page and
in JSON), and the columns that depend on the missing data are listed in the
report's options as `unavailable_columns`.
"""

from __future__ import annotations

from typing import Any

from adapter.providers.base import Capability, Provider

__all__ = ["TRACKING_COLUMNS", "recordings_note", "tracking_note"]

TRACKING_COLUMNS = ("source", "medium", "campaign")  # ad-channels columns read from UTM tags


def _why(source: Provider | None, capability: Capability, data: str) -> str:
    if source is not None and capability not in source.capabilities:
        return f"{source.name} (as configured) gives no {data}"
    return f"the provider gives no {data}"


def recordings_note(source: Provider | None, rows: list[dict[str, Any]]) -> str | None:
    """Why the contact history shows no player, when no answered call has a recording."""
    answered = sum(1 for r in rows if r.get("status") == "answered")
    if not answered or any(r.get("recording_url") for r in rows):
        return None
    why = _why(source, Capability.RECORDINGS, "recording links")
    return (
        f"recordings unavailable: none of {answered} answered call(s) has a recording link "
        f"({why}); calls are listed without a player"
    )


def tracking_note(source: Provider | None, incoming: int, tagged: int) -> str | None:
    """Why the UTM columns are empty, when no incoming call carries UTM tags or a referrer."""
    if not incoming or tagged:
        return None
    why = _why(source, Capability.UTM, "UTM tags (call tracking)")
    columns = ", ".join(TRACKING_COLUMNS)
    return (
        f"UTM columns ({columns}) unavailable: none of {incoming} incoming call(s) carries UTM "
        f"tags or a referrer ({why}); calls are attributed by the number they came to only"
    )
