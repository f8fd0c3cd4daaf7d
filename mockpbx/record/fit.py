"""`mockpbx scenarios fit | compare`: a scenario from real call history, and how close it is.

Sources (detected from the first line):
    a cassette            rows of clinic GetFinishedCalls or UIS get.calls_report answers
    `mockpbx generate`    the truth export (lines with "type": "call", staff lines)
    `pbx-adapter export`  CallRecord lines (started_at, direction, answered, ...)

The fit derives staff and SIP lines (employees seen answering), numbers and
their shares of incoming calls, volume by hour and weekday, the answer rate,
answer-delay, patience and talk distributions, and the shares of outgoing
calls, repeat callers and callbacks of missed calls; calls per day and the
answer rate are then calibrated once against a generated history (the engine's
routing and repeat callers change both).

`compare` gives per distribution a distance between two histories:
Kolmogorov-Smirnov (talk and wait durations), total variation (hour,
weekday, direction, answered), and plain differences for the rates.
"""

from __future__ import annotations

import io
import math
import statistics
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

__all__ = [
    "Call",
    "FitError",
    "compare_calls",
    "compare_files",
    "fit_calls",
    "fit_file",
    "ks_distance",
    "load_calls",
    "render_distances",
    "tv_distance",
]

DEFAULT_TZ = "Europe/Moscow"
RING_SECONDS = 20  # the default ring time per administrator (RouteSpec.ring_seconds)
CALIBRATION_ROUNDS = 2


class FitError(Exception):
    """A source that holds no usable call history (names the file and why)."""


@dataclass(frozen=True, slots=True)
class Call:
    start: datetime  # aware, in the account's timezone
    direction: str  # in | out
    answered: bool
    wait: int
    talk: int
    contact: str | None = None
    number: str | None = None  # the clinic's number (virtual number)
    line: str | None = None  # the SIP line (or employee) that answered


# -- loading ---------------------------------------------------------------------------------
def load_calls(path: Path, tz: str = DEFAULT_TZ) -> tuple[list[Call], dict[str, Any]]:
    """(calls sorted by start, facts such as staff names) of any supported source."""
    try:
        lines = [orjson.loads(raw) for raw in path.read_bytes().splitlines() if raw.strip()]
    except (OSError, orjson.JSONDecodeError) as exc:
        raise FitError(f"{path}: not a JSON lines file ({exc})") from None
    if not lines:
        raise FitError(f"{path}: empty")
    first = lines[0]
    if "mockpbx_cassette" in first:
        calls, facts = _from_cassette(lines[1:], ZoneInfo(tz))
    elif "type" in first:
        calls, facts = _from_truth(lines)
    else:
        calls, facts = _from_export(lines, ZoneInfo(tz))
    if not calls:
        raise FitError(f"{path}: no calls found (expected finished-call rows or call records)")
    return sorted(calls, key=lambda c: c.start), facts


def _from_truth(lines: list[dict[str, Any]]) -> tuple[list[Call], dict[str, Any]]:
    staff = {str(x["id"]): x for x in lines if x.get("type") == "administrator"}
    calls = []
    for x in lines:
        if x.get("type") != "call" or x.get("kind") == "internal":
            continue
        calls.append(
            Call(
                start=datetime.fromisoformat(x["start"]),
                direction=x["direction"],
                answered=x.get("answer") is not None,
                wait=int(x.get("wait_seconds") or 0),
                talk=int(x.get("talk_seconds") or 0),
                contact=x.get("contact_number"),
                number=x.get("virtual_number"),
                line=_sip_line(staff, x.get("answered_by")),
            )
        )
    return calls, {"staff": staff}


def _sip_line(staff: dict[str, Any], employee: Any) -> str | None:
    """The SIP line of the employee who answered (their id when the export has no lines)."""
    if employee is None:
        return None
    lines = (staff.get(str(employee)) or {}).get("sip_lines") or []
    return str(lines[0]) if lines else str(employee)


def _from_export(lines: list[dict[str, Any]], tz: ZoneInfo) -> tuple[list[Call], dict[str, Any]]:
    calls = []
    for x in lines:
        if "started_at" not in x:
            continue
        calls.append(
            Call(
                start=datetime.fromisoformat(x["started_at"]).astimezone(tz),
                direction=str(x.get("direction", "in")),
                answered=bool(x.get("answered")),
                wait=int(x.get("wait_seconds") or 0),
                talk=int(x.get("talk_seconds") or 0),
                contact=x.get("contact_number"),
                number=x.get("virtual_number"),
                line=x.get("sip_line") or x.get("employee_id"),
            )
        )
    return calls, {}


def _from_cassette(
    exchanges: list[dict[str, Any]], tz: ZoneInfo
) -> tuple[list[Call], dict[str, Any]]:
    seen: dict[Any, Call] = {}
    for ex in exchanges:
        body = (ex.get("response") or {}).get("body")
        if ex.get("method") == "GetFinishedCalls" and isinstance(body, list):
            for row in body:
                key = row.get("Id") or (row.get("DateAndTime"), row.get("PhoneFrom"))
                seen[key] = _clinic_call(row, tz)
        elif ex.get("method") == "get.calls_report" and isinstance(body, dict):
            for row in (body.get("result") or {}).get("data") or []:
                seen[row.get("id")] = _uis_call(row, tz)
    return list(seen.values()), {}


def _clinic_call(row: dict[str, Any], tz: ZoneInfo) -> Call:
    out = row.get("Direction") == "out"
    talk = int(row.get("TalkInSeconds") or 0)
    return Call(
        start=datetime.fromisoformat(row["DateAndTime"]).astimezone(tz),
        direction="out" if out else "in",
        answered=talk > 0,
        wait=int(row.get("WaitInSeconds") or 0),
        talk=talk,
        contact=row.get("PhoneTo") if out else row.get("PhoneFrom"),
        number=row.get("PhoneFrom") if out else row.get("PhoneTo"),
        line=row.get("LineDescription") if talk > 0 else None,
    )


def _uis_call(row: dict[str, Any], tz: ZoneInfo) -> Call:
    start = datetime.fromisoformat(str(row["start_time"]).replace(" ", "T"))
    return Call(
        start=start.replace(tzinfo=tz) if start.tzinfo is None else start.astimezone(tz),
        direction=str(row.get("direction", "in")),
        answered=not row.get("is_lost", False),
        wait=int(row.get("wait_duration") or 0),
        talk=int(row.get("talk_duration") or 0),
        contact=row.get("contact_phone_number"),
        number=row.get("virtual_phone_number"),
    )


# -- statistics ------------------------------------------------------------------------------
def ks_distance(a: list[float], b: list[float]) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two ECDFs."""
    if not a or not b:
        return 1.0 if a or b else 0.0
    xs, ys = sorted(a), sorted(b)
    gap = 0.0
    for v in xs + ys:
        gap = max(gap, abs(bisect_right(xs, v) / len(xs) - bisect_right(ys, v) / len(ys)))
    return gap


def tv_distance(p: Mapping[Any, float], q: Mapping[Any, float]) -> float:
    """Total variation distance between two (unnormalized) categorical distributions."""
    sp, sq = sum(p.values()) or 1.0, sum(q.values()) or 1.0
    return 0.5 * sum(abs(p.get(k, 0) / sp - q.get(k, 0) / sq) for k in set(p) | set(q))


def _days(calls: list[Call]) -> list[date]:
    first, last = calls[0].start.date(), calls[-1].start.date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _incoming(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.direction == "in"]


def _by_weekday(calls: list[Call]) -> dict[int, float]:
    """Mean incoming calls per weekday (Monday 0) over the days the history spans."""
    counts = Counter(c.start.weekday() for c in _incoming(calls))
    spans = Counter(d.weekday() for d in _days(calls))
    return {w: counts[w] / spans[w] for w in range(7) if spans[w]}


def _by_hour(calls: list[Call]) -> dict[int, float]:
    counts = Counter(c.start.hour for c in _incoming(calls))
    return {h: float(counts[h]) for h in range(24)}


def _repeat_share(calls: list[Call]) -> float:
    """Of (contact, day) pairs with an incoming call, the share with more than one."""
    per = Counter((c.contact, c.start.date()) for c in _incoming(calls) if c.contact)
    return sum(1 for n in per.values() if n > 1) / len(per) if per else 0.0


def _callback_share(calls: list[Call]) -> float:
    """Of missed incoming calls, the share followed by an outgoing call to the same contact."""
    outgoing: dict[str, list[datetime]] = defaultdict(list)
    for c in calls:
        if c.direction == "out" and c.contact:
            outgoing[c.contact].append(c.start)
    missed = [c for c in _incoming(calls) if not c.answered and c.contact]
    if not missed:
        return 0.0
    called_back = sum(
        1
        for c in missed
        if any(
            c.start < t <= c.start + timedelta(days=1) for t in outgoing.get(c.contact or "", [])
        )
    )
    return called_back / len(missed)


def _summary(calls: list[Call]) -> dict[str, Any]:
    inc = _incoming(calls)
    answered = [c for c in inc if c.answered]
    return {
        "calls_per_day": len(inc) / len(_days(calls)),
        "answered_share": len(answered) / len(inc) if inc else 0.0,
        "outgoing_per_incoming": (len(calls) - len(inc)) / len(inc) if inc else 0.0,
        "repeat_callers": _repeat_share(calls),
        "callbacks_of_missed": _callback_share(calls),
    }


# -- fitting ---------------------------------------------------------------------------------
def _quantile(values: list[float], q: float) -> float:
    xs = sorted(values)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))] if xs else 0.0


def _lognormal(values: list[float]) -> dict[str, Any]:
    logs = [math.log(v) for v in values if v > 0]
    if len(logs) < 2:
        return {"kind": "fixed", "median": values[0] if values else 60}
    return {
        "kind": "lognormal",
        "median": round(math.exp(statistics.median(logs)), 1),
        "sigma": round(statistics.pstdev(logs), 3),
        "low": round(min(values)),
        "high": round(max(values)),
    }


def _uniform(values: list[float], default: tuple[int, int]) -> dict[str, Any]:
    if not values:
        return {"kind": "uniform", "low": default[0], "high": default[1]}
    low, high = _quantile(values, 0.05), _quantile(values, 0.95)
    return {"kind": "uniform", "low": round(low), "high": round(max(high, low + 1))}


def fit_calls(calls: list[Call], name: str = "fitted", tz: str = DEFAULT_TZ) -> dict[str, Any]:
    """A scenario (as a plain dict for YAML) whose generated history resembles `calls`."""
    inc = _incoming(calls)
    if not inc:
        raise FitError("no incoming calls to fit")
    answered = [c for c in inc if c.answered]
    summary = _summary(calls)
    weekday = _by_weekday(calls)
    mean_w = statistics.mean(weekday.values()) or 1.0
    lines = sorted({c.line for c in answered if c.line})
    numbers = Counter(c.number for c in inc if c.number)
    # the first administrator rung answers within one ring (RouteSpec.ring_seconds, 20 s);
    # later answers waited through earlier rings, so only the first ring shows the delay
    first_ring = [c.wait for c in answered if c.wait <= RING_SECONDS]
    rate = round(min(1.0, max(0.05, len(first_ring) / len(inc))), 3)
    scenario: dict[str, Any] = {
        "name": name,
        "description": f"fitted to {len(calls)} calls over {len(_days(calls))} day(s)",
        "timezone": tz,
        "history_days": max(1, len(_days(calls))),
        "volume": {
            "calls_per_day": round(summary["calls_per_day"], 2),
            "by_hour": [round(v, 2) for v in _by_hour(calls).values()],
            "by_weekday": [round(weekday.get(w, 0.0) / mean_w, 3) for w in range(7)],
        },
        "durations": {
            "answer_delay": _uniform([float(w) for w in first_ring], (3, 15)),
            "talk": _lognormal([c.talk for c in answered if c.talk > 0]),
            "patience": _uniform([c.wait for c in inc if not c.answered], (30, 120)),
        },
        "shares": {
            "outgoing": round(min(1.0, summary["outgoing_per_incoming"]), 3),
            "repeat_callers": round(summary["repeat_callers"], 3),
            "callbacks_of_missed": round(summary["callbacks_of_missed"], 3),
        },
    }
    if lines:
        scenario["staff"] = [
            {"key": f"admin{i + 1}", "answer_rate": rate, "sip_lines": [{"login": line}]}
            for i, line in enumerate(lines)
            if str(line).isdigit()
        ] or [{"key": "admin", "count": len(lines), "answer_rate": rate}]
    if numbers:
        scenario["numbers"] = [
            {"key": f"n{i + 1}", "number": str(num), "weight": round(n / len(inc), 4)}
            for i, (num, n) in enumerate(numbers.most_common())
            if str(num).isdigit() and len(str(num)) >= 10
        ]
    return scenario


def _generate(scenario: dict[str, Any], days: list[date], seed: int = 1) -> list[Call]:
    from mockpbx.providers.registry import FACE_IDS
    from mockpbx.scenarios.export import export_truth
    from mockpbx.scenarios.model import Scenario

    sc = Scenario.model_validate(scenario)
    buf = io.StringIO()
    export_truth(sc, seed, days[0], days[-1], buf, FACE_IDS)
    calls, _ = _from_truth([orjson.loads(x) for x in buf.getvalue().splitlines() if x])
    return calls


def calibrate(
    scenario: dict[str, Any], real: list[Call], rounds: int = CALIBRATION_ROUNDS
) -> dict[str, Any]:
    """Correct the rates the engine's routing and repeat callers change, against generated
    histories: calls per day, answer rates, repeat callers and callbacks."""
    want = _summary(real)
    for _ in range(rounds):
        generated = _generate(scenario, _days(real))
        if not _incoming(generated):
            break
        _correct(scenario, want, _summary(generated))
    return scenario


def _scaled(value: float, want: float, got: float, cap: float | None = 1.0) -> float:
    out = value * want / got if got > 0 else value
    return round(min(cap, out) if cap is not None else out, 3)


def _correct(scenario: dict[str, Any], want: dict[str, Any], got: dict[str, Any]) -> None:
    volume, shares = scenario["volume"], scenario["shares"]
    volume["calls_per_day"] = _scaled(
        volume["calls_per_day"], want["calls_per_day"], got["calls_per_day"], None
    )
    for name in ("repeat_callers", "callbacks_of_missed"):
        shares[name] = _scaled(shares[name], want[name], got[name])
    shares["outgoing"] = _scaled(
        shares["outgoing"], want["outgoing_per_incoming"], got["outgoing_per_incoming"]
    )
    miss_want, miss_got = 1 - want["answered_share"], 1 - got["answered_share"]
    for staff in scenario.get("staff", []):
        miss = (1 - staff["answer_rate"]) * (miss_want / miss_got if miss_got > 0 else 1.0)
        staff["answer_rate"] = round(min(1.0, max(0.0, 1 - miss)), 3)


def fit_file(path: Path, name: str = "fitted", tz: str = DEFAULT_TZ) -> tuple[str, str]:
    """(scenario YAML, a one-line summary) fitted to a source file."""
    import yaml

    calls, _ = load_calls(path, tz)
    scenario = calibrate(fit_calls(calls, name, tz), calls)
    from mockpbx.scenarios.model import Scenario

    Scenario.model_validate(scenario)  # what we write must load
    header = f"# fitted by `mockpbx scenarios fit {path.name}`\n"
    text = header + yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False)
    return text, scenario["description"]


# -- comparing -------------------------------------------------------------------------------
def compare_calls(a: list[Call], b: list[Call]) -> dict[str, dict[str, Any]]:
    """Per distribution: the metric, the distance between `a` and `b`, and both sides."""

    def answered_talk(cs: list[Call]) -> list[float]:
        return [c.talk for c in _incoming(cs) if c.answered]

    def wait(cs: list[Call], answered: bool) -> list[float]:
        return [c.wait for c in _incoming(cs) if c.answered is answered]

    sa, sb = _summary(a), _summary(b)
    out: dict[str, dict[str, Any]] = {
        "talk": {"metric": "ks", "distance": ks_distance(answered_talk(a), answered_talk(b))},
        "wait_answered": {"metric": "ks", "distance": ks_distance(wait(a, True), wait(b, True))},
        "wait_missed": {"metric": "ks", "distance": ks_distance(wait(a, False), wait(b, False))},
        "hour": {"metric": "tv", "distance": tv_distance(_by_hour(a), _by_hour(b))},
        "weekday": {"metric": "tv", "distance": tv_distance(_by_weekday(a), _by_weekday(b))},
        "direction": {
            "metric": "tv",
            "distance": tv_distance(
                Counter(c.direction for c in a), Counter(c.direction for c in b)
            ),
        },
        "answered": {
            "metric": "tv",
            "distance": tv_distance(
                Counter(c.answered for c in _incoming(a)), Counter(c.answered for c in _incoming(b))
            ),
        },
        "calls_per_day": {
            "metric": "relative",
            "distance": abs(sa["calls_per_day"] - sb["calls_per_day"])
            / max(sa["calls_per_day"], 1e-9),
        },
    }
    for name in ("repeat_callers", "callbacks_of_missed"):
        out[name] = {"metric": "absolute", "distance": abs(sa[name] - sb[name])}
    for name, entry in out.items():
        entry["distance"] = round(entry["distance"], 4)
        entry["a"], entry["b"] = sa.get(name), sb.get(name)
    return out


def compare_files(a: Path, b: Path, tz: str = DEFAULT_TZ) -> dict[str, dict[str, Any]]:
    return compare_calls(load_calls(a, tz)[0], load_calls(b, tz)[0])


def render_distances(distances: dict[str, dict[str, Any]]) -> str:
    """A table: distribution, metric, distance."""
    rows = [f"{'distribution':22} {'metric':10} {'distance':>9}"]
    for name, d in distances.items():
        rows.append(f"{name:22} {d['metric']:10} {d['distance']:9.4f}")
    return "\n".join(rows) + "\n"
