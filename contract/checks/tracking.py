"""(d) UTM tags and referrer on tracked calls."""

from __future__ import annotations

from contract.checks.base import (
    EVIDENCE_MAX,
    TRACKING_FIELDS,
    UTM_FIELDS,
    Context,
    history_or_problem,
    short,
)
from contract.results import Msg, Outcome, Status


def utm_and_referrer_are_present_on_tracked_calls(ctx: Context) -> Outcome:
    """Every call carries the UTM and referrer fields; tracked calls have them filled in."""
    calls = history_or_problem(ctx)
    if isinstance(calls, Outcome):
        return calls
    missing = [c for c in calls if any(f not in c for f in TRACKING_FIELDS)]
    if missing:
        absent = sorted({f for c in missing for f in TRACKING_FIELDS if f not in c})
        ev = [
            Msg("ev.fields_absent", {"call": short(c), "fields": ", ".join(absent)})
            for c in missing
        ]
        return Outcome(
            Status.FAIL, Msg("sum.utm_fields_absent", {"n": len(missing)}), ev[:EVIDENCE_MAX]
        )
    tracked = [c for c in calls if any(c.get(f) for f in UTM_FIELDS)]
    if not tracked:
        return Outcome(Status.ABSENT, Msg("sum.utm_never_filled", {"n": len(calls)}))
    referred = [c for c in tracked if c.get("HttpReferer")]
    if not referred:
        ev = [Msg.raw(short(c)) for c in tracked[:EVIDENCE_MAX]]
        return Outcome(Status.FAIL, Msg("sum.referrer_never_filled", {"n": len(tracked)}), ev)
    params = {"n": len(calls), "tracked": len(tracked), "referred": len(referred)}
    return Outcome(
        Status.PASS,
        Msg("sum.utm_ok", params),
        [Msg.raw(short(tracked[0]) + f" utm_source={tracked[0].get('UtmSource')!r}")],
    )
