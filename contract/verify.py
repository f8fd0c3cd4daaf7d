"""One verification run: conformance (Schemathesis) plus the semantic checks, as a `Report`.

    report = verify(Options(base_url="https://pbx.example.com/ident/v1", key="..."))
    report.passed  # True only when every required check passed

Read-only by default: only GET requests, at `rate` requests per second.
`allow_writes` adds PostTimeTable; `allow_calls` adds StartCallback (it
rings real phones).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from contract.checks import CHECKS, CheckSpec, Context
from contract.conformance import READ_ONLY, REQUIREMENT, run_conformance
from contract.probe import Probe
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


def default_period(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The seven whole days before today, local midnight to midnight (with the local offset).

    Closed days only: calls still ending during the run would make pages differ
    between reads and look like unstable paging.
    """
    now = (now or datetime.now(UTC)).astimezone()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=7), today


def _run(spec: CheckSpec, ctx: Context) -> Result:
    started = time.perf_counter()
    try:
        outcome = spec.fn(ctx)
    except httpx.HTTPError as exc:  # the network failed under a check: a finding, not a crash
        outcome = Outcome(Status.FAIL, Msg("sum.history_unreadable"), [Msg.raw(repr(exc))])
    return Result(spec.id, spec.requirement, spec.required, outcome, time.perf_counter() - started)


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
            c.outcome(),
            share,
        )
        for c in found
    ]


def verify(options: Options, progress: Progress | None = None) -> Report:
    """Run every check against the provider and return the report."""
    say = progress or (lambda _: None)
    start, end = (options.start, options.end)
    if start is None or end is None:
        start, end = default_period()
    probe = Probe(options.base_url, options.key, rate=options.rate, timeout=options.timeout)
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
    finally:
        probe.close()
    return Report(
        target=options.base_url,
        period_from=start.isoformat(),
        period_to=end.isoformat(),
        started=began.isoformat(timespec="seconds"),
        seconds=round(time.perf_counter() - clock, 1),
        requests=probe.requests,
        results=results,
    )
