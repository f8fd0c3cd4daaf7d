"""Advertising channels and sources: which ads bring calls, patients and money.

One row per (channel, source, medium, campaign), by the channel rules in
`adapter.reports.attribution`, over the period's incoming calls:

    calls            incoming calls attributed to the row
    unique_callers   distinct caller numbers among them
    new_patients     patients (not in the base before) whose first appointment
                     is attributed to one of the row's calls
    booked           the row's calls with at least one attributed appointment
    visited          of those, calls whose appointment has a visit
    revenue          sum of the visits linked to the row's attributed appointments
    spend            the channel's ad spend over the period's days (null: unknown)
    cost_per_call    spend / calls              (2 decimals; null without spend or calls)
    cost_per_patient spend / new_patients       (2 decimals; null without spend or patients)
    roi_pct          (revenue - spend) / spend * 100   (1 decimal; null without spend)

Configured channels without calls still get a row (their spend shows).
With a provider that gives no UTM tags, a note says so and `options`
lists the UTM columns as `unavailable_columns`.
Rows are sorted by calls (descending), then channel, source, medium,
campaign. Totals sum the rows, except `unique_callers` (distinct over all
calls, so less than the column's sum when a number called through two
channels) and the ratios: `cost_per_call`, `cost_per_patient` and `roi_pct`
of the totals are computed over the rows that have a spend only (their
spend, calls, new patients and revenue).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import orjson

from adapter.reports.attribution import Attributed, attribute_bookings, channel_sql
from adapter.reports.base import CallWindow, Part, Period, Report, ReportContext, open_window
from adapter.reports.rollup import booking_upto, read_rollup, unrolled
from adapter.reports.unavailable import TRACKING_COLUMNS, tracking_note
from adapter.store.clinic import Channel

__all__ = ["ad_channels"]

COLUMNS = (
    "started_at, direction, contact_number, virtual_number, "
    "utm_source, utm_medium, utm_campaign, referrer"
)
FIXED = {"referral": (None, "referral", None), "direct": (None, None, None)}
Key = tuple[str, str | None, str | None, str | None]


async def ad_channels(ctx: ReportContext, period: Period, *, booking_days: int = 7) -> Report:
    async with open_window(ctx, period, timedelta(days=booking_days)) as window:
        return await asyncio.to_thread(_report, ctx, window, booking_days)


def _report(ctx: ReportContext, window: CallWindow, booking_days: int) -> Report:
    """The report over an open window (SQL: runs in a worker thread)."""
    period, clinic = window.period, ctx.clinic
    channels = clinic.channels()
    rows = _calls(window, channels)
    _bookings(window, channels, rows, booking_days)
    last = min(period.last, window.now.astimezone(period.tz).date())
    spend = clinic.spend(period.first, last)
    out = [_finish(key, values, spend) for key, values in rows.items()]
    out.sort(key=lambda r: (-r["calls"], *(str(r[k] or "") for k in _KEYS)))
    totals = _totals(out, len(_everyone(rows)))
    options: dict[str, Any] = {"booking_days": booking_days}
    note = tracking_note(ctx.source, *_tagged(window))
    if note is not None:
        window.sources.notes.append(note)
        options["unavailable_columns"] = list(TRACKING_COLUMNS)
    return Report("ad-channels", period, window.sources, out, totals, options)


_KEYS = ("channel", "source", "medium", "campaign")


def _row_key(channel: str, src: Any, med: Any, camp: Any, by_key: dict[str, Channel]) -> Key:
    configured = by_key.get(channel)
    if configured is not None:
        return (channel, configured.utm_source, configured.utm_medium, configured.utm_campaign)
    if channel in FIXED:
        return (channel, *FIXED[channel])
    return (channel, src, med, camp)


def _empty() -> dict[str, Any]:
    return {"calls": 0, "unique_callers": 0, "phones": set(), "new_patients": set(), "booked": 0}


def _calls(window: CallWindow, channels: list[Channel]) -> dict[Key, dict[str, Any]]:
    """Calls and distinct callers per row: daily rollups for the cache, calls for the rest."""
    by_key = {c.key: c for c in channels}
    rows: dict[Key, dict[str, Any]] = {_row_key(c.key, 0, 0, 0, by_key): _empty() for c in channels}
    rolled = read_rollup(window, "ch", lambda w, a, b: _build(w, channels, a, b))
    keyed: dict[str, dict[str, Any]] = {}  # a rollup key -> its row (few keys, many days)
    for _, key, n, _, contacts in rolled or []:
        row = keyed.get(key)
        if row is None:
            channel, src, med, camp = orjson.loads(key)
            row = keyed[key] = rows.setdefault(_row_key(channel, src, med, camp, by_key), _empty())
        row["calls"] += n
        row["phones"].update(contacts or ())
    sql = _grouped(channels, window.union(COLUMNS, hi=window.hi, live_only=rolled is not None))
    for channel, src, med, camp, phone, n in window.query(sql):
        row = rows.setdefault(_row_key(channel, src, med, camp, by_key), _empty())
        row["calls"] += int(n)
        if phone:
            row["phones"].add(phone_key(phone))
    for row in rows.values():
        row.update(unique_callers=len(row["phones"]), visited=0, revenue=Decimal(0))
    return rows


def _everyone(rows: dict[Key, dict[str, Any]]) -> set[int | str]:
    """The distinct callers over all rows (a copy of the largest set, then the others)."""
    sets = sorted((values["phones"] for values in rows.values()), key=len, reverse=True)
    return set(sets[0]).union(*sets[1:]) if sets else set()


def _grouped(channels: list[Channel], source: str, by_day: bool = False) -> str:
    """Incoming calls grouped by (day,) row key and caller number."""
    ch = channel_sql(channels, "c")
    day = "c.local_date, " if by_day else ""
    other = [f"CASE WHEN {ch} = 'other' THEN c.{col} END" for col in _UTM]
    return (
        f"SELECT {day}{ch}, {', '.join(other)}, c.contact_number, COUNT(*) "
        f"FROM ({source}) c WHERE c.direction = 'in' "
        f"GROUP BY {day}{ch}, {', '.join(other)}, c.contact_number"
    )


_UTM = ("utm_source", "utm_medium", "utm_campaign")


def _build(window: CallWindow, channels: list[Channel], first: date, last: date) -> list[Any]:
    """The `ch` rollup of the cached days first..last: (day, key, calls, 0, callers)."""
    source = (
        f"SELECT local_date, {COLUMNS} FROM calls "
        f"WHERE local_date >= '{first.isoformat()}' AND local_date <= '{last.isoformat()}'"
    )
    out: dict[tuple[Any, str], list[Any]] = {}
    for day, channel, src, med, camp, phone, n in window.query(_grouped(channels, source, True)):
        key = orjson.dumps([channel, src, med, camp]).decode()
        entry = out.setdefault((_as_date(day), key), [0, set()])
        entry[0] += int(n)
        if phone:
            entry[1].add(phone_key(phone))
    return [(day, key, n, 0, phones) for (day, key), (n, phones) in out.items()]


def phone_key(phone: str) -> int | str:
    """A caller number as the rollups keep it: E.164 as an integer (compact, quick to
    compare), anything else verbatim. Distinct numbers stay distinct."""
    digits = phone[1:]
    return int(digits) if phone[:1] == "+" and digits.isdigit() else phone


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _bookings(
    window: CallWindow, channels: list[Channel], rows: dict[Key, dict[str, Any]], days: int
) -> None:
    """Bookings, visits, revenue, new patients: rolled-up settled days, then the rest."""
    by_key = {c.key: c for c in channels}
    found: list[tuple[list[Any], int, int, Decimal, Iterable[str]]] = []
    upto = booking_upto(window, days)
    rolled = read_rollup(
        window, f"chbk:{days}", lambda w, a, b: _build_bookings(w, channels, days, a, b),
        upto, depends=days + 1,
    )  # fmt: skip
    for _, key, n, m, extra in rolled or []:
        found.append((orjson.loads(key), n, m, Decimal(extra["revenue"]), extra["new"]))
    for credit in unrolled(window, upto, rolled is not None):
        for (channel, src, med, camp), got in _attributed(window, channels, days, credit):
            found.append(([channel, src, med, camp], 1, int(got.visited), got.revenue,
                          got.new_patients))  # fmt: skip
    for (channel, src, med, camp), n, m, revenue, new in found:
        row = rows.setdefault(_row_key(channel, src, med, camp, by_key), _empty())
        row.setdefault("visited", 0)
        row.setdefault("revenue", Decimal(0))
        row["booked"] += n
        row["visited"] += m
        row["revenue"] += revenue
        row["new_patients"].update(new)


def _attributed(
    window: CallWindow,
    channels: list[Channel],
    days: int,
    credit: tuple[int, int],
    parts: list[Part] | None = None,
) -> list[tuple[tuple[Any, ...], Attributed]]:
    extra = f", {channel_sql(channels, 's')}, s.utm_source, s.utm_medium, s.utm_campaign"
    attributed, extras = attribute_bookings(window, days, extra, credit=credit, parts=parts)
    return [(extras[key], got) for key, got in attributed.items()]


def _build_bookings(
    window: CallWindow, channels: list[Channel], days: int, first: date, last: date
) -> list[Any]:
    """The `chbk` rollup of settled days: (day, key, booked, visited, {revenue, new})."""
    tz = window.period.tz
    lo = int(datetime.combine(first, time(0), tz).timestamp())
    hi = int(datetime.combine(last + timedelta(days=1), time(0), tz).timestamp())
    part = Part("calls", lo, hi + days * 86400)
    out: dict[tuple[date, str], list[Any]] = {}
    for key, got in _attributed(window, channels, days, (lo, hi), [part]):
        day = datetime.fromtimestamp(got.started, tz).date()
        entry = out.setdefault((day, orjson.dumps(list(key)).decode()), [0, 0, Decimal(0), set()])
        entry[0] += 1
        entry[1] += int(got.visited)
        entry[2] += got.revenue
        entry[3] |= got.new_patients
    return [
        (day, key, n, m, {"revenue": str(revenue), "new": sorted(new)})
        for (day, key), (n, m, revenue, new) in out.items()
    ]


def _money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"), ROUND_HALF_UP))


def _ratio(num: Decimal, den: int | Decimal, places: str) -> float | None:
    if den == 0:
        return None
    return float((num / Decimal(den)).quantize(Decimal(places), ROUND_HALF_UP))


def _tagged(window: CallWindow) -> tuple[int, int]:
    """(incoming calls of the period, those carrying any UTM tag or a referrer)."""
    tags = " OR ".join(f"{c} IS NOT NULL" for c in (*_UTM, "referrer"))
    sql = window.union(
        f"CASE WHEN {tags} THEN 1 ELSE 0 END AS tagged", cond="direction = 'in'", hi=window.hi
    )
    ((incoming, tagged),) = window.query(
        f"SELECT COUNT(*), COALESCE(SUM(tagged), 0) FROM ({sql}) c"
    )
    return int(incoming), int(tagged)


def _finish(key: Key, values: dict[str, Any], spend: dict[str, Decimal]) -> dict[str, Any]:
    channel, source, medium, campaign = key
    cost = spend.get(channel)
    new = len(values["new_patients"])
    revenue = values.get("revenue", Decimal(0))
    row = {
        "channel": channel,
        "source": source,
        "medium": medium,
        "campaign": campaign,
        "calls": values["calls"],
        "unique_callers": values["unique_callers"],
        "new_patients": new,
        "booked": values["booked"],
        "visited": values.get("visited", 0),
        "revenue": _money(revenue),
    }
    return row | _costs(cost, row["calls"], new, revenue)


def _costs(cost: Decimal | None, calls: int, new: int, revenue: Decimal) -> dict[str, Any]:
    if cost is None:
        return {"spend": None, "cost_per_call": None, "cost_per_patient": None, "roi_pct": None}
    return {
        "spend": _money(cost),
        "cost_per_call": _ratio(cost, calls, "0.01"),
        "cost_per_patient": _ratio(cost, new, "0.01"),
        "roi_pct": _ratio((revenue - cost) * 100, cost, "0.1"),
    }


def _totals(rows: list[dict[str, Any]], unique: int) -> dict[str, Any]:
    """Sums, distinct callers, and the ratios over the rows that have a spend only (so
    one channel's spend is never divided by every channel's calls and revenue)."""
    sums = {k: sum(r[k] for r in rows) for k in ("calls", "new_patients", "booked", "visited")}
    revenue = sum((Decimal(str(r["revenue"])) for r in rows), Decimal(0))
    out = {**sums, "unique_callers": unique, "revenue": _money(revenue)}
    paid = [r for r in rows if r["spend"] is not None]
    if not paid:
        return out | _costs(None, 0, 0, Decimal(0))
    cost = sum((Decimal(str(r["spend"])) for r in paid), Decimal(0))
    paid_revenue = sum((Decimal(str(r["revenue"])) for r in paid), Decimal(0))
    calls = sum(r["calls"] for r in paid)
    new = sum(r["new_patients"] for r in paid)
    return out | _costs(cost, calls, new, paid_revenue)
