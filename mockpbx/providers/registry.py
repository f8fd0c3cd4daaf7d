"""Every provider face by name: its options (a `FaceOptions` over the face's pydantic model)
and how it names a call (for the truth).

The one registry the control plane's generic `/_mockpbx/{face}/options` route, the
app's baseline (`install_options`) and the truth (`FACE_IDS`: scenarios may not import
faces, so whoever may hands these to `scenarios.truth`) read; a new face adds its lines
here, and
`tests/mockpbx/control/test_face_options.py` checks the names equal the faces the app
mounts. Each face declares its own `OPTIONS` next to its model; this module only
lists them (explicit imports, no registration by side effect).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockpbx.providers.base import FaceOptions
from mockpbx.providers.clinic.schemas import OPTIONS as CLINIC_OPTIONS
from mockpbx.providers.mango import ids as mango_ids
from mockpbx.providers.mango.runtime import OPTIONS as MANGO_OPTIONS
from mockpbx.providers.uis import ids as uis_ids
from mockpbx.providers.uis.options import OPTIONS as UIS_OPTIONS
from mockpbx.scenarios.truth import FaceIds
from mockpbx.state import ServerState

__all__ = ["FACE_IDS", "FACE_OPTIONS", "install_options", "options_of"]

FACE_OPTIONS: Mapping[str, FaceOptions[Any]] = {
    spec.face: spec for spec in (UIS_OPTIONS, MANGO_OPTIONS, CLINIC_OPTIONS)
}


FACE_IDS: FaceIds = {
    "uis": uis_ids.call_ids,
    "mango": mango_ids.call_ids,
    "clinic": lambda call: None,  # the clinic API has no call id
}


def options_of(state: ServerState, face: str) -> Any:
    """The options in effect of `face` (KeyError: no such face). Faces read their own
    through their typed wrappers (`uis.options.options_of`, `mango.runtime.options`, ...)."""
    return FACE_OPTIONS[face].of(state)


def install_options(state: ServerState) -> None:
    """Every face's options in effect now become its baseline, restored by each reset."""
    for spec in FACE_OPTIONS.values():
        spec.install(state)
