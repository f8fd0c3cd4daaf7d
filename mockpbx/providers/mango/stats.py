"""Call history as Mango renders it: the basic `;`-CSV and the extended JSON.

One CSV row per call (entry): the summary's parties, the call's times, its
recording ids and the reason its last leg ended. The extended JSON groups
calls per local day and details every leg (`context_calls`, `members`).
Plain calls (most of history) are rendered by the fast twins in fastrows.py;
the functions here are the reference, and render every other call.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from mockpbx.core.model import Call, CallKind, Direction, LegRole
from mockpbx.providers.mango.directory import Lookup, group_id
from mockpbx.providers.mango.events import summary
from mockpbx.providers.mango.fastrows import Fast, LocalDays
from mockpbx.providers.mango.ids import mango_entry_id, mango_recording_id
from mockpbx.providers.mango.legs import MLeg, leg_timing, mango_legs
from mockpbx.providers.mango.options import MangoOptions

__all__ = [
    "CSV_FIELDS",
    "DEFAULT_FIELDS",
    "PartyFilter",
    "call_item",
    "csv_body",
    "csv_leg_values",
    "csv_values",
    "day_chunks",
    "empty_day",
]

DEFAULT_FIELDS = [
    "records",
    "start",
    "finish",
    "answer",
    "from_extension",
    "from_number",
    "to_extension",
    "to_number",
    "disconnect_reason",
    "line_number",
    "location",
]
CSV_FIELDS = frozenset([*DEFAULT_FIELDS, "entry_id", "create"])


@dataclass(frozen=True, slots=True)
class PartyFilter:
    """The from / to / call_party filters of stats/request (empty values match anything)."""

    side: str  # from | to | any
    extension: str = ""
    number: str = ""

    def matches(self, row: dict[str, Any]) -> bool:
        sides = ("from", "to") if self.side == "any" else (self.side,)
        return any(self._side(row, s) for s in sides)

    def _side(self, row: dict[str, Any], side: str) -> bool:
        if self.extension and row[f"{side}_extension"] != self.extension:
            return False
        return not self.number or _digits(row[f"{side}_number"]) == _digits(self.number)


def _digits(value: str) -> str:
    return value if value.startswith("sip:") else "".join(ch for ch in value if ch.isdigit())


# -- basic CSV -----------------------------------------------------------------------------
def csv_values(call: Call, look: Lookup, options: MangoOptions) -> dict[str, Any]:
    """Every basic-stats column of `call`, by field name."""
    legs = mango_legs(call, look, steps=False)
    s = summary(call, legs, look)
    ids = [mango_recording_id(call.id)] if call.has_recording else []
    records = ",".join(ids)
    return {
        "records": f"[{records}]" if options.csv_records_brackets else records,
        "start": call.start_ts,
        "finish": call.end_ts,
        "answer": call.answer_ts or 0,
        "from_extension": s["from"].get("extension", ""),
        "from_number": s["from"].get("number", ""),
        "to_extension": s["to"].get("extension", ""),
        "to_number": s["to"].get("number", ""),
        "disconnect_reason": s["disconnect_reason"],
        "line_number": s.get("line_number") or "",
        "location": max(legs, key=lambda lg: lg.end).location if legs else "ivr",
        "entry_id": mango_entry_id(call.id),
        "create": call.start_ts,
    }


def csv_leg_values(call: Call, look: Lookup, options: MangoOptions) -> list[dict[str, Any]]:
    """One row per Mango leg (the `csv_rows: "leg"` option): same entry_id on each."""
    legs = mango_legs(call, look, steps=False)
    whole = csv_values(call, look, options)
    rows = []
    for leg in legs:
        row = dict(whole)
        row.update(
            start=leg.start,
            finish=leg.end,
            answer=leg.answer or 0,
            from_extension=leg.party_from.get("extension", ""),
            from_number=leg.party_from.get("number", ""),
            to_extension=leg.party_to.get("extension", ""),
            to_number=leg.party_to.get("number", ""),
            disconnect_reason=leg.reason,
            location=leg.location,
        )
        if leg.answer is None:
            row["records"] = "[]" if options.csv_records_brackets else ""
        rows.append(row)
    return rows


def csv_body(
    calls: Iterable[Call],
    look: Lookup,
    fields: Sequence[str],
    filters: Sequence[PartyFilter],
    options: MangoOptions,
) -> str:
    """The stats/result body: `;` between fields, one line per call (or leg), no header."""
    lines = []
    fast = Fast(look) if options.csv_rows == "call" else None
    for call in calls:
        if fast is not None:
            rows = [fast.csv_values(call, options) or csv_values(call, look, options)]
        else:
            rows = csv_leg_values(call, look, options)
        for row in rows:
            if not filters or all(f.matches(row) for f in filters):
                lines.append(";".join([str(row[name]) for name in fields]))
    body = options.csv_line_ending.join(lines)
    if options.csv_trailing_newline and body:
        body += options.csv_line_ending
    return body


# -- extended JSON -------------------------------------------------------------------------
_FLAGS = (
    "ModeListen",
    "ModePrompt",
    "ModeConference",
    "RecordInbound",
    "OutboundDialing",
    "Intercepted",
)


def _context_type(call: Call) -> int:
    return 1 if call.direction is Direction.IN and call.legs[0].role is LegRole.CONTACT else 2


def call_item(
    call: Call, look: Lookup, *, ext_fields: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """One `list[]` item of stats/calls/result."""
    legs = mango_legs(call, look, steps=False)
    incoming = _context_type(call) == 1
    caller = None if incoming else look.employees.get(legs[0].employee_id or -1)
    cost = round(call.talk_duration / 60 * 1.5, 2) if not incoming else 0
    item: dict[str, Any] = {
        "entry_id": mango_entry_id(call.id),
        "context_type": 1 if incoming else 2,
        "context_status": 1 if call.answer_ts is not None else 0,
        "caller_id": caller.mango_user_id if caller else None,
        "caller_name": caller.full_name if caller else call.contact_number,
        "caller_number": call.contact_number if incoming else legs[0].party_from.get("number"),
        "called_number": (call.virtual_number or "") if incoming else call.contact_number,
        "context_start_time": call.start_ts,
        "duration": call.total_duration,
        "talk_duration": call.talk_duration,
        "operator_call_duration": None,
        "context_init_type": 4 if call.kind is CallKind.CALLBACK else 0,
        "recall_status": 2,
        "cost": cost,
        "context_calls": _context_calls(call, legs, look, incoming),
    }
    if "context_cost_full" in ext_fields:
        item["context_cost_full"] = cost
    if "context_cost_tariff" in ext_fields:
        item["context_cost_tariff"] = cost
    return item


def _context_calls(call: Call, legs: list[MLeg], look: Lookup, incoming: bool) -> list[Any]:
    recordings = [mango_recording_id(call.id)] if call.has_recording else []
    if not incoming:
        return [_leg_entry(lg, look, "number", recordings, inbound=False) for lg in legs]
    members = [lg for lg in legs if lg.location == "abonent"]
    if not members:
        return []
    group = next((g for g in look.groups if g.clinic_id == call.clinic_id), None)
    entry = leg_timing(members[0].start, call.answer_ts, call.end_ts)
    entry.update(
        call_type="group",
        call_abonent_id=group.id if group else group_id(call.clinic_id),
        call_abonent_info=group.name if group else "",
        call_abonent_number=None,
        call_end_reason=max(legs, key=lambda lg: lg.end).reason,
        recording_id=recordings,
        external_call_id=legs[0].call_id,
        **_flags(inbound=True, group=True, blind=False, consult=False, ivr=True),
        members=[_leg_entry(lg, look, "user", recordings, inbound=True) for lg in members],
    )
    return [entry]


def _leg_entry(
    leg: MLeg, look: Lookup, kind: str, recordings: list[str], *, inbound: bool
) -> dict[str, Any]:
    emp = look.employees.get(leg.employee_id) if leg.employee_id is not None else None
    party = leg.party_to if inbound else leg.party_from
    entry = leg_timing(leg.start, leg.answer, leg.end)
    entry.update(
        call_type=kind,
        call_abonent_id=emp.mango_user_id if emp else None,
        call_abonent_info=emp.full_name if emp else party.get("number"),
        call_abonent_number=party.get("number"),
        call_end_reason=leg.reason,
        recording_id=recordings if leg.answer is not None and leg.employee_id else [],
        external_call_id=leg.call_id,
        **_flags(
            inbound=inbound,
            group=False,
            blind=leg.transfer == "blind",
            consult=leg.transfer == "consultative",
            ivr=False,
        ),
        members=None if kind == "user" else [],
    )
    return entry


@lru_cache(maxsize=64)
def _flags(*, inbound: bool, group: bool, blind: bool, consult: bool, ivr: bool) -> dict[str, bool]:
    """The leg's boolean flags (cached: a handful of combinations; never mutated)."""
    flags = dict.fromkeys(_FLAGS, False)
    flags.update(
        DirectionInbound=inbound,
        DirectionOutbound=not inbound,
        ModeConversation=not group,
        ModeGroup=group,
        RecordOutbound=True,
        BlindTransfer=blind,
        ConsultTransfer=consult,
        IvrNotUsed=not ivr,
    )
    return flags


def _chunk(day: str, totals: tuple[int, int, int]) -> dict[str, Any]:
    talk, duration, count = totals
    return {
        "list": [],
        "period": day,
        "total_talks_duration": talk,
        "total_calls_duration": duration,
        "total_calls_count": count,
    }


def empty_day(ts: int, tz: Any) -> dict[str, Any]:
    """The chunk of the local day of `ts` when a window has no calls at all."""
    return _chunk(datetime.fromtimestamp(ts, tz).date().isoformat(), (0, 0, 0))


def day_chunks(
    items: list[tuple[Call, dict[str, Any]]],
    totals: dict[str, tuple[int, int, int]],
    tz: Any,
) -> list[dict[str, Any]]:
    """Items grouped per local day, with that day's totals over every matching call."""
    chunks: dict[str, dict[str, Any]] = {}
    days = LocalDays(tz)
    for call, item in items:
        day = days.iso(call.start_ts)
        chunk = chunks.get(day)
        if chunk is None:
            chunk = chunks[day] = _chunk(day, totals.get(day, (0, 0, 0)))
        chunk["list"].append(item)
    return list(chunks.values())
