"""How each face names a call, for the truth (`scenarios.truth.calls_truth`).

The truth lists every call with the ids each face shows for it. Scenarios may
not import faces, so the faces' namers are gathered here and handed to the
truth by those who may import faces (control, the CLI, `testing`).
"""

from __future__ import annotations

from mockpbx.providers.mango import ids as mango
from mockpbx.providers.uis import ids as uis
from mockpbx.scenarios.truth import FaceIds

__all__ = ["FACE_IDS"]

FACE_IDS: FaceIds = {
    "uis": uis.call_ids,
    "mango": mango.call_ids,
    "clinic": lambda call: None,  # the clinic API has no call id
}
