"""UIS's names of a call: the world's call id is both its `call_session_id` and its
`communication_id` (Data API reports, Call API). `call_ids` is how the truth names
a call for UIS (`mockpbx/providers/registry.py`).
"""

from __future__ import annotations

from typing import Any

from mockpbx.core.model import Call

__all__ = ["call_ids"]


def call_ids(call: Call) -> dict[str, Any]:
    """The call as UIS names it."""
    return {"call_session_id": call.id, "communication_id": call.id}
