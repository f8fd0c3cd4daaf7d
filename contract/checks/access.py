"""Access: keys are enforced, bad parameters are refused with 4xx."""

from __future__ import annotations

from typing import Any

from contract.checks.base import (
    EVIDENCE_MAX,
    FINISHED,
    ONGOING,
    TICKETS,
    Context,
)
from contract.probe import MAX_LIMIT
from contract.results import Msg, Outcome, Status


def _auth_requests(ctx: Context) -> list[tuple[str, dict[str, Any] | None]]:
    period = ctx.period_params(1)
    asked = [(FINISHED, period), (ONGOING, None), (TICKETS, period)]
    return [(endpoint, params) for endpoint, params in asked if ctx.offered(endpoint)]


def _auth_finding(statuses: dict[str, set[int]]) -> Msg:
    missing, wrong = statuses["missing"], statuses["wrong"]
    if missing == wrong and len(missing) == 1:
        return Msg("find.auth_status", {"status": next(iter(missing))})
    return Msg(
        "find.auth_status_split",
        {
            "missing": "/".join(map(str, sorted(missing))),
            "wrong": "/".join(map(str, sorted(wrong))),
        },
    )


def missing_or_wrong_keys_are_refused(ctx: Context) -> Outcome:
    """Without the key, or with a wrong one, no endpoint gives data (401 and 403 both do)."""
    leaks: list[Msg] = []
    odd: list[Msg] = []
    shown: list[Msg] = []
    statuses: dict[str, set[int]] = {"missing": set(), "wrong": set()}
    requests = _auth_requests(ctx)
    for endpoint, params in requests:
        for key, label in ((None, "missing"), ("0" * 32, "wrong")):
            bad = ctx.probe.send("GET", endpoint, params=params, key=key, invalid=True)
            statuses[label].add(bad.status)
            if 200 <= bad.status < 300:
                leaks.append(Msg(f"ev.{label}_key_answered", {"exchange": bad.evidence()}))
            elif bad.status not in (401, 403):
                odd.append(Msg(f"ev.{label}_key_answered", {"exchange": bad.evidence()}))
            elif endpoint == FINISHED:
                case = Msg(f"ev.case_{label}_key")
                shown.append(
                    Msg("ev.refused_as_expected", {"case": case, "exchange": bad.evidence()})
                )
    if not requests:
        return Outcome(Status.SKIPPED, Msg("sum.nothing_to_read"))
    if leaks:
        return Outcome(Status.FAIL, Msg("sum.keys_bad"), leaks[:EVIDENCE_MAX])
    findings = [_auth_finding(statuses)]
    if odd:
        return Outcome(
            Status.WARNING, Msg("sum.keys_odd_status"), odd[:EVIDENCE_MAX], findings, ask=True
        )
    return Outcome(Status.PASS, Msg("sum.keys_ok"), shown, findings)


BAD_INPUTS: tuple[tuple[str, dict[str, str | None]], ...] = (
    ("ev.case_from_missing", {"dateTimeFrom": None}),
    ("ev.case_from_no_offset", {"dateTimeFrom": "2024-05-14T00:00:00"}),
    ("ev.case_from_not_a_date", {"dateTimeFrom": "yesterday"}),
    ("ev.case_limit_zero", {"limit": "0"}),
    ("ev.case_limit_negative", {"limit": "-1"}),
    ("ev.case_limit_not_a_number", {"limit": "ten"}),
    ("ev.case_offset_negative", {"offset": "-1"}),
)


def _limit_finding(ctx: Context) -> Msg | None:
    """Limit above 1000: refused, clamped or honoured (an open point: any is fine)."""
    answer = ctx.probe.get(FINISHED, ctx.period_params(MAX_LIMIT + 1))
    if 400 <= answer.status < 500:
        return Msg("find.limit_refused", {"status": answer.status})
    if not answer.ok_list:
        return None
    if len(answer.body) <= MAX_LIMIT:
        calls, _ = ctx.finished()
        key = "find.limit_clamped" if len(calls) > MAX_LIMIT else "find.limit_accepted"
        return Msg(key, {"n": len(answer.body)})
    return Msg("find.limit_larger", {"n": len(answer.body)})


def bad_requests_are_refused_with_4xx(ctx: Context) -> Outcome:
    """Invalid parameters get a 4xx; a 2xx or a crash is a warning (our client never sends them)."""
    base = {k: str(v) for k, v in ctx.period_params(1).items() if k != "limit"}
    problems: list[Msg] = []
    shown: list[Msg] = []
    for endpoint in (FINISHED, TICKETS):
        if not ctx.offered(endpoint):
            continue
        for label, change in BAD_INPUTS:
            params = {k: v for k, v in {**base, **change}.items() if v is not None}
            answer = ctx.probe.send("GET", endpoint, params=params, invalid=True)
            case = Msg(label)
            if not 400 <= answer.status < 500:
                key = "ev.bad_input_crashed" if answer.status >= 500 else "ev.bad_input_accepted"
                problems.append(Msg(key, {"case": case, "exchange": answer.evidence()}))
            elif endpoint == FINISHED and len(shown) < 2:
                shown.append(
                    Msg("ev.refused_as_expected", {"case": case, "exchange": answer.evidence()})
                )
    finding = _limit_finding(ctx) if ctx.offered(FINISHED) else None
    findings = [finding] if finding else []
    if problems:
        return Outcome(
            Status.WARNING, Msg("sum.bad_input_bad"), problems[:EVIDENCE_MAX], findings, ask=True
        )
    return Outcome(Status.PASS, Msg("sum.bad_input_ok"), shown, findings)
