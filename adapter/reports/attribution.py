"""The rules that tie calls to callers, channels and bookings (shared by the reports).

**New caller.** An incoming call is from a *new caller* when no patient with
the call's number existed when it started: no `patient_phones` row whose
patient has `created_at` NULL (in the base before the data starts) or
`created_at < started_at` (became a patient by a booking call that started
before this one; the booking call itself is still a new caller's).

**Who took a call.** The administrator's comment names who took it (it is
typed by the administrator who answered); without a comment, the employee
the provider reports (`employee_id`, UIS: the last employee who answered).
A missed call was taken by nobody; it is attributed to the administrator
whose SIP line it rang when the provider says (`sip_line`), else to nobody.

**Channel of a call** (incoming calls only), first rule that matches:

1. its virtual number is a static tracking number of a channel -> that channel;
2. its (utm_source, utm_medium, utm_campaign) equal a channel's configured
   tags (a NULL tag must be NULL), for channels that have a utm_source, in
   configuration order -> that channel;
3. it has a utm_source -> `other`, with the call's own source/medium/campaign;
4. it has a referrer -> `referral` (medium `referral`);
5. otherwise -> `direct`.

A row of the ad-channels report is (channel, source, medium, campaign):
the channel's configured tags for rules 1-2, the call's tags for rule 3,
(null, "referral", null) for 4 and (null, null, null) for 5.

**Booking attribution.** An appointment booked at `b` for patient P is
attributed to the latest *answered incoming* call from any of P's numbers
that started in `[b - booking_days, b]`, among the report's loaded calls
(so a later call outside the period takes the booking away from it). A call
counts as `booked` when at least one appointment is attributed to it, and
as `visited` when one of those appointments has a visit (linked by
`visit_appointments`; only when the data has no links at all, a visit of
P on the appointment's planned date). Revenue is the sum of the visits
linked to the attributed appointments. A *new patient* is a patient with `created_at`
set whose earliest appointment is attributed to a call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from adapter.reports.base import CallWindow, Part
from adapter.store.clinic import Channel

__all__ = [
    "NEW_CALLER",
    "Attributed",
    "attribute_bookings",
    "channel_sql",
    "taker_sql",
]

NEW_CALLER = (
    "NOT EXISTS (SELECT 1 FROM patient_phones pp JOIN patients pt ON pt.id = pp.patient_id "
    "WHERE pp.phone = {c}.contact_number "
    "AND (pt.created_at IS NULL OR pt.created_at < {c}.started_at))"
)

# a comment's author, else the answering employee; a missed call has no taker
TAKER = (
    "COALESCE((SELECT cc.author FROM call_comments cc WHERE cc.provider = {c}.provider "
    "AND cc.provider_call_id = {c}.provider_call_id), "
    "CASE WHEN {c}.answered THEN {c}.employee_id END)"
)


def taker_sql(alias: str) -> str:
    return TAKER.format(c=alias)


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _eq(column: str, value: str | None) -> str:
    return f"{column} IS NULL" if value is None else f"{column} = {_lit(value)}"


def channel_sql(channels: list[Channel], alias: str) -> str:
    """A SQL CASE giving each call's channel key by the rules in the module docstring."""
    c = alias
    whens = []
    for ch in channels:
        if ch.numbers:
            numbers = ", ".join(_lit(n) for n in ch.numbers)
            whens.append(f"WHEN {c}.virtual_number IN ({numbers}) THEN {_lit(ch.key)}")
    for ch in channels:
        if ch.utm_source is not None:
            cond = " AND ".join(
                _eq(f"{c}.{name}", getattr(ch, name))
                for name in ("utm_source", "utm_medium", "utm_campaign")
            )
            whens.append(f"WHEN {cond} THEN {_lit(ch.key)}")
    whens.append(f"WHEN {c}.utm_source IS NOT NULL THEN 'other'")
    whens.append(f"WHEN {c}.referrer IS NOT NULL THEN 'referral'")
    return "CASE " + " ".join(whens) + " ELSE 'direct' END"


@dataclass(slots=True)
class Attributed:
    """The bookings attributed to one call."""

    call: tuple[str, str]
    started: int = 0  # the call's start, epoch
    appointments: list[str] = field(default_factory=list)
    visited: bool = False
    revenue: Decimal = Decimal(0)
    new_patients: set[str] = field(default_factory=set)


def attribute_bookings(
    window: CallWindow,
    booking_days: int,
    extra: str = "",
    *,
    credit: tuple[int, int] | None = None,
    parts: list[Part] | None = None,
) -> tuple[dict[tuple[str, str], Attributed], dict[tuple[str, str], tuple[Any, ...]]]:
    """Attributed bookings per call key, and `extra` columns of those calls.

    Only calls that started in `credit` (default: the period) are returned;
    `extra` is a comma-led list of SQL expressions over the call (alias `s`);
    `parts` (default: the window's) are where the calls are looked up.
    """
    span = booking_days * 86400
    lo, hi = credit or (window.lo, window.hi)
    best: dict[str, tuple[int, tuple[str, str], tuple[Any, ...]]] = {}
    appt_info: dict[str, tuple[str, int | None, Any, bool]] = {}
    for part in window.parts if parts is None else parts:
        sql = (
            "SELECT a.id, a.patient_id, a.scheduled_at, pt.created_at, "
            "(SELECT a2.id FROM appointments a2 WHERE a2.patient_id = a.patient_id "
            "ORDER BY a2.booked_at, a2.id LIMIT 1), "
            "s.provider, s.provider_call_id, s.started_at" + extra + " "
            "FROM appointments a JOIN patients pt ON pt.id = a.patient_id "
            "JOIN patient_phones pp ON pp.patient_id = a.patient_id "
            f"JOIN {part.table} s ON s.contact_number = pp.phone "
            "WHERE a.booked_at >= :lo AND a.booked_at < :hi "
            "AND s.direction = 'in' AND s.answered "
            "AND s.started_at <= a.booked_at AND s.started_at >= a.booked_at - :span "
            f"AND {part.where('s')}"
        )
        for row in window.query(sql, lo=lo, hi=hi + span, span=span):
            appt, patient, planned, created = str(row[0]), str(row[1]), row[2], row[3]
            key, started = (row[5], row[6]), int(row[7])
            appt_info[appt] = (patient, planned, created, str(row[4]) == appt)
            known = best.get(appt)
            if known is None or (started, key) > (known[0], known[1]):
                best[appt] = (started, key, tuple(row[8:]))
    return _collect(window, best, appt_info, (lo, hi), span)


def _collect(
    window: CallWindow,
    best: dict[str, tuple[int, tuple[str, str], tuple[Any, ...]]],
    appt_info: dict[str, tuple[str, int | None, Any, bool]],
    credit: tuple[int, int],
    span: int,
) -> tuple[dict[tuple[str, str], Attributed], dict[tuple[str, str], tuple[Any, ...]]]:
    lo, hi = credit
    inside = {a: b for a, b in best.items() if lo <= b[0] < hi}
    visits = _visits(window, lo, hi + span)
    linked_data = bool(window.query("SELECT 1 FROM visit_appointments LIMIT 1"))
    out: dict[tuple[str, str], Attributed] = {}
    extras: dict[tuple[str, str], tuple[Any, ...]] = {}
    for appt, (started, key, extra) in sorted(inside.items()):
        patient, planned, created, first = appt_info[appt]
        got = out.setdefault(key, Attributed(key, started=started))
        extras[key] = extra
        got.appointments.append(appt)
        linked = visits.get(appt)
        if linked is None and not linked_data:
            linked = _same_day_visits(window, patient, planned)
        if linked:
            got.visited = True
            got.revenue += sum((amount for amount in linked), Decimal(0))
        if created is not None and first:
            got.new_patients.add(patient)
    return out, extras


def _visits(window: CallWindow, lo: int, hi: int) -> dict[str, list[Decimal]]:
    """Linked visits' sums per appointment booked in [lo, hi)."""
    sql = (
        "SELECT va.appointment_id, v.amount FROM appointments a "
        "JOIN visit_appointments va ON va.appointment_id = a.id "
        "JOIN visits v ON v.id = va.visit_id WHERE a.booked_at >= :lo AND a.booked_at < :hi"
    )
    out: dict[str, list[Decimal]] = {}
    for appt, amount in window.query(sql, lo=lo, hi=hi):
        out.setdefault(str(appt), []).append(Decimal(amount or 0))
    return out


def _same_day_visits(window: CallWindow, patient: str, planned: int | None) -> list[Decimal]:
    """Fallback without links: the patient's visits on the appointment's planned day."""
    if planned is None:
        return []
    day = datetime.fromtimestamp(planned, window.period.tz).date()
    lo = int(datetime.combine(day, time(0), window.period.tz).timestamp())
    hi = int(datetime.combine(day + timedelta(days=1), time(0), window.period.tz).timestamp())
    sql = (
        "SELECT v.amount FROM visits v WHERE v.patient_id = :p "
        "AND v.visit_at >= :lo AND v.visit_at < :hi"
    )
    return [Decimal(r[0] or 0) for r in window.query(sql, p=patient, lo=lo, hi=hi)]
