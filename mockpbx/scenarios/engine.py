"""The generator: a scenario and a seed become a directory and days of calls.

Everything drawn for a day comes from that day's own random stream
(`seeds.random("day", date)`), so days can be generated lazily, in any
order, and always come out byte-identical.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from mockpbx.core.calls import Target, build_incoming, build_outgoing
from mockpbx.core.clock import VirtualClock
from mockpbx.core.ids import Seeds, name_parts, phone_from
from mockpbx.core.model import (
    Account,
    Call,
    Clinic,
    Employee,
    NumberType,
    RoutingRule,
    SipLine,
    VirtualNumber,
    Visit,
)
from mockpbx.core.store import CallIds
from mockpbx.core.world import Directory, World
from mockpbx.scenarios.model import Channel, Distribution, NumberSpec, Scenario, StaffSpec

__all__ = ["Engine", "build_world"]


@dataclass(slots=True)
class _Route:
    number: VirtualNumber
    targets: list[Target]
    strategy: str
    ring_seconds: int
    channel: Channel | None


@dataclass(slots=True)
class _ClinicPlan:
    spec_id: int
    routes: list[_Route] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    admins: list[Target] = field(default_factory=list)
    patients: list[str] = field(default_factory=list)


class Engine:
    """Turns a `Scenario` and a seed into a `Directory` and lazily generated days."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.seeds = Seeds(seed)
        self.tz = ZoneInfo(scenario.timezone)
        self.answer_rates: dict[int, float] = {}
        self.directory = self._build_directory()
        self._plans = self._build_plans()

    # -- directory ---------------------------------------------------------------
    def _build_directory(self) -> Directory:
        sc = self.scenario
        rnd = self.seeds.random("directory")
        account = Account(
            app_id=sc.app_id,
            name=sc.account_name,
            timezone=sc.timezone,
            product_id=400_000_000 + rnd.randrange(100_000),
            sip_domain=f"vpbx{400_000_000 + rnd.randrange(100_000)}.mangosip.ru",
        )
        d = Directory(account=account)
        for c in sc.clinics:
            d.clinics.append(Clinic(c.id, c.name, c.address, c.timezone or sc.timezone))
        self._add_staff(d, rnd)
        self._add_numbers(d, rnd)
        return d

    def _add_staff(self, d: Directory, rnd: random.Random) -> None:
        parts = name_parts()
        emp_id, line_id = 25, 10_031_300
        for spec in self.scenario.staff or _default_staff():
            for _ in range(spec.count):
                emp_id += 1 + rnd.randrange(3)
                last, first, middle = _split_name(spec.name) if spec.name else parts.draw(rnd)
                ext = str(100 + len(d.employees) + 1)
                emp = Employee(
                    id=emp_id,
                    last_name=last,
                    first_name=first,
                    patronymic=middle,
                    extension=ext,
                    phone_numbers=(phone_from(rnd),),
                    role=spec.role,
                    clinic_id=spec.clinic,
                    login=f"user{emp_id}",
                    email=f"user{emp_id}@clinic.example",
                    mango_user_id=300_049_000 + emp_id,
                )
                d.employees.append(emp)
                self.answer_rates[emp.id] = spec.answer_rate
                for ls in spec.sip_lines:
                    line_id += 1 + rnd.randrange(5)
                    d.sip_lines.append(
                        SipLine(
                            id=line_id,
                            login=ls.login or f"{rnd.randrange(1_000_000, 9_999_999)}",
                            employee_id=emp.id,
                            workstation=ls.workstation,
                            name=f"{emp.last_name} {emp.first_name}",
                            registered=ls.registered,
                        )
                    )

    def _add_numbers(self, d: Directory, rnd: random.Random) -> None:
        specs = self.scenario.numbers or _default_numbers()
        num_id = 8800
        for spec in specs:
            for i in range(spec.pool_size):
                num_id += 1 + rnd.randrange(4)
                number = spec.number if spec.number and spec.pool_size == 1 else None
                d.numbers.append(
                    VirtualNumber(
                        id=num_id,
                        number=number or f"7495{rnd.randrange(1_000_000, 9_999_999)}",
                        type=NumberType(spec.type),
                        name=spec.name or spec.key + (f" #{i + 1}" if spec.pool_size > 1 else ""),
                        clinic_id=spec.clinic,
                        channel=spec.channel,
                        scenario_id=100 + spec.clinic,
                        scenario_name="Входящие в клинику",
                    )
                )
        for line in d.sip_lines:  # outbound caller ID: the clinic's first number
            emp = next(e for e in d.employees if e.id == line.employee_id)
            line.virtual_phone_number = next(
                (n.number for n in d.numbers if n.clinic_id == emp.clinic_id), None
            )

    def _build_plans(self) -> dict[int, _ClinicPlan]:
        d = self.directory
        plans: dict[int, _ClinicPlan] = {}
        channels = {c.key: c for c in self.scenario.channels or _default_channels()}
        numbers_by_spec = _numbers_by_spec(self.scenario.numbers or _default_numbers(), d.numbers)
        rnd = self.seeds.random("patients")
        for clinic in d.clinics:
            plan = plans[clinic.id] = _ClinicPlan(clinic.id)
            plan.admins = [
                Target(line, emp)
                for emp in d.employees
                if emp.clinic_id == clinic.id and emp.role == "administrator"
                for line in d.sip_lines
                if line.employee_id == emp.id
            ]
            plan.patients = [
                phone_from(rnd, mobile=rnd.random() < 0.9)
                for _ in range(self.scenario.patients_per_clinic)
            ]
        for spec, numbers in numbers_by_spec:
            plan = plans[spec.clinic]
            route = self._route_for(spec)
            targets = [
                Target(line, emp)
                for emp in d.employees
                if emp.clinic_id == spec.clinic and emp.role in route[0]
                for line in d.sip_lines
                if line.employee_id == emp.id
            ]
            for number in numbers:
                d.rules.append(
                    RoutingRule(number.number, tuple(t.line.id for t in targets), *route[1:])
                )
                channel = channels.get(spec.channel) if spec.channel else None
                plan.routes.append(_Route(number, targets, route[1], route[2], channel))
                weight = spec.weight * (channel.weight if channel else 1.0)
                plan.weights.append(weight / len(numbers))
        return plans

    def _route_for(self, spec: NumberSpec) -> tuple[list[str], str, int]:
        for r in self.scenario.routes:
            if r.clinic == spec.clinic and r.number in (spec.key, "*"):
                return r.roles, r.strategy, r.ring_seconds
        return ["administrator"], "sequential", 20

    # -- days ----------------------------------------------------------------------
    def day(self, day: date) -> list[Call]:
        """Every call of `day` (past, present and still-future ones), deterministically."""
        rnd = self.seeds.random("day", day.isoformat())
        sc = self.scenario
        start = int(datetime(day.year, day.month, day.day, tzinfo=self.tz).timestamp())
        calls: list[Call] = []
        for clinic in sc.clinics:
            plan = self._plans[clinic.id]
            if not plan.routes:
                continue
            hours = clinic.hours(day.weekday())
            mean = sc.volume.calls_per_day * sc.volume.by_weekday[day.weekday()]
            weights = sc.volume.by_hour
            total_w = sum(weights) or 1.0
            starts: list[int] = []
            for hour, w in enumerate(weights):
                n = _poisson(rnd, mean * w / total_w)
                starts.extend(start + hour * 3600 + rnd.randrange(3600) for _ in range(n))
            starts.sort()
            calls.extend(self._clinic_day(rnd, plan, hours, starts, start))
        calls.sort(key=lambda c: c.start_ts)
        for seq, call in enumerate(calls):
            _renumber(call, CallIds.make(day, seq))
        return calls

    def _clinic_day(
        self,
        rnd: random.Random,
        plan: _ClinicPlan,
        hours: tuple[int, int] | None,
        starts: Sequence[int],
        day_start: int,
    ) -> list[Call]:
        sc = self.scenario
        shares = sc.shares
        busy: dict[int, int] = {}
        out: list[Call] = []
        for ts in starts:
            route = rnd.choices(plan.routes, plan.weights)[0]
            minute = (ts - day_start) // 60
            closed = hours is None or not hours[0] <= minute < hours[1]
            contact = self._contact(rnd, plan)
            free = [t for t in route.targets if busy.get(t.employee.id, 0) <= ts]
            answered_by = None
            for i, t in enumerate(free if route.strategy == "sequential" else free[:1]):
                if rnd.random() < self.answer_rates.get(t.employee.id, 0.85):
                    answered_by = i
                    break
            if route.strategy == "simultaneous" and answered_by is not None:
                answered_by = rnd.randrange(len(free))
            call = build_incoming(
                0,
                start=ts,
                contact=contact,
                virtual_number=route.number.number,
                targets=free,
                answered_by=answered_by,
                answer_delay=int(_draw(rnd, sc.durations.answer_delay)),
                talk=int(_draw(rnd, sc.durations.talk)),
                strategy=route.strategy,
                ring_seconds=route.ring_seconds,
                patience=int(_draw(rnd, sc.durations.patience)),
                contact_hangs_up=rnd.random() < 0.6,
                source=route.number.type.value,
                visit=self._visit(rnd, route, ts),
                clinic_id=plan.spec_id,
                recorded=rnd.random() < shares.recorded,
                closed=closed,
            )
            if shares.late_rows and rnd.random() < shares.late_rows:
                call.history_delay = shares.late_rows_delay
            out.append(call)
            answered = call.last_answered_leg()
            if answered is not None and answered.employee_id is not None:
                busy[answered.employee_id] = call.end_ts
            elif not closed and plan.admins and rnd.random() < shares.callbacks_of_missed:
                out.append(self._outgoing(rnd, plan, busy, call.end_ts, contact, hours, day_start))
            if not closed and plan.admins and rnd.random() < shares.outgoing:
                later = ts + rnd.randrange(600, 3600)
                out.append(self._outgoing(rnd, plan, busy, later, None, hours, day_start))
        return out

    def _outgoing(
        self,
        rnd: random.Random,
        plan: _ClinicPlan,
        busy: dict[int, int],
        after: int,
        contact: str | None,
        hours: tuple[int, int] | None,
        day_start: int,
    ) -> Call:
        ts = after + rnd.randrange(120, 1800)
        if hours is not None:
            ts = min(ts, day_start + hours[1] * 60 - 60)
        target = rnd.choice(plan.admins)
        answered = rnd.random() < 0.75
        call = build_outgoing(
            0,
            start=max(ts, after + 1),
            target=target,
            contact=contact or self._contact(rnd, plan),
            caller_id=target.line.virtual_phone_number or target.line.login,
            ring=rnd.randint(5, 25),
            talk=int(_draw(rnd, self.scenario.durations.talk)) if answered else None,
            clinic_id=plan.spec_id,
            recorded=rnd.random() < self.scenario.shares.recorded,
        )
        busy[target.employee.id] = max(busy.get(target.employee.id, 0), call.end_ts)
        return call

    def _contact(self, rnd: random.Random, plan: _ClinicPlan) -> str:
        if plan.patients and rnd.random() < self.scenario.shares.existing_patients:
            return rnd.choice(plan.patients)
        return phone_from(rnd)

    def _visit(self, rnd: random.Random, route: _Route, ts: int) -> Visit | None:
        number = route.number
        if number.type is NumberType.VA:
            return None
        channel = route.channel
        if number.type is NumberType.DYNAMIC_CALL_TRACKING:
            channels = self.scenario.channels or _default_channels()
            channel = rnd.choices(channels, [c.weight for c in channels])[0]
        if channel is None:
            return None
        domain = rnd.choice(channel.referrer_domains) if channel.referrer_domains else None
        term = channel.utm_term
        if isinstance(term, list):
            term = rnd.choice(term) if term else None
        return Visit(
            id=rnd.randrange(10**9, 10**10),
            channel_key=channel.key,
            utm_source=channel.utm_source,
            utm_medium=channel.utm_medium,
            utm_campaign=channel.utm_campaign,
            utm_term=term,
            utm_content=channel.utm_content,
            referrer=f"https://{domain}/" if domain else None,
            referrer_domain=domain,
            entrance_page="https://clinic.example/" + rnd.choice(("", "implants", "prices")),
            channel=channel.uis_channel,
            device=rnd.choice(("desktop", "mobile", "mobile")),
            visit_ts=ts - rnd.randrange(60, 1800),
            site_domain_name="clinic.example",
        )


def _renumber(call: Call, call_id: int) -> None:
    call.id = call_id
    for i, leg in enumerate(call.legs):
        leg.id = call_id * 10 + i


def _poisson(rnd: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, round(rnd.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rnd.random()
    while p > limit:
        k += 1
        p *= rnd.random()
    return k


def _draw(rnd: random.Random, dist: Distribution) -> float:
    if dist.kind == "fixed":
        return dist.median
    if dist.kind == "uniform":
        return rnd.uniform(dist.low, dist.high)
    value = rnd.lognormvariate(math.log(max(dist.median, 1)), dist.sigma)
    return min(max(value, dist.low), dist.high if dist.high > dist.low else value)


def _split_name(name: str) -> tuple[str, str, str]:
    parts = name.split()
    return ([*parts, "", "", ""])[0], ([*parts, "", ""])[1], " ".join(parts[2:])


def _numbers_by_spec(
    specs: Sequence[NumberSpec], numbers: Sequence[VirtualNumber]
) -> list[tuple[NumberSpec, list[VirtualNumber]]]:
    out, i = [], 0
    for spec in specs:
        out.append((spec, list(numbers[i : i + spec.pool_size])))
        i += spec.pool_size
    return out


def _default_staff() -> list[StaffSpec]:
    return [
        StaffSpec(role="administrator", answer_rate=0.9),
        StaffSpec(role="administrator", answer_rate=0.8),
        StaffSpec(role="administrator", answer_rate=0.75),
    ]


def _default_numbers() -> list[NumberSpec]:
    return [
        NumberSpec(key="main", type="va", name="Основной номер", weight=6),
        NumberSpec(key="yandex", type="call_tracking", name="Яндекс Директ", channel="yandex"),
        NumberSpec(key="site", type="call_tracking", name="Сайт", channel="seo"),
    ]


def _default_channels() -> list[Channel]:
    return [
        Channel(
            key="yandex",
            utm_source="yandex",
            utm_medium="cpc",
            utm_campaign="implants",
            utm_term=["имплантация зубов", "имплант цена"],
            referrer_domains=["yandex.ru"],
            uis_channel="paid",
            weight=2,
            spend_per_day=1500,
        ),
        Channel(
            key="seo",
            utm_source="google",
            utm_medium="organic",
            referrer_domains=["google.com", "yandex.ru"],
            uis_channel="organic",
            weight=1,
        ),
    ]


def build_world(
    scenario: Scenario,
    *,
    seed: int = 1,
    start: datetime | None = None,
    rate: float = 0.0,
) -> World:
    """A world for `scenario`: history of `history_days` before `start`, live after it."""
    engine = Engine(scenario, seed)
    tz = ZoneInfo(scenario.timezone)
    if start is None:
        start = _default_start(tz)
    clock = VirtualClock(start, rate)
    first = start.astimezone(tz).date() - timedelta(days=scenario.history_days)
    return World(
        engine.directory,
        clock,
        engine.seeds,
        loader=engine.day,
        history_from=first,
        meta={"scenario": scenario.name, "seed": seed, "engine": engine},
    )


def _default_start(tz: ZoneInfo) -> datetime:
    """Today 10:30 local time on the host's date: a weekday-morning clinic."""
    today = datetime.now(tz).date()
    return datetime(today.year, today.month, today.day, 10, 30, tzinfo=tz)
