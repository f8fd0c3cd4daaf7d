"""Contact history (CRM): every call of a patient, a phone, or a whole period.

Every call on any line with any employee (the live window's SIP-line
filtering never applies here), oldest first. A row:

    time          start, ISO 8601 in the report's timezone
    direction     in | out | internal
    phone         the outside party, E.164
    patient       the patient's name when the number is a patient's (else null)
    employee      who took it: the commenting administrator's name, else the
                  provider's employee name (null for a missed call)
    wait_s        seconds until answered (or until the caller gave up)
    talk_s        seconds of conversation
    status        answered | missed
    called_back   for a missed incoming call: whether an outgoing call to the same
                  number started after it, within `callback_hours` (default 24) and
                  by now; null for other calls
    comment       "call type / topic" from the administrator's comment (null without)
    recording_url the first recording link, null without
    communication "<phone> <local date>": everything from one person in one day
                  is one communication

Totals: calls, communications (distinct `communication`), answered, missed,
missed_called_back, missed_not_called_back. With a provider that gives no
recordings, a note under the report says why no call has a player.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import orjson

from adapter.reports.base import CallWindow, Period, Report, ReportContext, open_window
from adapter.reports.unavailable import recordings_note
from adapter.store.clinic import ClinicStore

__all__ = ["contact_history", "history_start"]

COLUMNS = (
    "provider, provider_call_id, started_at, utc_offset, direction, contact_number, "
    "answered, wait_seconds, talk_seconds, employee_id, employee_name, recording_urls"
)


async def contact_history(
    ctx: ReportContext,
    period: Period,
    *,
    phone: str | None = None,
    patient: str | None = None,
    callback_hours: int = 24,
) -> Report:
    phones = await asyncio.to_thread(_phones, ctx.clinic, phone, patient)
    lookahead = timedelta(hours=callback_hours)
    options = {"phone": phone, "patient": patient, "callback_hours": callback_hours}
    async with open_window(ctx, period, lookahead, count=phones is None) as window:
        return await asyncio.to_thread(_report, ctx, window, phones, options)


def _report(
    ctx: ReportContext, window: CallWindow, phones: list[str] | None, options: dict[str, Any]
) -> Report:
    """The report over an open window (SQL: runs in a worker thread)."""
    clinic, callback_hours = ctx.clinic, options["callback_hours"]
    calls = _calls(window, phones)
    inside = [c for c in calls if c[2] < window.hi]
    if phones is not None:  # the rows read for these numbers, per source
        live = sum(1 for c in inside if c[0:2] in window.live_keys)
        window.sources.cache_calls, window.sources.live_calls = len(inside) - live, live
    keys = [(c[0], c[1]) for c in inside]
    comments = clinic.comments(keys)
    staff = clinic.staff()
    names = _patient_names(window, {c[5] for c in inside if c[5]})
    back = _called_back(inside, calls, callback_hours * 3600, int(window.now.timestamp()))
    rows = [_row(c, window, comments, staff, names, back) for c in inside]
    note = recordings_note(ctx.source, rows)
    if note is not None:
        window.sources.notes.append(note)
    return Report("contact-history", window.period, window.sources, rows, _totals(rows), options)


async def history_start(ctx: ReportContext, today: date) -> date:
    """The first day of the cached history (the earliest first day of a successful sync
    run), else `today`: one caller's history without --from is the cache plus today,
    never years the provider is asked for day by day."""
    runs = await asyncio.to_thread(ctx.store.runs, None, 100_000)
    firsts = [r.date_from for r in runs if r.status == "ok" and r.date_from is not None]
    return min(min(firsts), today) if firsts else today


def _phones(clinic: ClinicStore, phone: str | None, patient: str | None) -> list[str] | None:
    from adapter.errors import ConfigError
    from adapter.model import to_e164

    out: list[str] = []
    if patient is not None:
        found = clinic.phones_of(patient)
        if not found:
            raise ConfigError(f"no patient {patient!r} with a phone in the clinic data")
        out += found
    if phone is not None:
        out.append(to_e164(phone) or phone)
    return out or None


def _calls(window: CallWindow, phones: list[str] | None) -> list[tuple[Any, ...]]:
    cond, params = "", {}
    if phones is not None:
        marks = ", ".join(f":ph{i}" for i in range(len(phones)))
        cond = f"contact_number IN ({marks})"
        params = {f"ph{i}": p for i, p in enumerate(phones)}
    sql = window.union(COLUMNS, cond=cond)
    rows = [tuple(r) for r in window.query(sql, **params)]
    rows.sort(key=lambda r: (r[2], r[0], r[1]))
    return rows


def _patient_names(window: CallWindow, phones: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    wanted = sorted(phones)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join(f":p{i}" for i in range(len(chunk)))
        sql = (
            "SELECT pp.phone, pt.full_name FROM patient_phones pp "
            f"JOIN patients pt ON pt.id = pp.patient_id WHERE pp.phone IN ({marks}) "
            "ORDER BY pt.created_at, pt.id"
        )
        for phone, name in window.query(sql, **{f"p{i}": p for i, p in enumerate(chunk)}):
            out.setdefault(phone, name)
    return out


def _called_back(
    inside: list[tuple[Any, ...]], loaded: Iterable[tuple[Any, ...]], span: int, now: int
) -> set[tuple[str, str]]:
    outgoing: dict[str, list[int]] = {}
    for c in loaded:
        if c[4] == "out" and c[5]:
            outgoing.setdefault(c[5], []).append(int(c[2]))
    out = set()
    for c in inside:
        if c[4] == "in" and not c[6] and c[5]:
            started = int(c[2])
            if any(started < t < started + span and t <= now for t in outgoing.get(c[5], [])):
                out.add((c[0], c[1]))
    return out


def _row(
    c: tuple[Any, ...],
    window: CallWindow,
    comments: dict[Any, Any],
    staff: dict[str, Any],
    names: dict[str, str],
    back: set[tuple[str, str]],
) -> dict[str, Any]:
    provider, call_id, started, offset, direction, phone, answered = c[:7]
    wait, talk, employee_id, employee_name, urls = c[7:]
    key = (provider, call_id)
    comment = comments.get(key)
    author = staff.get(comment.author) if comment and comment.author else None
    when = datetime.fromtimestamp(int(started), timezone(timedelta(minutes=int(offset))))
    missed_in = direction == "in" and not answered
    return {
        "time": when.astimezone(window.period.tz).isoformat(),
        "direction": direction,
        "phone": phone,
        "patient": names.get(phone) if phone else None,
        "employee": author.name if author else (employee_name if answered else None),
        "wait_s": int(wait),
        "talk_s": int(talk),
        "status": "answered" if answered else "missed",
        "called_back": (key in back) if missed_in else None,
        "comment": _comment_text(comment),
        "recording_url": (orjson.loads(urls) or [None])[0] if urls else None,
        "communication": f"{phone} {when.astimezone(window.period.tz).date().isoformat()}",
        "provider": provider,
        "provider_call_id": call_id,
        "employee_id": (comment.author if comment and comment.author else employee_id),
    }


def _comment_text(comment: Any) -> str | None:
    if comment is None:
        return None
    parts = [p for p in (comment.call_type, comment.topic, comment.text) if p]
    return " / ".join(parts) or None


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    missed = [r for r in rows if r["status"] == "missed"]
    back = sum(1 for r in missed if r["called_back"])
    return {
        "calls": len(rows),
        "communications": len({r["communication"] for r in rows}),
        "answered": len(rows) - len(missed),
        "missed": len(missed),
        "missed_called_back": back,
        "missed_not_called_back": sum(1 for r in missed if r["called_back"] is False),
    }
