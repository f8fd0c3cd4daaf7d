"""(b) Current calls: observed over time, they appear while live and disappear after."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contract.checks.base import (
    EVIDENCE_MAX,
    FINISHED,
    MARGIN,
    ONGOING,
    Context,
    call_identity,
    collect,
    end_instant,
    instant,
    short,
)
from contract.probe import MAX_LIMIT, Exchange
from contract.results import Msg, Outcome, Status


@dataclass(slots=True)
class _Poll:
    at: float | None  # the provider's time of the answer, when known
    calls: list[dict[str, Any]]


def _provider_time(answer: Exchange, calls: list[dict[str, Any]]) -> float | None:
    """The provider's clock at the answer: from the live calls' own figures, else `Date`."""
    ends = [e for c in calls if (e := end_instant(c)) is not None]
    if ends:
        return max(ends)
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(answer.headers["date"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return None


def _observe(ctx: Context) -> tuple[list[_Poll], list[Msg]]:
    polls: list[_Poll] = []
    problems: list[Msg] = []
    deadline = time.monotonic() + ctx.observe_seconds
    while True:
        answer = ctx.probe.get(ONGOING)
        if not answer.ok_list:
            problems.append(Msg("ev.bad_page", {"exchange": answer.evidence()}))
        else:
            calls = [c for c in answer.body if isinstance(c, dict)]
            polls.append(_Poll(_provider_time(answer, calls), calls))
        if time.monotonic() + ctx.poll_interval > deadline or ctx.probe.gone:
            return polls, problems
        time.sleep(ctx.poll_interval)


def _finished_around(ctx: Context, polls: list[_Poll]) -> list[dict[str, Any]] | None:
    times = [p.at for p in polls if p.at is not None]
    if not times:
        return None
    start = datetime.fromtimestamp(min(times) - 4 * 3600, UTC)
    end = datetime.fromtimestamp(max(times) + 60, UTC)
    calls, problem = collect(ctx.probe, FINISHED, start, end, MAX_LIMIT)
    return None if problem else calls


def _live_problems(polls: list[_Poll], finished: list[dict[str, Any]]) -> list[Msg]:
    problems: list[Msg] = []
    by_id = {call_identity(c): c for c in finished}
    for poll in polls:
        if poll.at is None:
            continue
        at = datetime.fromtimestamp(poll.at, UTC).isoformat()
        listed = {call_identity(c) for c in poll.calls}
        for call in finished:
            start, end = instant(call), end_instant(call)
            if start is None or end is None:
                continue
            if (
                start <= poll.at - MARGIN
                and end >= poll.at + MARGIN
                and call_identity(call) not in listed
            ):
                problems.append(Msg("ev.live_not_listed", {"call": short(call), "at": at}))
        for key in listed:
            done = by_id.get(key)
            end = end_instant(done) if done else None
            if done is not None and end is not None and end <= poll.at - MARGIN:
                problems.append(Msg("ev.ended_still_listed", {"call": short(done), "at": at}))
    return problems


def _disappeared(polls: list[_Poll]) -> int:
    gone = 0
    for earlier, later in itertools.pairwise(polls):
        now = {call_identity(c) for c in later.calls}
        gone += sum(1 for c in earlier.calls if call_identity(c) not in now)
    return gone


def ongoing_calls_appear_while_live_and_disappear_after(ctx: Context) -> Outcome:
    """Polled for a while, GetOngoingCalls lists every call in progress and drops it once ended."""
    if not ctx.offered(ONGOING):
        status = ctx.not_offered_status(ONGOING)
        return Outcome(Status.ABSENT, Msg("sum.live_absent", {"status": status}))
    polls, problems = _observe(ctx)
    finished = _finished_around(ctx, polls) or []
    problems += _live_problems(polls, finished)
    seen = {call_identity(c) for p in polls for c in p.calls}
    params = {
        "polls": len(polls),
        "seconds": round(ctx.observe_seconds),
        "seen": len(seen),
        "gone": _disappeared(polls),
    }
    if problems:
        return Outcome(Status.FAIL, Msg("sum.live_bad", params), problems[:EVIDENCE_MAX])
    if not seen:
        return Outcome(Status.WARNING, Msg("sum.live_unobserved", params))
    if params["gone"] == 0:
        return Outcome(Status.WARNING, Msg("sum.live_no_end_observed", params))
    return Outcome(Status.PASS, Msg("sum.live_ok", params))
