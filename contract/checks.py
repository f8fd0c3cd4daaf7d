"""Semantic checks: what the schema cannot say, each a plain function named after what it proves.

A check takes the run's `Context` and returns an `Outcome` (pass, fail,
warning or skipped, a one-line summary and evidence). Checks never raise on
a provider's misbehaviour: a broken answer is a finding, not a crash.
`CHECKS` lists them with the requirement each one proves.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from contract.probe import MAX_LIMIT, Exchange, Probe, parse_time
from contract.results import Msg, Outcome, Requirement, Status

__all__ = ["CHECKS", "CheckSpec", "Context", "call_identity"]

FINISHED, ONGOING, TICKETS = "GetFinishedCalls", "GetOngoingCalls", "GetTickets"
UTM_FIELDS = ("UtmSource", "UtmMedium", "UtmCampaign", "UtmTerm", "UtmContent")
TRACKING_FIELDS = (*UTM_FIELDS, "HttpReferer")
OFFSET_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|z|[+-]\d{2}:\d{2})$")
PLUS5 = timezone(timedelta(hours=5))
MARGIN = 3.0  # seconds of slack when comparing a poll's time with a call's span
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

    def finished(self) -> tuple[list[dict[str, Any]], Msg | None]:
        """All finished calls of the period (largest pages), or the problem that stopped it."""
        if self._finished is None:
            self._finished = collect(self.probe, FINISHED, self.start, self.end, MAX_LIMIT)
        return self._finished


@dataclass(frozen=True, slots=True)
class CheckSpec:
    id: str
    requirement: Requirement
    required: bool
    fn: Callable[[Context], Outcome]


# -- helpers -----------------------------------------------------------------------------
def collect(
    probe: Probe, endpoint: str, start: datetime, end: datetime, limit: int
) -> tuple[list[dict[str, Any]], Msg | None]:
    items: list[dict[str, Any]] = []
    for page in probe.pages(endpoint, start, end, limit):
        if not page.ok_list:
            return items, Msg("ev.bad_page", {"exchange": page.describe()})
        for item in page.body:
            if not isinstance(item, dict) or instant(item) is None:
                return items, Msg(
                    "ev.not_an_item", {"endpoint": endpoint, "item": repr(item)[:160]}
                )
            items.append(item)
    return items, None


def instant(item: dict[str, Any]) -> float | None:
    when = parse_time(item.get("DateAndTime"))
    return when.timestamp() if when else None


def call_identity(item: dict[str, Any]) -> tuple[Any, ...]:
    """What identifies a call without an id: start instant, numbers and direction."""
    return (instant(item), item.get("PhoneFrom"), item.get("PhoneTo"), item.get("Direction"))


def _dump(item: dict[str, Any]) -> str:
    return json.dumps(item, sort_keys=True, ensure_ascii=False)


def _short(item: dict[str, Any]) -> str:
    return f"{item.get('DateAndTime')} {item.get('PhoneFrom')} -> {item.get('PhoneTo')}"


def _end_instant(item: dict[str, Any]) -> float | None:
    start = instant(item)
    wait, talk = item.get("WaitInSeconds"), item.get("TalkInSeconds")
    if start is None or not isinstance(wait, int):
        return None
    return start + wait + (talk if isinstance(talk, int) else 0)


def _no_calls() -> Outcome:
    return Outcome(Status.WARNING, Msg("sum.no_calls_in_period"))


def _history_or_problem(ctx: Context) -> list[dict[str, Any]] | Outcome:
    calls, problem = ctx.finished()
    if problem is not None:
        return Outcome(Status.FAIL, Msg("sum.history_unreadable"), [problem])
    return calls if calls else _no_calls()


def _verdict(problems: list[Msg], ok: Msg, bad: Msg) -> Outcome:
    if problems:
        return Outcome(Status.FAIL, bad, problems[:EVIDENCE_MAX])
    return Outcome(Status.PASS, ok)


# -- access ---------------------------------------------------------------------------------
def _auth_requests(ctx: Context) -> list[tuple[str, dict[str, Any] | None]]:
    period = {"dateTimeFrom": ctx.start.isoformat(), "dateTimeTo": ctx.end.isoformat(), "limit": 1}
    return [(FINISHED, period), (ONGOING, None), (TICKETS, period)]


def missing_or_wrong_keys_are_refused(ctx: Context) -> Outcome:
    """Without the key, or with a wrong one, every endpoint answers 401/403 and no data."""
    problems: list[Msg] = []
    for endpoint, params in _auth_requests(ctx):
        good = ctx.probe.get(endpoint, params)
        if not 200 <= good.status < 300:
            problems.append(Msg("ev.key_refused", {"exchange": good.describe()}))
        for key, label in ((None, "missing"), ("0" * 32, "wrong")):
            bad = ctx.probe.get(endpoint, params, key=key)
            if bad.status not in (401, 403):
                problems.append(Msg(f"ev.{label}_key_answered", {"exchange": bad.describe()}))
    return _verdict(problems, Msg("sum.keys_ok"), Msg("sum.keys_bad"))


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
    for endpoint in (FINISHED, TICKETS):
        for label, change in BAD_INPUTS:
            params = {k: v for k, v in {**base, **change}.items() if v is not None}
            answer = ctx.probe.get(endpoint, params)
            if not 400 <= answer.status < 500:
                key = "ev.bad_input_crashed" if answer.status >= 500 else "ev.bad_input_accepted"
                problems.append(Msg(key, {"case": label, "exchange": answer.describe()}))
    return _verdict(problems, Msg("sum.bad_input_ok"), Msg("sum.bad_input_bad"))


# -- (a) history -----------------------------------------------------------------------------
def _outside(items: list[dict[str, Any]], start: datetime, end: datetime) -> list[Msg]:
    lo, hi = start.timestamp(), end.timestamp()
    return [
        Msg(
            "ev.outside_period",
            {"call": _short(c), "start": start.isoformat(), "end": end.isoformat()},
        )
        for c in items
        if (t := instant(c)) is not None and not lo <= t < hi
    ]


def _edge_queries(t: float) -> list[tuple[str, datetime, datetime, bool]]:
    """(label, from, to, must contain) around a call that started at instant t."""
    at = datetime.fromtimestamp(t, UTC)
    return [
        ("from = start (UTC)", at, at + timedelta(seconds=1), True),
        (
            "from = start (+05:00)",
            at.astimezone(PLUS5),
            (at + timedelta(minutes=1)).astimezone(PLUS5),
            True,
        ),
        ("to = start", at - timedelta(hours=1), at, False),
        ("from = start + 1 s", at + timedelta(seconds=1), at + timedelta(hours=1), False),
    ]


def _samples(calls: list[dict[str, Any]], n: int = 3) -> list[dict[str, Any]]:
    timed = [c for c in calls if instant(c) is not None]
    if len(timed) <= n:
        return timed
    step = (len(timed) - 1) / (n - 1)
    return [timed[round(i * step)] for i in range(n)]


def period_filter_is_honoured_at_its_edges(ctx: Context) -> Outcome:
    """A call is returned exactly when from <= start < to, whatever offset the period uses."""
    calls = _history_or_problem(ctx)
    if isinstance(calls, Outcome):
        return calls
    problems = _outside(calls, ctx.start, ctx.end)
    for call in _samples(calls):
        t = instant(call)
        assert t is not None
        for label, start, end, must in _edge_queries(t):
            got, problem = collect(ctx.probe, FINISHED, start, end, MAX_LIMIT)
            if problem is not None:
                problems.append(problem)
                continue
            problems.extend(_outside(got, start, end))
            found = any(call_identity(g) == call_identity(call) for g in got)
            if found != must:
                key = "ev.edge_missing" if must else "ev.edge_extra"
                problems.append(
                    Msg(
                        key,
                        {
                            "call": _short(call),
                            "case": label,
                            "start": start.isoformat(),
                            "end": end.isoformat(),
                        },
                    )
                )
    return _verdict(problems, Msg("sum.period_ok", {"n": len(calls)}), Msg("sum.period_bad"))


def _small_limit(total: int) -> int:
    return max(1, min(100, total // 3 or 1))


def _page_problems(ctx: Context, calls: list[dict[str, Any]], limit: int) -> list[Msg]:
    small, problem = collect(ctx.probe, FINISHED, ctx.start, ctx.end, limit)
    if problem is not None:
        return [problem]
    problems: list[Msg] = []
    dumps = [_dump(c) for c in small]
    seen: set[str] = set()
    for c, d in zip(small, dumps, strict=True):
        if d in seen:
            problems.append(Msg("ev.duplicate", {"call": _short(c), "limit": limit}))
        seen.add(d)
    reference = {_dump(c) for c in calls}
    for c in calls:
        if _dump(c) not in seen:
            problems.append(Msg("ev.gap", {"call": _short(c), "limit": limit}))
    if not problems and dumps != [_dump(c) for c in calls]:
        problems.append(Msg("ev.order_differs", {"limit": limit}))
    problems.extend(
        Msg("ev.extra", {"call": _short(c)})
        for c, d in zip(small, dumps, strict=True)
        if d not in reference
    )
    return problems


def _repeat_problems(ctx: Context, limit: int) -> list[Msg]:
    first = ctx.probe.period_page(FINISHED, ctx.start, ctx.end, limit, limit)
    again = ctx.probe.period_page(FINISHED, ctx.start, ctx.end, limit, limit)
    if first.ok_list and again.ok_list and first.body != again.body:
        return [Msg("ev.page_changed", {"offset": limit, "limit": limit})]
    return []


def _order_problems(calls: list[dict[str, Any]]) -> list[Msg]:
    times = [instant(c) for c in calls]
    for i in range(1, len(times)):
        a, b = times[i - 1], times[i]
        if a is not None and b is not None and b < a:
            return [
                Msg("ev.not_sorted", {"call": _short(calls[i]), "before": _short(calls[i - 1])})
            ]
    return []


def pages_are_complete_and_stable(ctx: Context) -> Outcome:
    """Small pages give the same calls, once each, in the same stable order as big pages."""
    calls = _history_or_problem(ctx)
    if isinstance(calls, Outcome):
        return calls
    limit = _small_limit(len(calls))
    problems = (
        _order_problems(calls) + _page_problems(ctx, calls, limit) + _repeat_problems(ctx, limit)
    )
    ok = Msg("sum.pages_ok", {"n": len(calls), "limit": limit})
    return _verdict(problems, ok, Msg("sum.pages_bad"))


def _short_page_probe(ctx: Context, endpoint: str, limit: int, offset: int) -> list[Msg]:
    page = ctx.probe.period_page(endpoint, ctx.start, ctx.end, limit, offset)
    if not page.ok_list or len(page.body) >= limit:
        return []
    after = ctx.probe.period_page(endpoint, ctx.start, ctx.end, limit, offset + len(page.body))
    if after.ok_list and after.body:
        return [
            Msg(
                "ev.short_page_mid_data",
                {
                    "endpoint": endpoint,
                    "limit": limit,
                    "offset": offset,
                    "got": len(page.body),
                    "more": len(after.body),
                },
            )
        ]
    return []


def a_short_page_ends_the_data(ctx: Context) -> Outcome:
    """A page with fewer items than `limit` is only ever the last one."""
    calls = _history_or_problem(ctx)
    if isinstance(calls, Outcome):
        return calls
    problems: list[Msg] = []
    limit = _small_limit(len(calls))
    for endpoint, lim, off in (
        (FINISHED, MAX_LIMIT, 0),
        (FINISHED, limit, 0),
        (FINISHED, limit, limit),
        (TICKETS, MAX_LIMIT, 0),
    ):
        problems.extend(_short_page_probe(ctx, endpoint, lim, off))
    return _verdict(problems, Msg("sum.short_page_ok"), Msg("sum.short_page_bad"))


def _offset_problems(items: list[dict[str, Any]], where: str) -> list[Msg]:
    return [
        Msg("ev.time_without_offset", {"where": where, "value": str(item.get(name))})
        for item in items
        for name in ("DateAndTime", "PlanStart", "PlanEnd")
        if name in item
        and item[name] is not None
        and not (isinstance(item[name], str) and OFFSET_RE.match(item[name]))
    ]


def times_carry_offsets(ctx: Context) -> Outcome:
    """Every time in every answer is ISO 8601 with a UTC offset."""
    calls, problem = ctx.finished()
    problems = [problem] if problem else []
    problems += _offset_problems(calls, FINISHED)
    ongoing = ctx.probe.get(ONGOING)
    if ongoing.ok_list:
        problems += _offset_problems([x for x in ongoing.body if isinstance(x, dict)], ONGOING)
    tickets, problem = collect(ctx.probe, TICKETS, ctx.start, ctx.end, MAX_LIMIT)
    problems += ([problem] if problem else []) + _offset_problems(tickets, TICKETS)
    n = len(calls) + len(tickets)
    return _verdict(problems, Msg("sum.offsets_ok", {"n": n}), Msg("sum.offsets_bad"))


def offset_is_accepted_in_both_spellings(ctx: Context) -> Outcome:
    """`offSet` (as some clients spell it) pages exactly like `offset`."""
    calls = _history_or_problem(ctx)
    if isinstance(calls, Outcome) or len(calls) < 2:
        return calls if isinstance(calls, Outcome) else _no_calls()
    a = ctx.probe.period_page(FINISHED, ctx.start, ctx.end, 1, 1, "offset")
    b = ctx.probe.period_page(FINISHED, ctx.start, ctx.end, 1, 1, "offSet")
    if a.ok_list and b.ok_list and a.body == b.body:
        return Outcome(Status.PASS, Msg("sum.offset_spelling_ok"))
    return Outcome(Status.WARNING, Msg("sum.offset_spelling_bad"), [Msg.raw(b.describe())])


# -- (b) current calls ------------------------------------------------------------------------
@dataclass(slots=True)
class _Poll:
    at: float | None  # the provider's time of the answer, when known
    calls: list[dict[str, Any]]


def _provider_time(answer: Exchange, calls: list[dict[str, Any]]) -> float | None:
    """The provider's clock at the answer: from the live calls' own figures, else `Date`."""
    ends = [e for c in calls if (e := _end_instant(c)) is not None]
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
            problems.append(Msg("ev.bad_page", {"exchange": answer.describe()}))
        else:
            calls = [c for c in answer.body if isinstance(c, dict)]
            polls.append(_Poll(_provider_time(answer, calls), calls))
        if time.monotonic() + ctx.poll_interval > deadline:
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
            start, end = instant(call), _end_instant(call)
            if start is None or end is None:
                continue
            if (
                start <= poll.at - MARGIN
                and end >= poll.at + MARGIN
                and call_identity(call) not in listed
            ):
                problems.append(Msg("ev.live_not_listed", {"call": _short(call), "at": at}))
        for key in listed:
            done = by_id.get(key)
            end = _end_instant(done) if done else None
            if done is not None and end is not None and end <= poll.at - MARGIN:
                problems.append(Msg("ev.ended_still_listed", {"call": _short(done), "at": at}))
    return problems


def _disappeared(polls: list[_Poll]) -> int:
    gone = 0
    for earlier, later in itertools.pairwise(polls):
        now = {call_identity(c) for c in later.calls}
        gone += sum(1 for c in earlier.calls if call_identity(c) not in now)
    return gone


def ongoing_calls_appear_while_live_and_disappear_after(ctx: Context) -> Outcome:
    """Polled for a while, GetOngoingCalls lists every call in progress and drops it once ended."""
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


# -- (c) recordings ---------------------------------------------------------------------------
AUDIO_MAGIC = (b"RIFF", b"ID3", b"OggS", b"fLaC", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]+")


def is_audio(content_type: str, head: bytes) -> bool:
    if head.startswith(AUDIO_MAGIC) or head[4:8] == b"ftyp":
        return True
    return content_type.lower().startswith("audio/") and len(head) > 0


def secret_bits(url: str) -> tuple[float, str]:
    """Estimated random bits of the best secret-looking token in the link, and the token."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    best = (0.0, "")
    for token in TOKEN_RE.findall(parts.path + "?" + parts.query):
        if re.fullmatch(r"[0-9a-fA-F]+", token) and not token.isdigit():
            bits = 4.0 * len(token)
        elif token.isdigit():
            bits = 3.32 * len(token) if len(token) >= 20 else 0.0
        else:
            bits = 5.9 * len(token) if re.search(r"\d", token) and len(token) >= 12 else 0.0
        best = max(best, (bits, token))
    return best


def _recorded(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in calls if isinstance(c.get("RecordUrl"), str) and c["RecordUrl"]]


def _recordings_or_outcome(ctx: Context) -> list[dict[str, Any]] | Outcome:
    calls = _history_or_problem(ctx)
    if isinstance(calls, Outcome):
        return calls
    recorded = _recorded(calls)
    if recorded:
        return _samples(recorded)
    talked = sum(
        1 for c in calls if isinstance(c.get("TalkInSeconds"), int) and c["TalkInSeconds"] > 0
    )
    status = Status.FAIL if talked else Status.WARNING
    return Outcome(status, Msg("sum.no_recordings", {"n": len(calls), "talked": talked}))


def recording_links_open_without_auth_and_return_audio(ctx: Context) -> Outcome:
    """Each RecordUrl opens in a browser: no key, 200/206, and the bytes are audio."""
    recorded = _recordings_or_outcome(ctx)
    if isinstance(recorded, Outcome):
        return recorded
    problems: list[Msg] = []
    for call in recorded:
        url = call["RecordUrl"]
        if not url.startswith(("http://", "https://")):
            problems.append(Msg("ev.link_not_absolute", {"url": url}))
            continue
        status, ctype, head, final = ctx.probe.open_link(url)
        if status not in (200, 206):
            problems.append(Msg("ev.link_refused", {"url": final, "status": status}))
        elif not is_audio(ctype, head):
            problems.append(Msg("ev.link_not_audio", {"url": final, "type": ctype or "?"}))
    ok = Msg("sum.links_ok", {"n": len(recorded)})
    return _verdict(problems, ok, Msg("sum.links_bad"))


def _mutated(url: str, token: str) -> str:
    flip = "0" if token[-1] != "0" else "1"
    return url.replace(token, token[:-1] + flip, 1)


def recording_links_are_unguessable(ctx: Context) -> Outcome:
    """Each link carries a secret of >= 64 random bits, and an altered secret opens nothing."""
    recorded = _recordings_or_outcome(ctx)
    if isinstance(recorded, Outcome):
        return recorded
    problems: list[Msg] = []
    tokens = set()
    for call in recorded:
        url = call["RecordUrl"]
        bits, token = secret_bits(url)
        tokens.add(token)
        if bits < 64:
            problems.append(Msg("ev.link_guessable", {"url": url, "bits": round(bits)}))
            continue
        status, ctype, head, _ = ctx.probe.open_link(_mutated(url, token))
        if status in (200, 206) and is_audio(ctype, head):
            problems.append(Msg("ev.link_secret_ignored", {"url": _mutated(url, token)}))
    if len(recorded) > 1 and len(tokens) == 1:
        problems.append(Msg("ev.link_secret_shared", {"token": next(iter(tokens))[:8] + "..."}))
    return _verdict(
        problems, Msg("sum.unguessable_ok", {"n": len(recorded)}), Msg("sum.unguessable_bad")
    )


# -- (d) tracking ------------------------------------------------------------------------------
def utm_and_referrer_are_present_on_tracked_calls(ctx: Context) -> Outcome:
    """Every call carries the UTM and referrer fields; tracked calls have them filled in."""
    calls = _history_or_problem(ctx)
    if isinstance(calls, Outcome):
        return calls
    missing = [c for c in calls if any(f not in c for f in TRACKING_FIELDS)]
    if missing:
        absent = sorted({f for c in missing for f in TRACKING_FIELDS if f not in c})
        ev = [
            Msg("ev.fields_absent", {"call": _short(c), "fields": ", ".join(absent)})
            for c in missing
        ]
        return Outcome(
            Status.FAIL, Msg("sum.utm_fields_absent", {"n": len(missing)}), ev[:EVIDENCE_MAX]
        )
    tracked = [c for c in calls if any(c.get(f) for f in UTM_FIELDS)]
    if not tracked:
        return Outcome(Status.FAIL, Msg("sum.utm_never_filled", {"n": len(calls)}))
    referred = [c for c in tracked if c.get("HttpReferer")]
    if not referred:
        ev = [Msg.raw(_short(c)) for c in tracked[:EVIDENCE_MAX]]
        return Outcome(Status.FAIL, Msg("sum.referrer_never_filled", {"n": len(tracked)}), ev)
    params = {"n": len(calls), "tracked": len(tracked), "referred": len(referred)}
    return Outcome(
        Status.PASS,
        Msg("sum.utm_ok", params),
        [Msg.raw(_short(tracked[0]) + f" utm_source={tracked[0].get('UtmSource')}")],
    )


# -- extras (optional) -------------------------------------------------------------------------
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
        problems.append(Msg("ev.write_refused", {"exchange": stored.describe()}))
    anonymous = ctx.probe.send("POST", "PostTimeTable", json=body, key=None)
    if anonymous.status not in (401, 403):
        problems.append(Msg("ev.missing_key_answered", {"exchange": anonymous.describe()}))
    return _verdict(problems, Msg("sum.timetable_ok"), Msg("sum.timetable_bad"))


def _digits(value: object) -> str:
    return re.sub(r"\D", "", str(value))


def callback_rings_the_employee_then_lists_the_call(ctx: Context) -> Outcome:
    """POST /StartCallback places a call that shows in GetOngoingCalls (employee first)."""
    if not (ctx.allow_calls and ctx.callback_employee and ctx.callback_client):
        return Outcome(Status.SKIPPED, Msg("sum.needs_allow_calls"))
    body = {"EmployeePhone": ctx.callback_employee, "ClientPhone": ctx.callback_client}
    answer = ctx.probe.send("POST", "StartCallback", json=body)
    if answer.status in (404, 405, 501) and not isinstance(answer.body, dict):
        return Outcome(Status.SKIPPED, Msg("sum.callback_not_offered", {"status": answer.status}))
    if answer.status != 202:
        return Outcome(Status.FAIL, Msg("sum.callback_bad"), [Msg.raw(answer.describe())])
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
    return Outcome(Status.FAIL, Msg("sum.callback_not_listed"), [Msg.raw(answer.describe())])


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(
        "missing_or_wrong_keys_are_refused",
        Requirement.ACCESS,
        True,
        missing_or_wrong_keys_are_refused,
    ),
    CheckSpec(
        "bad_requests_are_refused_with_4xx",
        Requirement.ACCESS,
        True,
        bad_requests_are_refused_with_4xx,
    ),
    CheckSpec(
        "period_filter_is_honoured_at_its_edges",
        Requirement.HISTORY,
        True,
        period_filter_is_honoured_at_its_edges,
    ),
    CheckSpec(
        "pages_are_complete_and_stable", Requirement.HISTORY, True, pages_are_complete_and_stable
    ),
    CheckSpec("a_short_page_ends_the_data", Requirement.HISTORY, True, a_short_page_ends_the_data),
    CheckSpec("times_carry_offsets", Requirement.HISTORY, True, times_carry_offsets),
    CheckSpec(
        "offset_is_accepted_in_both_spellings",
        Requirement.HISTORY,
        False,
        offset_is_accepted_in_both_spellings,
    ),
    CheckSpec(
        "ongoing_calls_appear_while_live_and_disappear_after",
        Requirement.CURRENT,
        True,
        ongoing_calls_appear_while_live_and_disappear_after,
    ),
    CheckSpec(
        "recording_links_open_without_auth_and_return_audio",
        Requirement.RECORDINGS,
        True,
        recording_links_open_without_auth_and_return_audio,
    ),
    CheckSpec(
        "recording_links_are_unguessable",
        Requirement.RECORDINGS,
        True,
        recording_links_are_unguessable,
    ),
    CheckSpec(
        "utm_and_referrer_are_present_on_tracked_calls",
        Requirement.TRACKING,
        True,
        utm_and_referrer_are_present_on_tracked_calls,
    ),
    CheckSpec("timetable_is_accepted", Requirement.EXTRAS, False, timetable_is_accepted),
    CheckSpec(
        "callback_rings_the_employee_then_lists_the_call",
        Requirement.EXTRAS,
        False,
        callback_rings_the_employee_then_lists_the_call,
    ),
)
