"""The hot loop of generation: one clinic's calls of one day, and its building blocks.

`Engine` (engine.py) compiles a scenario into per-clinic plans once; this
module draws a day from them. Kept apart so the engine stays readable and the
loop can be tuned for speed: one loop per clinic-day with everything in locals,
slot-by-slot builders (fastcalls.py), durations and visits drawn inline from
precomputed tables, free-target subsets cached per route. Every draw happens in
the same order as before any tuning: `tests/mockpbx/scenarios/test_golden.py`
pins a digest of the calls of every built-in scenario.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import NormalDist
from zoneinfo import ZoneInfo

from mockpbx.core.calls import Target, add_transfer
from mockpbx.core.model import Call, VirtualNumber, Visit
from mockpbx.scenarios.fastcalls import fast_incoming, fast_outgoing
from mockpbx.scenarios.model import Channel, ClinicSpec, Distribution, Scenario

__all__ = [
    "DEVICES",
    "PAGES",
    "ClinicDay",
    "ClinicPlan",
    "CompiledChannel",
    "DayTables",
    "Draw",
    "Route",
    "VisitSource",
    "compile_channel",
    "cumulative",
    "draw_visit",
    "fresh_phone",
    "inline_draw",
    "patient_phone",
    "poisson",
    "quantile_table",
    "sampler",
    "unique_fresh_phone",
]

Sampler = Callable[[random.Random], float]

# Existing patients and fresh callers dial from disjoint mobile codes, so a
# number's class (patient or not) never depends on which days were generated.
_PATIENT_CODES = ("903", "905", "909", "915", "916", "921")
_NEW_CODES = ("925", "926", "977", "985", "999", "958")


def patient_phone(rnd: random.Random) -> str:
    """A phone of the clinic's patient base (never drawn for a fresh caller)."""
    return f"7{rnd.choice(_PATIENT_CODES)}{rnd.randrange(10_000_000):07d}"


def fresh_phone(rnd: random.Random) -> str:
    return f"7{_NEW_CODES[int(rnd.random() * 6)]}{int(rnd.random() * 10_000_000):07d}"


_FRESH_PER_DAY = 600  # fresh callers per clinic and day with a guaranteed-unique number
_EPOCH = date(2000, 1, 1)


def unique_fresh_phone(day: date, clinic_slot: int, k: int, rnd: random.Random) -> str:
    """The k-th fresh caller of a clinic's day: unique across days (for 27 years, 10 clinics).

    A fresh number is never a patient's (disjoint codes) and never another
    day's fresh caller, so whether a caller is new follows from the number
    alone. Beyond 600 fresh callers a clinic-day draws at random.
    """
    if k >= _FRESH_PER_DAY:
        return fresh_phone(rnd)
    n = ((day - _EPOCH).days % 10_000) * 6000 + (clinic_slot % 10) * _FRESH_PER_DAY + k
    code, rest = divmod(n, 10_000_000)
    return f"7{_NEW_CODES[code]}{(rest * 7919 + 4_412_871) % 10_000_000:07d}"


_new = object.__new__
_TABLE = 4096  # quantiles per distribution: draws are a table lookup, ~0.1 µs


def sampler(dist: Distribution) -> Sampler:
    """A fast draw function for a duration distribution (inverse CDF, tabulated)."""
    if dist.kind == "fixed":
        value = dist.median
        return lambda rnd: value
    if dist.kind == "uniform":
        low, span = dist.low, dist.high - dist.low
        return lambda rnd: low + span * rnd.random()
    table = quantile_table(dist)
    assert table is not None
    return lambda rnd: table[int(rnd.random() * _TABLE)]


# A sampler taken apart for the hot loop, drawn with no call: (table, low, span) is
# table[int(random() * len(table))] when tabulated, else low + span * random()
# (uniform), else low (fixed: no draw). The same values as `sampler(dist)`.
Draw = tuple[list[float] | None, float, float | None]


def inline_draw(dist: Distribution) -> Draw:
    """`dist` as (table, low, span), to draw inline exactly like `sampler(dist)`."""
    if dist.kind == "fixed":
        return None, dist.median, None
    if dist.kind == "uniform":
        return None, dist.low, dist.high - dist.low
    return quantile_table(dist), 0.0, 0.0


def quantile_table(dist: Distribution) -> list[float] | None:
    """The `_TABLE` quantiles a log-normal `dist` is drawn from (None: not tabulated).

    A draw is `table[int(rnd.random() * len(table))]`, the same as `sampler(dist)`.
    """
    if dist.kind in ("fixed", "uniform"):
        return None
    normal = NormalDist(math.log(max(dist.median, 1)), max(dist.sigma, 1e-9))
    high = dist.high if dist.high > dist.low else math.inf
    return [
        min(max(math.exp(normal.inv_cdf((i + 0.5) / _TABLE)), dist.low), high)
        for i in range(_TABLE)
    ]


CompiledChannel = tuple[
    str, str | None, str | None, str | None, str | None, str,
    tuple[tuple[str | None, str | None], ...], tuple[str, ...],
]  # fmt: skip
# How the web visit behind a route's calls is drawn: one channel (static tracking)
# or channels by cumulative weight (dynamic tracking, cum is not None).
VisitSource = tuple[tuple[CompiledChannel, ...], list[float] | None]


def compile_channel(c: Channel) -> CompiledChannel:
    """A channel's constant visit fields, referrers and terms, ready for the hot loop."""
    referrers = tuple((d, f"https://{d}/") for d in c.referrer_domains) or ((None, None),)
    terms = tuple(c.utm_term) if isinstance(c.utm_term, list) else ()
    if isinstance(c.utm_term, str):
        terms = (c.utm_term,)
    return (c.key, c.utm_source, c.utm_medium, c.utm_campaign, c.utm_content, c.uis_channel,
            referrers, terms)  # fmt: skip


def draw_visit(random: Callable[[], float], source: VisitSource, ts: int) -> Visit:
    """The web visit behind a tracked call that starts at `ts`."""
    channels, cum = source
    if cum is None:
        compiled = channels[0]
    else:
        compiled = channels[min(bisect.bisect(cum, random() * cum[-1]), len(channels) - 1)]
    key, utm_source, medium, campaign, content, channel, referrers, terms = compiled
    domain, referrer = referrers[int(random() * len(referrers))]
    term = terms[int(random() * len(terms))] if terms else None
    visit = _new(Visit)  # every field set here: no class call (the hot path)
    visit.id = 1_000_000_000 + int(random() * 9_000_000_000)
    visit.channel_key, visit.utm_source, visit.utm_medium = key, utm_source, medium
    visit.utm_campaign, visit.utm_term, visit.utm_content = campaign, term, content
    visit.referrer, visit.referrer_domain = referrer, domain
    visit.entrance_page = PAGES[int(random() * 3)]
    visit.search_engine = visit.search_query = None
    visit.channel = channel
    visit.device = DEVICES[int(random() * 3)]
    visit.visit_ts = ts - 60 - int(random() * 1740)
    visit.site_domain_name = "clinic.example"
    visit.campaign_id = visit.campaign_name = None
    return visit


@dataclass(slots=True)
class Route:
    number: VirtualNumber
    targets: list[Target]
    rates: list[float]
    strategy: str
    ring_seconds: int
    channel: Channel | None
    source: str
    visit: VisitSource | None = None  # None: calls on this number come from no web visit
    emp_ids: tuple[int, ...] = ()  # the targets' employees (who may be busy)
    # (targets, rates) of those free, by which targets are free: computed once each
    free: dict[tuple[bool, ...], tuple[list[Target], list[float]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.emp_ids = tuple(t.employee.id for t in self.targets)

    def free_targets(self, free: tuple[bool, ...]) -> tuple[list[Target], list[float]]:
        """The targets (and their answer rates) that are free, in routing order."""
        found = self.free.get(free)
        if found is None:
            found = self.free[free] = (
                [t for t, f in zip(self.targets, free, strict=True) if f],
                [r for r, f in zip(self.rates, free, strict=True) if f],
            )
        return found


@dataclass(frozen=True, slots=True)
class DayTables:
    """What every clinic-day of one scenario draws from (built once by the engine)."""

    scenario: Scenario
    tz: ZoneInfo  # the account's zone: a day is an account-local day
    draws: tuple[Draw, Draw, Draw]  # answer delay, talk, patience as `inline_draw` tables
    talk: Sampler  # the talk duration of a call a transfer hands on


@dataclass(slots=True)
class ClinicPlan:
    spec: ClinicSpec
    tz: ZoneInfo
    slot: int  # the clinic's index in the scenario
    routes: list[Route] = field(default_factory=list)
    cum: list[float] = field(default_factory=list)
    admins: list[Target] = field(default_factory=list)
    staff: list[Target] = field(default_factory=list)
    patients: list[str] = field(default_factory=list)


PAGES = (
    "https://clinic.example/",
    "https://clinic.example/implants",
    "https://clinic.example/prices",
)
DEVICES = ("desktop", "mobile", "mobile")


class ClinicDay:
    """One clinic's calls of one account-local day (the hot loop of generation)."""

    __slots__ = (
        "busy",
        "busy_max",
        "calls",
        "day",
        "day_start",
        "hours",
        "length",
        "links",
        "plan",
        "rnd",
        "shares",
        "shift",
        "tables",
        "today",
    )

    def __init__(
        self,
        tables: DayTables,
        plan: ClinicPlan,
        rnd: random.Random,
        day: date,
        day_start: int,
        length: int,
        calls: list[Call],
        links: list[tuple[Call, Call]],
    ) -> None:
        self.tables, self.plan, self.rnd, self.day = tables, plan, rnd, day
        self.day_start, self.length, self.calls, self.links = day_start, length, calls, links
        noon = datetime.fromtimestamp(day_start + length // 2, tables.tz)
        local_offset = noon.utcoffset()
        clinic_offset = noon.astimezone(plan.tz).utcoffset()
        assert local_offset is not None
        assert clinic_offset is not None
        self.shift = int((clinic_offset - local_offset).total_seconds())  # clinic ahead by
        self.hours = plan.spec.hours(day.weekday())
        self.shares = tables.scenario.shares
        self.busy: dict[int, int] = {}
        self.busy_max = 0  # nobody is busy at or after this time
        self.today: list[str] = []  # new callers of today, who may call again

    def arrivals(self) -> list[int]:
        sc = self.tables.scenario
        vol = sc.volume
        mean = vol.calls_per_day * vol.by_weekday[self.day.weekday()] * self.plan.spec.volume_factor
        total_w = sum(vol.by_hour) or 1.0
        rnd, length, base = self.rnd, self.length, self.day_start
        random = rnd.random
        starts: list[int] = []
        for hour, w in enumerate(vol.by_hour):
            n = poisson(rnd, mean * w / total_w)
            offset = hour * 3600 - self.shift
            starts += [base + (offset + int(random() * 3600)) % length for _ in range(n)]
        starts.sort()
        return starts

    def contact(self) -> str:
        rnd, today = self.rnd, self.today
        if rnd.random() < (self.shares.existing_patients if self.plan.patients else -1.0):
            patients = self.plan.patients
            return patients[int(rnd.random() * len(patients))]
        if today and rnd.random() < self.shares.repeat_callers:
            return today[int(rnd.random() * len(today))]
        phone = unique_fresh_phone(self.day, self.plan.slot, len(self.today), rnd)
        self.today.append(phone)
        return phone

    def run(self) -> None:
        """Every incoming call of the day, in arrival order, and what follows each.

        One loop with everything bound to locals: this is where generation
        spends its time. Per call, in this order: a route by weight, the
        caller, who answers, the durations, the web visit, recorded or not, a
        late history row; then a transfer, a callback or an extra outgoing call.
        """
        rnd, plan, busy, today, tables, shares = (
            self.rnd, self.plan, self.busy, self.today, self.tables, self.shares
        )  # fmt: skip
        random, busy_get, append, pick = rnd.random, busy.get, self.calls.append, bisect.bisect
        routes, cum, patients, admins = plan.routes, plan.cum, plan.patients, plan.admins
        cum_total, n_patients = cum[-1], len(patients)
        p_existing = shares.existing_patients if patients else -1.0
        p_repeat, p_recorded, p_late = shares.repeat_callers, shares.recorded, shares.late_rows
        always_recorded, late_delay = p_recorded >= 1.0, shares.late_rows_delay
        p_transfer, p_callback, p_outgoing = (
            shares.transfers, shares.callbacks_of_missed, shares.outgoing
        )  # fmt: skip
        (delays, d_low, d_span), (talks, t_low, t_span), (waits, w_low, w_span) = tables.draws
        q = _TABLE
        opens, closes = self.hours if self.hours is not None else (0, -1)  # None: closed all day
        day, slot, clinic_id = self.day, plan.slot, plan.spec.id
        to_minute = self.shift - self.day_start
        for ts in self.arrivals():
            route = routes[pick(cum, random() * cum_total)]
            closed = not opens <= ((ts + to_minute) // 60) % 1440 < closes
            if random() < p_existing:  # an existing patient, a new caller again, a fresh one
                contact = patients[int(random() * n_patients)]
            elif today and random() < p_repeat:
                contact = today[int(random() * len(today))]
            else:
                contact = unique_fresh_phone(day, slot, len(today), rnd)
                today.append(contact)
            if ts < self.busy_max:  # ring only those not on another call
                free = tuple([busy_get(e, 0) <= ts for e in route.emp_ids])
                targets, rates = route.free.get(free) or route.free_targets(free)
            else:
                targets, rates = route.targets, route.rates
            answered_by = None
            if route.strategy == "simultaneous":
                if targets and random() < rates[0]:
                    answered_by = int(random() * len(targets))
            else:
                for i, rate in enumerate(rates):
                    if random() < rate:
                        answered_by = i
                        break
            visit = route.visit
            call = fast_incoming(
                ts, contact, route.number.number, targets, answered_by,
                int(delays[int(random() * q)] if delays
                    else d_low if d_span is None else d_low + d_span * random()),
                int(talks[int(random() * q)] if talks
                    else t_low if t_span is None else t_low + t_span * random()),
                route.strategy, route.ring_seconds,
                int(waits[int(random() * q)] if waits
                    else w_low if w_span is None else w_low + w_span * random()),
                random() < 0.6, route.source,
                draw_visit(random, visit, ts) if visit is not None else None,
                clinic_id, always_recorded or random() < p_recorded, closed,
            )  # fmt: skip
            if p_late and random() < p_late:
                call.history_delay = late_delay
            append(call)
            if answered_by is not None and call.answer_ts is not None:
                employee = targets[answered_by].employee.id
                if p_transfer and random() < p_transfer:
                    employee = self.transfer(call, employee)
                busy[employee] = end = call.end_ts
                if end > self.busy_max:
                    self.busy_max = end
            elif not closed and admins and random() < p_callback:
                self.links.append((self.outgoing(call.end_ts, contact), call))
            if not closed and admins and random() < p_outgoing:
                self.outgoing(call.start_ts + 600 + int(random() * 3000), None)

    def transfer(self, call: Call, from_employee: int) -> int:
        """Transfer the call to another employee; returns who talks last."""
        others = [t for t in self.plan.staff if t.employee.id != from_employee]
        if not others or call.answer_ts is None or call.end_ts - call.answer_ts < 20:
            return from_employee
        rnd = self.rnd
        target = others[int(rnd.random() * len(others))]
        at = call.answer_ts + 10 + int(rnd.random() * (call.end_ts - call.answer_ts - 10))
        add_transfer(call, target, at=min(at, call.end_ts - 1), ring=3 + int(rnd.random() * 8))
        return target.employee.id

    def outgoing(self, after: int, contact: str | None) -> Call:
        """An administrator's outgoing call after `after` (to `contact`, or a caller drawn)."""
        rnd, plan, shares = self.rnd, self.plan, self.shares
        random, day_start, admins = rnd.random, self.day_start, plan.admins
        ts = after + 120 + int(random() * 1680)
        if self.hours is not None:
            latest = day_start + self.hours[1] * 60 - self.shift - 60
            ts = ts if ts < latest else latest
        ts = ts if ts > after + 1 else after + 1
        last = day_start + self.length - 1
        ts = ts if ts < last else last
        target = admins[int(random() * len(admins))]
        answered = random() < 0.75
        line = target.line
        call = fast_outgoing(
            ts,
            target,
            contact or self.contact(),
            line.virtual_phone_number or line.login,
            5 + int(random() * 21),
            int(self.tables.talk(rnd)) if answered else None,
            plan.spec.id,
            random() < shares.recorded,
        )
        if shares.late_rows and random() < shares.late_rows:
            call.history_delay = shares.late_rows_delay
        emp, end = target.employee.id, call.end_ts
        if end > self.busy.get(emp, 0):
            self.busy[emp] = end
        if end > self.busy_max:
            self.busy_max = end
        self.calls.append(call)
        return call


def cumulative(weights: Sequence[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out or [0.0]


def poisson(rnd: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, round(rnd.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rnd.random()
    while p > limit:
        k += 1
        p *= rnd.random()
    return k
