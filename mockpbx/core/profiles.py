"""Capability profiles: a face acting as a partial provider, as most virtual PBXs are.

A profile is a list of names, combined by union of what each takes away:

    history_only   only finished calls: no current calls, recordings, tracking or callback
    no_recordings  finished calls carry no recording links
    no_tracking    finished calls carry no UTM tags or referrer
    no_live        the provider gives no current calls
    no_callback    the provider cannot start a callback

Each face decides how the missing feature looks in its own wire format
(a method absent, or fields empty); this module only names the features.
A face's profile comes from its options (`/_mockpbx/<face>/options`,
`{"profile": [...]}`) or, when those name none, from the scenario file's
`profiles: {<face>: [...]}`.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["FEATURES", "PROFILES", "ProfileName", "effective", "lacks"]

ProfileName = Literal["history_only", "no_recordings", "no_tracking", "no_live", "no_callback"]
PROFILES: tuple[str, ...] = get_args(ProfileName)
FEATURES = ("live", "recordings", "tracking", "callback")

_TAKES: dict[str, frozenset[str]] = {
    "history_only": frozenset(FEATURES),
    "no_recordings": frozenset({"recordings"}),
    "no_tracking": frozenset({"tracking"}),
    "no_live": frozenset({"live"}),
    "no_callback": frozenset({"callback"}),
}


def lacks(profile: tuple[str, ...] | list[str], feature: str) -> bool:
    """Whether a face with this profile goes without `feature` (one of FEATURES)."""
    return any(feature in _TAKES.get(name, frozenset()) for name in profile)


def effective(
    explicit: tuple[str, ...] | list[str], scenario: object, face: str
) -> tuple[str, ...]:
    """The face's profile: its options' own if they name one, else the scenario file's."""
    if explicit:
        return tuple(explicit)
    profiles = getattr(scenario, "profiles", None) or {}
    return tuple(profiles.get(face, ()))
