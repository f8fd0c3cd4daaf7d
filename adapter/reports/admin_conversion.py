"""Administrator conversion: how many first-time callers each administrator turned into bookings.

Over the period's incoming calls from *new callers* (rules in
`adapter.reports.attribution`), per administrator who took them:

    incoming_new    calls from new callers taken by (or, missed, rung on the line of) them
    answered        of those, answered
    booked          of those, calls with at least one attributed appointment
                    (booked within `booking_days` of the call, see "Booking attribution")
    visited         of the booked calls, those whose appointment has a visit
    conversion_pct  booked / incoming_new * 100, one decimal, half up (null for 0 calls)

Every administrator of the clinic data gets a row (zeros included); an
employee who is not an administrator but took new callers gets one too
(e.g. a doctor the provider names on a transferred call without a
comment). Missed calls nobody can be tied to form the last row, with
`employee_id` null. Totals are the sums; `conversion_pct` of the totals is
computed from them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import orjson

from adapter.reports.attribution import NEW_CALLER, Attributed, attribute_bookings, taker_sql
from adapter.reports.base import CallWindow, Part, Period, Report, ReportContext, open_window
from adapter.reports.rollup import booking_upto, read_rollup, unrolled
from adapter.store.clinic import StaffMember

__all__ = ["admin_conversion", "pct"]

COLUMNS = (
    "provider, provider_call_id, started_at, direction, answered, contact_number, "
    "employee_id, sip_line"
)
NOBODY = "(missed, no administrator)"


def pct(part: int, whole: int) -> float | None:
    """part / whole in percent, one decimal, rounded half up; None when whole is 0."""
    if whole == 0:
        return None
    value = (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return float(value)


async def admin_conversion(ctx: ReportContext, period: Period, *, booking_days: int = 7) -> Report:
    async with open_window(ctx, period, timedelta(days=booking_days)) as window:
        return await asyncio.to_thread(_report, ctx, window, booking_days)


def _report(ctx: ReportContext, window: CallWindow, booking_days: int) -> Report:
    """The report over an open window (SQL: runs in a worker thread)."""
    staff = ctx.clinic.staff()
    counts = _incoming_new(window, staff)
    for who, booked, visited in _booked(window, staff, booking_days):
        row = counts.setdefault(who, [0, 0, 0, 0])
        row[2] += booked
        row[3] += visited
    rows = _rows(counts, staff)
    return Report(
        "admin-conversion",
        window.period,
        window.sources,
        rows,
        _totals(rows),
        {"booking_days": booking_days},
    )


def _booked(
    window: CallWindow, staff: dict[str, StaffMember], days: int
) -> list[tuple[str | None, int, int]]:
    """(administrator, booked, visited): rolled-up settled days, then the rest."""
    upto = booking_upto(window, days)
    rolled = read_rollup(
        window, f"admbk:{days}", lambda w, a, b: _build_booked(w, staff, days, a, b),
        upto, depends=days + 1,
    )  # fmt: skip
    out = [(orjson.loads(key)[0], n, m) for _, key, n, m, _ in rolled or []]
    for credit in unrolled(window, upto, rolled is not None):
        out += [(who, 1, int(got.visited)) for who, got in _attributed(window, staff, days, credit)]
    return out


def _attributed(
    window: CallWindow,
    staff: dict[str, StaffMember],
    days: int,
    credit: tuple[int, int],
    parts: list[Part] | None = None,
) -> list[tuple[str | None, Attributed]]:
    """Booked new-caller calls credited in `credit`, with who took them."""
    extra = (
        f", {taker_sql('s')}, s.sip_line, CASE WHEN {NEW_CALLER.format(c='s')} THEN 1 ELSE 0 END"
    )
    attributed, extras = attribute_bookings(window, days, extra, credit=credit, parts=parts)
    return [
        (_who(extras[key][0], extras[key][1], staff), got)
        for key, got in attributed.items()
        if extras[key][2]
    ]


def _build_booked(
    window: CallWindow, staff: dict[str, StaffMember], days: int, first: date, last: date
) -> list[Any]:
    """The `admbk` rollup of settled days: (day, [who], booked, visited, None)."""
    tz = window.period.tz
    lo = int(datetime.combine(first, time(0), tz).timestamp())
    hi = int(datetime.combine(last + timedelta(days=1), time(0), tz).timestamp())
    out: dict[tuple[date, str], list[int]] = {}
    for who, got in _attributed(
        window, staff, days, (lo, hi), [Part("calls", lo, hi + days * 86400)]
    ):
        day = datetime.fromtimestamp(got.started, tz).date()
        entry = out.setdefault((day, orjson.dumps([who]).decode()), [0, 0])
        entry[0] += 1
        entry[1] += int(got.visited)
    return [(day, key, n, m, None) for (day, key), (n, m) in out.items()]


def _incoming_new(window: CallWindow, staff: dict[str, StaffMember]) -> dict[str | None, list[int]]:
    """[incoming_new, answered, booked, visited] per administrator (None: nobody)."""
    out: dict[str | None, list[int]] = {}
    rolled = read_rollup(window, "adm", lambda w, a, b: _build(w, staff, a, b))
    for _, key, n, answered, _ in rolled or []:
        row = out.setdefault(orjson.loads(key)[0], [0, 0, 0, 0])
        row[0] += n
        row[1] += answered
    source = window.union(COLUMNS, hi=window.hi, live_only=rolled is not None)
    for _, who, n, answered in _grouped(window, staff, source, False):
        row = out.setdefault(who, [0, 0, 0, 0])
        row[0] += n
        row[1] += answered
    return out


def _grouped(
    window: CallWindow, staff: dict[str, StaffMember], source: str, by_day: bool
) -> list[tuple[Any, str | None, int, int]]:
    """(day or None, administrator, new-caller calls, answered) from the calls of `source`."""
    day = "local_date, " if by_day else ""
    sql = (
        f"SELECT {day}taker, line, answered, COUNT(*) FROM ("
        f"SELECT {'c.local_date, ' if by_day else ''}{taker_sql('c')} AS taker, "
        "CASE WHEN c.answered THEN NULL ELSE c.sip_line END AS line, c.answered AS answered "
        f"FROM ({source}) c "
        f"WHERE c.direction = 'in' AND {NEW_CALLER.format(c='c')}"
        f") x GROUP BY {day}taker, line, answered"
    )
    out: dict[tuple[Any, str | None], list[int]] = {}
    for row in window.query(sql):
        when = row[0] if by_day else None
        taker, line, answered, n = row[1:] if by_day else row
        entry = out.setdefault((when, _who(taker, line, staff)), [0, 0])
        entry[0] += int(n)
        entry[1] += int(n) if answered else 0
    return [(when, who, n, m) for (when, who), (n, m) in out.items()]


def _build(window: CallWindow, staff: dict[str, StaffMember], first: date, last: date) -> list[Any]:
    """The `adm` rollup of the cached days first..last: (day, [who], calls, answered, None)."""
    source = (
        f"SELECT local_date, {COLUMNS} FROM calls "
        f"WHERE local_date >= '{first.isoformat()}' AND local_date <= '{last.isoformat()}'"
    )
    return [
        (_as_date(when), orjson.dumps([who]).decode(), n, m, None)
        for when, who, n, m in _grouped(window, staff, source, True)
    ]


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _who(taker: Any, line: Any, staff: dict[str, StaffMember]) -> str | None:
    if taker is not None:
        return str(taker)
    if line:
        return _line_owner(str(line), staff.values())
    return None


def _line_owner(line: str, staff: Iterable[StaffMember]) -> str | None:
    digits = "".join(ch for ch in line if ch.isdigit())
    for member in staff:
        for own in member.sip_lines:
            if own == line or (digits and "".join(ch for ch in own if ch.isdigit()) == digits):
                return member.id
    return None


def _rows(
    counts: dict[str | None, list[int]], staff: dict[str, StaffMember]
) -> list[dict[str, Any]]:
    ids = {s.id for s in staff.values() if s.role == "administrator"}
    ids |= {k for k in counts if k is not None}
    rows = [_row(i, staff[i].name if i in staff else i, counts.get(i)) for i in ids]
    rows.sort(key=lambda r: (str(r["employee"]), str(r["employee_id"])))
    if None in counts:
        rows.append(_row(None, NOBODY, counts[None]))
    return rows


def _row(employee_id: str | None, name: str, values: list[int] | None) -> dict[str, Any]:
    incoming, answered, booked, visited = values or [0, 0, 0, 0]
    return {
        "employee_id": employee_id,
        "employee": name,
        "incoming_new": incoming,
        "answered": answered,
        "booked": booked,
        "visited": visited,
        "conversion_pct": pct(booked, incoming),
    }


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    sums = {k: sum(r[k] for r in rows) for k in ("incoming_new", "answered", "booked", "visited")}
    return {**sums, "conversion_pct": pct(sums["booked"], sums["incoming_new"])}
