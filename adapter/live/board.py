"""The window's rows: the calls a workstation sees now, each with its caller's card and comment.

`Provider.current_calls()` gives the calls (UIS `list.calls`, the Mango
events board fed by the signed receiver, the clinic API's ongoing calls);
cards and comments come from the store, read in a worker thread so the
event loop (and the Mango receiver on it) never waits for SQL.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapter.errors import CapabilityError
from adapter.live.card import CallerCard, caller_card
from adapter.live.workstations import Workstation
from adapter.model import LiveCall
from adapter.providers.base import Capability, Provider
from adapter.store.clinic import CallComment, ClinicStore

__all__ = ["WindowRow", "snapshot"]


@dataclass(frozen=True, slots=True)
class WindowRow:
    call: LiveCall
    card: CallerCard
    comment: CallComment | None

    def as_json(self, now: datetime) -> dict[str, Any]:
        c = self.call
        return {
            "provider": c.provider,
            "call_id": c.provider_call_id,
            "state": c.state.value,
            "direction": c.direction.value,
            "started_at": c.started_at.isoformat(),
            "seconds": max(0, int((now - c.started_at).total_seconds())),
            "phone": c.contact_number,
            "virtual_number": c.virtual_number,
            "sip_line": c.sip_line,
            "employee_id": c.employee_id,
            "employee": c.employee_name,
            "card": self.card.as_json(now.date()),
            "comment": None
            if self.comment is None
            else {"call_type": self.comment.call_type, "topic": self.comment.topic},
        }


async def snapshot(
    source: Provider, clinic: ClinicStore, workstation: Workstation | None, now: datetime
) -> list[WindowRow]:
    """The calls the workstation sees now (all with `workstation` None), oldest first."""
    if Capability.CURRENT_CALLS not in source.capabilities:
        raise CapabilityError(
            f"{source.name}: this provider (as configured) cannot list current calls; "
            "the live window needs UIS with the Call API URL, Mango with the events "
            "receiver, or a clinic API with ongoing calls"
        )
    calls = await source.current_calls()
    shown = [c for c in calls if workstation is None or workstation.shows(c)]
    shown.sort(key=lambda c: (c.started_at, c.provider_call_id))
    return await asyncio.to_thread(_rows, clinic, shown, now)


def _rows(clinic: ClinicStore, shown: list[LiveCall], now: datetime) -> list[WindowRow]:
    """Each call with its caller's card and comment (SQL: runs in a worker thread)."""
    comments = clinic.comments([(c.provider, c.provider_call_id) for c in shown])
    return [
        WindowRow(
            c,
            caller_card(clinic, c.contact_number, now),
            comments.get((c.provider, c.provider_call_id)),
        )
        for c in shown
    ]
