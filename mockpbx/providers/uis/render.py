"""Rows of `get.calls_report`, `get.call_legs_report` and `get.communications_report`, fast.

The fields are typed Python (`fields.py`): constants, and parts that fill in
the others, each field behind its list's `Want` flag. For each requested
field list a `Plan` is derived once: the row dict with the fields in wire
order and the constants already set, the `Want` of the fields that vary,
and the parts that fill at least one of them. A row is a copy of that dict
with the parts run on it (one call per part, not per field); orjson
serializes it. A cold page is mostly the cost of the parts, so per-call
figures several fields share are computed once (`Facts`, only the groups the
list needs) and lookups are memoized per request. Rows of calls that have
ended never change, so their JSON is kept in a bounded cache (`RowCache`)
keyed by (id, field list, origin); a warm page is a join of cached bytes.

Members of a row come in this order: the fields that vary, then the constant
ones (JSON objects are unordered; the real API's order is not documented);
for a call without a web visit, the fields null without one come after the
other varying ones. `Plan.row` gives the fields in the order asked (filters,
sort, calls in progress).
Rows of calls still in progress (`include_ongoing_calls`) show the call so
far: `finish_time`/`finish_reason` null, no recording yet, `is_lost` false.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

import orjson

from mockpbx.core.model import Call, Leg
from mockpbx.providers.uis.context import (
    Facts,
    RenderContext,
    clock,
    scenario_operation,
    wall_clock,
)
from mockpbx.providers.uis.fields import (
    TABLES,
    CallPart,
    FactsPart,
    LegFactsPart,
    LegPart,
    VisitPart,
    want,
)

__all__ = [
    "Facts",
    "Plan",
    "RenderContext",
    "clock",
    "getter",
    "plan",
    "render_page",
    "scenario_operation",
    "wall_clock",
]

Row = Any  # a Call (calls and communications reports) or a (Call, Leg) pair (legs report)

_ids = itertools.count(1)


class Plan:
    """How to render the rows of one field list, derived once from the report's table.

    Two prebuilt dicts hold the fields in wire order, the constants already
    set: `_visited` for a call with a web visit, `_bare` for one without
    (there the fields null without a visit stay null: the visit parts do not
    run). `values` copies one and runs the parts that fill a field asked for.
    """

    __slots__ = (
        "_bare",
        "_call",
        "_facts",
        "_figures",
        "_leg",
        "_leg_facts",
        "_names",
        "_needs",
        "_visit",
        "_visit_facts",
        "_visit_needs",
        "_visited",
        "_want",
        "fields_id",
        "kind",
        "values",
    )
    _call: CallPart | None
    _figures: CallPart | None
    _visit: VisitPart | None
    _facts: FactsPart | None
    _visit_facts: FactsPart | None
    _leg: LegPart | None
    _leg_facts: LegFactsPart | None

    def __init__(self, kind: str, names: tuple[str, ...]) -> None:
        table = TABLES[kind]
        documented = set(table.fields)
        # A name outside the table (an undocumented field let through) renders null.
        consts = {
            n: table.constants.get(n) for n in names if n not in documented or n in table.constants
        }
        varying = [n for n in names if n not in consts]
        late = [n for n in varying if table.visit_only(n)]  # null without a visit
        self.kind = kind
        self.fields_id = next(_ids)
        self._names = names
        self._visited: dict[str, Any] = {**dict.fromkeys(varying), **consts}
        self._bare: dict[str, Any] = {
            **dict.fromkeys(n for n in varying if n not in late),
            **dict.fromkeys(late),
            **consts,
        }
        self._want = want(set(varying))
        asked = set(varying)
        needs = table.needs
        self._needs = _union(needs[n] for n in asked & set(table.parts.get("facts", ())))
        self._needs |= _union(needs[n] for n in asked & set(table.parts.get("leg_facts", ())))
        self._visit_needs = _union(
            needs[n] for n in asked & set(table.parts.get("visit_facts", ()))
        )

        def used(part: str) -> bool:
            """Whether the part fills in a field asked for (else it is not run)."""
            return bool(asked & set(table.parts.get(part, ())))

        self._call = table.call if used("call") else None
        self._figures = table.call_figures if used("call_figures") else None
        self._visit = table.visit if used("visit") else None
        self._facts = table.facts if used("facts") else None
        self._visit_facts = table.visit_facts if used("visit_facts") else None
        self._leg = table.leg if used("leg") else None
        self._leg_facts = table.leg_facts if used("leg_facts") else None
        self.values: Callable[[Row, RenderContext], dict[str, Any]] = (
            self._leg_values if kind == "leg" else self._call_values
        )

    def _call_values(self, c: Call, x: RenderContext) -> dict[str, Any]:
        """A calls or communications report row in wire order."""
        w, v = self._want, c.visit
        if v is None:
            d = self._bare.copy()
        else:
            d = self._visited.copy()
            if self._visit is not None:
                self._visit(d, w, c, v)
        if self._call is not None:
            self._call(d, w, c, x)
        if self._figures is not None:
            self._figures(d, w, c, x)
        if self._facts is not None or (v is not None and self._visit_facts is not None):
            f = x.facts(c, self._needs if v is None else self._needs | self._visit_needs)
            if self._facts is not None:
                self._facts(d, w, f)
            if v is not None and self._visit_facts is not None:
                self._visit_facts(d, w, f)
        return d

    def _leg_values(self, row: tuple[Call, Leg], x: RenderContext) -> dict[str, Any]:
        """A legs report row in wire order."""
        c, leg = row
        d = self._bare.copy()
        if self._leg is not None:
            self._leg(d, self._want, c, leg, x)
        if self._leg_facts is not None:
            self._leg_facts(d, self._want, leg, x.facts(c, self._needs))
        return d

    def row(self, row: Row, x: RenderContext) -> dict[str, Any]:
        """The row's fields in the order asked."""
        d = self.values(row, x)
        return {name: d[name] for name in self._names}

    def dump(self, row: Row, x: RenderContext) -> bytes:
        """The row's JSON object."""
        return orjson.dumps(self.values(row, x))


def _union(groups: Iterable[int]) -> int:
    out = 0
    for group in groups:
        out |= group
    return out


@lru_cache(maxsize=512)
def plan(kind: str, names: tuple[str, ...]) -> Plan:
    """The plan of `names` for `kind` ("call", "leg" or "comm"), derived once."""
    return Plan(kind, names)


def getter(kind: str, name: str, x: RenderContext) -> Callable[[Row], Any]:
    """The value of one field of a row (for filters and sort)."""
    values = plan(kind, (name,)).values
    return lambda row: values(row, x)[name]


def _call_of(row: Row) -> Call:
    call: Call = row[0] if isinstance(row, tuple) else row
    return call


def _ongoing(row: Row, now: int) -> Row:
    """A copy of a live call (or leg) cut at `now`: what a report can show so far."""

    def cut(leg: Leg) -> Leg:
        answer = leg.answer_ts if leg.answer_ts is not None and leg.answer_ts <= now else None
        return replace(leg, end_ts=min(leg.end_ts, now), answer_ts=answer)

    call = _call_of(row)
    answer = call.answer_ts if call.answer_ts is not None and call.answer_ts <= now else None
    snap = replace(
        call,
        legs=[cut(leg) for leg in call.legs if leg.start_ts <= now],
        end_ts=now,
        answer_ts=answer,
    )
    if isinstance(row, tuple):
        return snap, cut(row[1])
    return snap


_ONGOING_OVERRIDES: dict[str, Any] = {
    "finish_time": None,
    "finish_reason": None,
    "is_lost": False,
    "call_records": [],
    "wav_call_records": [],
    "full_record_file_link": None,
}


# Rows per orjson call on a cold page. Measured on 1,000-row pages in-process: 8 rows
# ~9.7 ms, 1 row ~10.3 ms, 128 rows ~12.8 ms; a whole page makes megabyte buffers
# (fresh memory, copied again when spliced), small chunks stay in reused, cached memory.
_CHUNK = 8


def render_page(
    rows: Sequence[Row], kind: str, names: tuple[str, ...], x: RenderContext
) -> list[bytes]:
    """The rows' JSON with the fields `names`, as comma-separated chunks to splice into a list.

    With the row cache on, one chunk per row, ended calls' rows from the cache;
    with it off, one chunk per `_CHUNK` rows.
    """
    p = plan(kind, names)
    cache, now = x.cache, x.now
    if not cache.enabled:  # cold: serialize rows a chunk at a time, nothing to keep
        values, dumps = p.values, orjson.dumps
        ends = [row[0].end_ts for row in rows] if kind == "leg" else [c.end_ts for c in rows]
        if max(ends, default=now) <= now:  # no call in progress (the usual page)
            return [
                dumps([values(row, x) for row in rows[i : i + _CHUNK]])[1:-1]
                for i in range(0, len(rows), _CHUNK)
            ]
        return [
            dumps(
                [
                    values(row, x) if end <= now else _ongoing_dict(p, row, x)
                    for row, end in zip(rows[i : i + _CHUNK], ends[i : i + _CHUNK], strict=True)
                ]
            )[1:-1]
            for i in range(0, len(rows), _CHUNK)
        ]
    slot = cache.slot(p.fields_id, x.origin_id)
    get = cache.get
    if kind == "leg":
        parts = [get(leg.id << 10 | slot) for _, leg in rows]
    else:
        parts = [get(call.id << 10 | slot) for call in rows]
    for i, part in enumerate(parts):
        if part is not None:
            continue
        row = rows[i]
        call = _call_of(row)
        if call.end_ts > now:
            parts[i] = orjson.dumps(_ongoing_dict(p, row, x))
            continue
        data = parts[i] = p.dump(row, x)
        cache.put((row[1].id if kind == "leg" else call.id) << 10 | slot, data)
    return parts  # type: ignore[return-value]


def _ongoing_dict(p: Plan, row: Row, x: RenderContext) -> dict[str, Any]:
    """A row of a call still in progress (never cached: it changes until the call ends)."""
    out = p.row(_ongoing(row, x.now), x)
    if not isinstance(row, tuple):
        for name, value in _ONGOING_OVERRIDES.items():
            if name in out:
                out[name] = value
    return out
