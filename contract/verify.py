"""One verification run: conformance (Schemathesis) plus the semantic checks, as a `Report`.

    report = verify(Options(base_url="https://pbx.example.com/ident/v1", key="..."))
    report.passed  # True only when every required check passed

Read-only by default: only GET requests, at `rate` requests per second.
`allow_writes` adds PostTimeTable; `allow_calls` adds StartCallback (it
rings real phones).

Instability never counts against a rule: the probe retries 5xx answers,
timeouts and resets; a check that still failed while the provider kept
failing is "not judged" (a warning), and the run ends with its own
`provider_is_stable` result counting what happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

import httpx

from contract.checks import CHECKS, CheckSpec, Context
from contract.checks.base import FINISHED
from contract.conformance import READ_ONLY, REQUIREMENT, run_conformance
from contract.probe import Probe, parse_time
from contract.results import Msg, Outcome, Report, Requirement, Result, Status

__all__ = ["Options", "default_period", "verify"]

Progress = Callable[[str], None]


@dataclass(slots=True)
class Options:
    base_url: str
    key: str
    start: datetime | None = None
    end: datetime | None = None
    rate: float = 20.0
    max_examples: int = 25
    observe_seconds: float = 20.0
    poll_interval: float = 2.0
    allow_writes: bool = False
    allow_calls: bool = False
    callback_employee: str | None = None
    callback_client: str | None = None
    conformance: bool = True
    only: tuple[str, ...] = ()  # run only these check ids (and conformance unless disabled)
    timeout: float = 15.0
    tz: tzinfo | None = None  # the clinic's zone; default: the offset of the provider's times


def default_period(
    now: datetime | None = None, tz: tzinfo | None = None
) -> tuple[datetime, datetime]:
    """The seven whole days before today, midnight to midnight in `tz` (default: local).

    Closed days only: calls still ending during the run would make pages differ
    between reads and look like unstable paging.
    """
    now = (now or datetime.now(UTC)).astimezone(tz)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=7), today


def provider_zone(probe: Probe, now: datetime | None = None) -> tzinfo | None:
    """The offset the provider's own times carry (its latest week's first call), if any."""
    end = now or datetime.now(UTC)
    page = probe.period_page(FINISHED, end - timedelta(days=7), end, 1, 0)
    if page.ok_list and page.body and isinstance(page.body[0], dict):
        when = parse_time(page.body[0].get("DateAndTime"))
        return when.tzinfo if when else None
    return None


def _unstable_during(probe: Probe, before: int, outcome: Outcome) -> Outcome:
    """A failure met while the provider kept failing is not judged: instability is apart."""
    if outcome.status is not Status.FAIL or probe.instability.persistent == before:
        return outcome
    failed = probe.instability.persistent - before
    summary = Msg("sum.not_judged_unstable", {"n": failed})
    return Outcome(Status.WARNING, summary, [outcome.summary, *outcome.evidence], outcome.findings)


def _run(spec: CheckSpec, ctx: Context) -> Result:
    started = time.perf_counter()
    before = ctx.probe.instability.persistent
    try:
        outcome = spec.fn(ctx)
    except httpx.HTTPError as exc:  # the network failed under a check: a finding, not a crash
        error = Msg("ev.network_failed", {"error": type(exc).__name__})
        outcome = Outcome(Status.FAIL, Msg("sum.history_unreadable"), [error])
    outcome = _unstable_during(ctx.probe, before, outcome)
    return Result(spec.id, spec.requirement, spec.required, outcome, time.perf_counter() - started)


def stability(probe: Probe) -> Result:
    """The instability finding: 5xx answers, timeouts and resets, counted with evidence."""
    seen = probe.instability
    if not seen.failures:
        outcome = Outcome(Status.PASS, Msg("sum.stable", {"n": probe.requests}))
    else:
        kinds = [
            Msg("ev.kind_count", {"kind": _kind(kind), "n": n})
            for kind, n in sorted(seen.by_kind.items())
        ]
        params = {
            "failures": seen.failures,
            "n": probe.requests,
            "kinds": kinds,
            "recovered": seen.transient,
            "persistent": seen.persistent,
        }
        evidence = list(seen.examples)
        outcome = Outcome(Status.WARNING, Msg("sum.unstable", params), evidence, ask=True)
    return Result("provider_is_stable", Requirement.STABILITY, False, outcome)


def _kind(kind: str) -> Msg:
    """A kind of failed answer: "HTTP 503" is data; "timeout" and "reset" are words."""
    return Msg.raw(kind) if kind.startswith("HTTP") else Msg(f"kind.{kind}")


def _conformance(options: Options, probe: Probe, ctx: Context) -> list[Result]:
    started = time.perf_counter()
    found = run_conformance(
        probe,
        period=(ctx.start, ctx.end),
        max_examples=options.max_examples,
        allow_writes=options.allow_writes,
        allow_calls=options.allow_calls,
    )
    share = (time.perf_counter() - started) / max(1, len(found))
    return [
        Result(
            f"conformance:{c.operation}",
            REQUIREMENT.get(c.operation, Requirement.EXTRAS),
            c.operation in READ_ONLY,
            c.outcome()
            if c.operation not in READ_ONLY or ctx.offered(c.operation)
            else _absent(c.operation, ctx),
            share,
        )
        for c in found
    ]


def _absent(operation: str, ctx: Context) -> Outcome:
    status = ctx.not_offered_status(operation)
    return Outcome(
        Status.ABSENT, Msg("sum.operation_absent", {"operation": operation, "status": status})
    )


def verify(options: Options, progress: Progress | None = None) -> Report:
    """Run every check against the provider and return the report."""
    say = progress or (lambda _: None)
    probe = Probe(options.base_url, options.key, rate=options.rate, timeout=options.timeout)
    tz = options.tz or provider_zone(probe) or (options.start.tzinfo if options.start else None)
    start, end = (options.start, options.end)
    if start is None or end is None:
        start, end = default_period(tz=tz)
    ctx = Context(
        probe,
        start,
        end,
        options.observe_seconds,
        options.poll_interval,
        options.allow_writes,
        options.allow_calls,
        options.callback_employee,
        options.callback_client,
    )
    began, clock = datetime.now(UTC), time.perf_counter()
    results: list[Result] = []
    try:
        for spec in CHECKS:
            if not options.only or spec.id in options.only:
                say(spec.id)
                results.append(_run(spec, ctx))
        if options.conformance:
            say("conformance")
            results.extend(_conformance(options, probe, ctx))
        results.append(stability(probe))
    finally:
        probe.close()
    return Report(
        target=options.base_url,
        period_from=start.astimezone(tz).isoformat(),
        period_to=end.astimezone(tz).isoformat(),
        started=began.astimezone(tz).isoformat(timespec="seconds"),
        tz=began.astimezone(tz).isoformat(timespec="seconds")[19:],
        seconds=round(time.perf_counter() - clock, 1),
        requests=probe.requests,
        results=results,
    )
