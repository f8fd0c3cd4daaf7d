"""What every check shares: the run's `Context`, the registry entry, and helpers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from contract.probe import MAX_LIMIT, NOT_OFFERED, Probe, parse_time
from contract.results import Msg, Outcome, Requirement, Status

FINISHED, ONGOING, TICKETS = "GetFinishedCalls", "GetOngoingCalls", "GetTickets"
UTM_FIELDS = ("UtmSource", "UtmMedium", "UtmCampaign", "UtmTerm", "UtmContent")
TRACKING_FIELDS = (*UTM_FIELDS, "HttpReferer")
OFFSET_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|z|[+-]\d{2}:\d{2})$")
PLUS5 = timezone(timedelta(hours=5))
MARGIN = 5.0  # seconds of slack around a poll: a live list may lag its calls by this much
EVIDENCE_MAX = 5


@dataclass
class Context:
    """What every check may use: the provider, the period, the run's options and caches."""

    probe: Probe
    start: datetime
    end: datetime
    observe_seconds: float = 20.0
    poll_interval: float = 2.0
    allow_writes: bool = False
    allow_calls: bool = False
    callback_employee: str | None = None
    callback_client: str | None = None
    _finished: tuple[list[dict[str, Any]], Msg | None] | None = field(default=None, repr=False)
    _offered: dict[str, int] = field(default_factory=dict, repr=False)
    _spellings: tuple[str, ...] | None = field(default=None, repr=False)

    def finished(self) -> tuple[list[dict[str, Any]], Msg | None]:
        """All finished calls of the period (largest pages), or the problem that stopped it."""
        if self._finished is None:
            self.spellings()
            self._finished = collect(self.probe, FINISHED, self.start, self.end, MAX_LIMIT)
        return self._finished

    def offered(self, endpoint: str) -> bool:
        """Whether the provider implements a read endpoint (asked once, with the right key)."""
        if endpoint not in self._offered:
            params = None if endpoint == ONGOING else self.period_params(1)
            self._offered[endpoint] = self.probe.get(endpoint, params).status
        return self._offered[endpoint] not in NOT_OFFERED

    def not_offered_status(self, endpoint: str) -> int:
        self.offered(endpoint)
        return self._offered[endpoint]

    def period_params(self, limit: int) -> dict[str, Any]:
        return {
            "dateTimeFrom": self.start.isoformat(),
            "dateTimeTo": self.end.isoformat(),
            "limit": limit,
        }

    def spellings(self) -> tuple[str, ...]:
        """Which spellings of the page offset the provider reads; pages use the first one."""
        if self._spellings is None:
            self._spellings = _working_spellings(self)
            if self._spellings:
                self.probe.offset_name = self._spellings[0]
        return self._spellings


@dataclass(frozen=True, slots=True)
class CheckSpec:
    id: str
    requirement: Requirement
    required: bool
    fn: Callable[[Context], Outcome]


# -- helpers -----------------------------------------------------------------------------
SPELLINGS = ("offset", "offSet")


def _working_spellings(ctx: Context) -> tuple[str, ...]:
    """Spellings for which the second item (offset 1) differs from the first; all if unknowable."""
    if not ctx.offered(FINISHED):
        return SPELLINGS
    first = ctx.probe.period_page(FINISHED, ctx.start, ctx.end, 1, 0, "offset")
    if not first.ok_list or not first.body:
        return SPELLINGS
    working = []
    for name in SPELLINGS:
        second = ctx.probe.period_page(FINISHED, ctx.start, ctx.end, 1, 1, name)
        if second.ok_list and second.body != first.body:
            working.append(name)
    return tuple(working)


def collect(
    probe: Probe, endpoint: str, start: datetime, end: datetime, limit: int
) -> tuple[list[dict[str, Any]], Msg | None]:
    items: list[dict[str, Any]] = []
    for page in probe.pages(endpoint, start, end, limit):
        if not page.ok_list:
            return items, Msg("ev.bad_page", {"exchange": page.evidence()})
        if len(page.body) > limit:
            return items, Msg(
                "ev.page_too_long",
                {"got": len(page.body), "limit": limit, "exchange": page.evidence()},
            )
        for item in page.body:
            if not isinstance(item, dict) or instant(item) is None:
                return items, Msg(
                    "ev.not_an_item", {"endpoint": endpoint, "item": clip(repr(item), 160)}
                )
            items.append(item)
    return items, None


def instant(item: dict[str, Any]) -> float | None:
    when = parse_time(item.get("DateAndTime"))
    return when.timestamp() if when else None


def call_identity(item: dict[str, Any]) -> tuple[Any, ...]:
    """What identifies a call without an id: start instant, numbers and direction."""
    return (instant(item), item.get("PhoneFrom"), item.get("PhoneTo"), item.get("Direction"))


def dump(item: dict[str, Any]) -> str:
    return json.dumps(item, sort_keys=True, ensure_ascii=False)


def clip(data: str, size: int) -> str:
    """Data cut to `size` characters, with an ellipsis when something was cut."""
    return data if len(data) <= size else data[:size] + "…"


def short(item: dict[str, Any]) -> str:
    return f"{item.get('DateAndTime')} {item.get('PhoneFrom')} -> {item.get('PhoneTo')}"


def end_instant(item: dict[str, Any]) -> float | None:
    start = instant(item)
    wait, talk = item.get("WaitInSeconds"), item.get("TalkInSeconds")
    if start is None or not isinstance(wait, int):
        return None
    return start + wait + (talk if isinstance(talk, int) else 0)


def no_calls() -> Outcome:
    return Outcome(Status.WARNING, Msg("sum.no_calls_in_period"))


def history_or_problem(ctx: Context) -> list[dict[str, Any]] | Outcome:
    if not ctx.offered(FINISHED):
        status = ctx.not_offered_status(FINISHED)
        return Outcome(Status.FAIL, Msg("sum.history_absent", {"status": status}))
    calls, problem = ctx.finished()
    if problem is not None:
        return Outcome(Status.FAIL, Msg("sum.history_unreadable"), [problem])
    return calls if calls else no_calls()


def verdict(problems: list[Msg], ok: Msg, bad: Msg, shown: list[Msg] | None = None) -> Outcome:
    """FAIL with the problems as evidence, or PASS with what was `shown` to hold."""
    if problems:
        return Outcome(Status.FAIL, bad, problems[:EVIDENCE_MAX])
    return Outcome(Status.PASS, ok, (shown or [])[:EVIDENCE_MAX])


def samples(calls: list[dict[str, Any]], n: int = 3) -> list[dict[str, Any]]:
    timed = [c for c in calls if instant(c) is not None]
    if len(timed) <= n:
        return timed
    step = (len(timed) - 1) / (n - 1)
    return [timed[round(i * step)] for i in range(n)]
