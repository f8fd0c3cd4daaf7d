"""Every provider face by name: its options (a `FaceOptions` over the face's pydantic model).

The one registry the control plane's generic `/_mockpbx/{face}/options` route and the
app's baseline (`install_options`) read; a new face adds its line here, and
`tests/mockpbx/control/test_face_options.py` checks the names equal the faces the app
mounts. Each face declares its own `OPTIONS` next to its model; this module only
lists them (explicit imports, no registration by side effect).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockpbx.providers.base import FaceOptions
from mockpbx.providers.clinic.schemas import OPTIONS as CLINIC_OPTIONS
from mockpbx.providers.mango.runtime import OPTIONS as MANGO_OPTIONS
from mockpbx.providers.uis.options import OPTIONS as UIS_OPTIONS
from mockpbx.state import ServerState

__all__ = ["FACE_OPTIONS", "install_options", "options_of"]

FACE_OPTIONS: Mapping[str, FaceOptions[Any]] = {
    spec.face: spec for spec in (UIS_OPTIONS, MANGO_OPTIONS, CLINIC_OPTIONS)
}


def options_of(state: ServerState, face: str) -> Any:
    """The options in effect of `face` (KeyError: no such face). Faces read their own
    through their typed wrappers (`uis.options.options_of`, `mango.runtime.options`, ...)."""
    return FACE_OPTIONS[face].of(state)


def install_options(state: ServerState) -> None:
    """Every face's options in effect now become its baseline, restored by each reset."""
    for spec in FACE_OPTIONS.values():
        spec.install(state)
