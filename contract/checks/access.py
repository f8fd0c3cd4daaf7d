"""Access: keys are enforced, bad parameters are refused with 4xx."""

from __future__ import annotations

from typing import Any

from contract.checks.base import (
    FINISHED,
    ONGOING,
    TICKETS,
    Context,
    verdict,
)
from contract.results import Msg, Outcome


def _auth_requests(ctx: Context) -> list[tuple[str, dict[str, Any] | None]]:
    period = {"dateTimeFrom": ctx.start.isoformat(), "dateTimeTo": ctx.end.isoformat(), "limit": 1}
    return [(FINISHED, period), (ONGOING, None), (TICKETS, period)]


def missing_or_wrong_keys_are_refused(ctx: Context) -> Outcome:
    """Without the key, or with a wrong one, every endpoint answers 401/403 and no data."""
    problems: list[Msg] = []
    shown: list[Msg] = []
    for endpoint, params in _auth_requests(ctx):
        good = ctx.probe.get(endpoint, params)
        if not 200 <= good.status < 300:
            problems.append(Msg("ev.key_refused", {"exchange": good.describe()}))
        for key, label in ((None, "missing"), ("0" * 32, "wrong")):
            bad = ctx.probe.get(endpoint, params, key=key)
            if bad.status not in (401, 403):
                problems.append(Msg(f"ev.{label}_key_answered", {"exchange": bad.describe()}))
            elif endpoint == FINISHED:
                shown.append(
                    Msg(
                        "ev.refused_as_expected",
                        {"case": f"{label} key", "exchange": bad.describe()},
                    )
                )
    return verdict(problems, Msg("sum.keys_ok"), Msg("sum.keys_bad"), shown)


BAD_INPUTS: tuple[tuple[str, dict[str, str | None]], ...] = (
    ("dateTimeFrom missing", {"dateTimeFrom": None}),
    ("dateTimeFrom without offset", {"dateTimeFrom": "2024-05-14T00:00:00"}),
    ("dateTimeFrom not a date", {"dateTimeFrom": "yesterday"}),
    ("limit = 0", {"limit": "0"}),
    ("limit = -1", {"limit": "-1"}),
    ("limit not a number", {"limit": "ten"}),
    ("limit above 1000", {"limit": "1001"}),
    ("offset = -1", {"offset": "-1"}),
)


def bad_requests_are_refused_with_4xx(ctx: Context) -> Outcome:
    """Invalid parameters get a 4xx: never 2xx (read as data) and never 5xx (a crash)."""
    base: dict[str, str | None] = {
        "dateTimeFrom": ctx.start.isoformat(),
        "dateTimeTo": ctx.end.isoformat(),
    }
    problems: list[Msg] = []
    shown: list[Msg] = []
    for endpoint in (FINISHED, TICKETS):
        for label, change in BAD_INPUTS:
            params = {k: v for k, v in {**base, **change}.items() if v is not None}
            answer = ctx.probe.get(endpoint, params)
            if not 400 <= answer.status < 500:
                key = "ev.bad_input_crashed" if answer.status >= 500 else "ev.bad_input_accepted"
                problems.append(Msg(key, {"case": label, "exchange": answer.describe()}))
            elif endpoint == FINISHED and len(shown) < 2:
                shown.append(
                    Msg("ev.refused_as_expected", {"case": label, "exchange": answer.describe()})
                )
    return verdict(problems, Msg("sum.bad_input_ok"), Msg("sum.bad_input_bad"), shown)
