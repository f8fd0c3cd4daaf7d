"""Site leads (GetTickets), the schedule (PostTimeTable) and click to call (StartCallback)."""

from __future__ import annotations

import re
import time
from collections import Counter

from contract.checks.base import (
    EVIDENCE_MAX,
    ONGOING,
    TICKETS,
    Context,
    collect,
    verdict,
)
from contract.probe import MAX_LIMIT, NOT_OFFERED
from contract.results import Msg, Outcome, Status


def ticket_ids_are_unique_and_stable(ctx: Context) -> Outcome:
    """Each lead of the period has its own Id, and small pages give the same Ids again."""
    if not ctx.offered(TICKETS):
        status = ctx.not_offered_status(TICKETS)
        return Outcome(Status.ABSENT, Msg("sum.tickets_absent", {"status": status}))
    tickets, problem = collect(ctx.probe, TICKETS, ctx.start, ctx.end, MAX_LIMIT)
    if problem is not None:
        return Outcome(Status.FAIL, Msg("sum.tickets_unreadable"), [problem])
    if not tickets:
        return Outcome(Status.SKIPPED, Msg("sum.no_tickets"))
    ids = [str(t.get("Id")) for t in tickets]
    problems = [
        Msg("ev.ticket_id_repeated", {"id": i, "times": n})
        for i, n in Counter(ids).items()
        if n > 1
    ]
    again, problem = collect(ctx.probe, TICKETS, ctx.start, ctx.end, max(1, len(ids) // 3))
    if problem is not None:
        problems.append(problem)
    elif sorted(str(t.get("Id")) for t in again) != sorted(ids):
        problems.append(Msg("ev.ticket_ids_changed", {"n": len(ids), "m": len(again)}))
    ok = Msg("sum.tickets_ok", {"n": len(ids)})
    return verdict(problems[:EVIDENCE_MAX], ok, Msg("sum.tickets_bad"))


def timetable_is_accepted(ctx: Context) -> Outcome:
    """POST /PostTimeTable stores a schedule (2xx) and refuses one without the key."""
    if not ctx.allow_writes:
        return Outcome(Status.SKIPPED, Msg("sum.needs_allow_writes"))
    start = ctx.end.replace(microsecond=0)
    body = {
        "Doctors": [{"Id": 1, "Name": "Verifier Test Doctor"}],
        "Branches": [{"Id": 1, "Name": "Verifier Test Branch"}],
        "Intervals": [
            {
                "DoctorId": 1,
                "BranchId": 1,
                "StartDateTime": start.isoformat(),
                "LengthInMinutes": 30,
                "IsBusy": False,
            }
        ],
    }
    problems: list[Msg] = []
    stored = ctx.probe.send("POST", "PostTimeTable", json=body)
    if not 200 <= stored.status < 300:
        problems.append(Msg("ev.write_refused", {"exchange": stored.evidence()}))
    anonymous = ctx.probe.send("POST", "PostTimeTable", json=body, key=None)
    if anonymous.status not in (401, 403):
        problems.append(Msg("ev.missing_key_answered", {"exchange": anonymous.evidence()}))
    return verdict(problems, Msg("sum.timetable_ok"), Msg("sum.timetable_bad"))


def _digits(value: object) -> str:
    return re.sub(r"\D", "", str(value))


def callback_places_a_call_listed_as_current(ctx: Context) -> Outcome:
    """POST /StartCallback places a call that GetOngoingCalls then lists (Direction out)."""
    if not (ctx.allow_calls and ctx.callback_employee and ctx.callback_client):
        return Outcome(Status.SKIPPED, Msg("sum.needs_allow_calls"))
    body = {"EmployeePhone": ctx.callback_employee, "ClientPhone": ctx.callback_client}
    answer = ctx.probe.send("POST", "StartCallback", json=body)
    if answer.status in NOT_OFFERED and "EmployeePhone" not in answer.text:
        return Outcome(Status.ABSENT, Msg("sum.callback_not_offered", {"status": answer.status}))
    if answer.status != 202:
        return Outcome(Status.FAIL, Msg("sum.callback_bad"), [answer.evidence()])
    deadline = time.monotonic() + max(ctx.observe_seconds, 5.0)
    while time.monotonic() < deadline:
        live = ctx.probe.get(ONGOING)
        if live.ok_list and any(
            isinstance(c, dict)
            and _digits(c.get("PhoneTo")) == _digits(ctx.callback_client)
            and c.get("Direction") == "out"
            for c in live.body
        ):
            return Outcome(Status.PASS, Msg("sum.callback_ok"))
        time.sleep(min(ctx.poll_interval, 1.0))
    return Outcome(Status.FAIL, Msg("sum.callback_not_listed"), [answer.evidence()])
