"""The generator: a scenario and a seed become a directory and days of calls.

Everything drawn for a day comes from that day's own random stream
(`seeds.random("day", date)`), so days can be generated lazily, in any
order, and always come out byte-identical. The directory (staff, lines,
numbers, routing) and the compiled per-clinic plans are built once per
(scenario, seed, start day) and cached (`engine_for`), so a reset costs a
fresh clock and store, not a new engine.

Per clinic and day: Poisson arrivals per clinic-local hour, a route by
weight, a caller (an existing patient, a new caller of today calling again,
or a fresh number), who is free to ring, who answers (per-administrator
answer rate), durations from the scenario's distributions; then missed
calls called back, extra outgoing calls, planned transfers, late history
rows, and the scenario's scripted calls at their exact times.
"""

from __future__ import annotations

import copy
import gc
import random
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from mockpbx.core.calls import Target, add_transfer, build_incoming, build_outgoing, renumber
from mockpbx.core.clock import VirtualClock
from mockpbx.core.gcpause import paused_gc
from mockpbx.core.ids import Seeds, name_parts
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
from mockpbx.scenarios.daygen import (
    ClinicDay,
    ClinicPlan,
    DayTables,
    Route,
    VisitSource,
    compile_channel,
    cumulative,
    draw_visit,
    fresh_phone,
    inline_draw,
    patient_phone,
    sampler,
)
from mockpbx.scenarios.model import (
    DEFAULT_STAFF_KEYS,
    Channel,
    NumberSpec,
    Scenario,
    ScriptedCall,
    StaffSpec,
    scripted_time,
)

__all__ = ["Engine", "build_world", "copy_directory", "engine_for", "patient_phone", "sampler"]


class Engine:
    """Turns a `Scenario` and a seed into a `Directory` and lazily generated days."""

    def __init__(self, scenario: Scenario, seed: int, *, anchor: date | None = None) -> None:
        self.scenario = scenario
        self.seeds = Seeds(seed)
        self.seed = int(seed)
        self.tz = ZoneInfo(scenario.timezone)
        self.anchor = anchor  # the start day that scripted "HH:MM" times refer to
        self.answer_rates: dict[int, float] = {}
        self.staff_keys: dict[str, Target] = {}
        self.specialties: dict[int, str] = {}
        self.channels = _channels(scenario)
        self.directory = self._build_directory()
        self._routes_by_key: dict[str, list[Route]] = {}
        self._channel_cum = cumulative([c.weight for c in self.channels])
        self._compiled = tuple(compile_channel(c) for c in self.channels)
        self._compiled_by_key = {c.key: compile_channel(c) for c in self.channels}
        self._plans = self._build_plans()
        dur = scenario.durations
        self._answer_delay = sampler(dur.answer_delay)
        self._patience = sampler(dur.patience)
        self._tables = DayTables(
            scenario=scenario,
            tz=self.tz,
            draws=(inline_draw(dur.answer_delay), inline_draw(dur.talk), inline_draw(dur.patience)),
            talk=sampler(dur.talk),
        )
        self.scripted_by_call: dict[int, ScriptedCall] = {}  # filled as days are generated
        self.clinic_sides: dict[date, Any] = {}  # truth.ClinicSide per history start
        self._scripted = self._scripted_by_day()

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
            for n in range(spec.count):
                emp_id += 1 + rnd.randrange(3)
                last, first, middle = _split_name(spec.name) if spec.name else parts.draw(rnd)
                emp = Employee(
                    id=emp_id,
                    last_name=last,
                    first_name=first,
                    patronymic=middle,
                    extension=str(100 + len(d.employees) + 1),
                    phone_numbers=(patient_phone(rnd),),
                    role=spec.role,
                    clinic_id=spec.clinic,
                    login=f"user{emp_id}",
                    email=f"user{emp_id}@clinic.example",
                    mango_user_id=300_049_000 + emp_id,
                )
                d.employees.append(emp)
                self.answer_rates[emp.id] = spec.answer_rate
                if spec.role == "doctor":
                    self.specialties[emp.id] = spec.specialty or "стоматолог-терапевт"
                for ls in spec.sip_lines:
                    line_id += 1 + rnd.randrange(5)
                    line = SipLine(
                        id=line_id,
                        login=ls.login or f"{rnd.randrange(1_000_000, 9_999_999)}",
                        employee_id=emp.id,
                        workstation=ls.workstation,
                        name=f"{emp.last_name} {emp.first_name}",
                        registered=ls.registered,
                    )
                    d.sip_lines.append(line)
                    if spec.key:
                        key = spec.key if spec.count == 1 else f"{spec.key}{n + 1}"
                        self.staff_keys.setdefault(key, Target(line, emp))

    def _add_numbers(self, d: Directory, rnd: random.Random) -> None:
        num_id = 8800
        for spec in self.scenario.numbers or _default_numbers():
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
        first_number: dict[int, str] = {}
        for n in d.numbers:
            first_number.setdefault(n.clinic_id, n.number)
        clinic_of = {e.id: e.clinic_id for e in d.employees}
        for line in d.sip_lines:  # outbound caller ID: the clinic's first number
            line.virtual_phone_number = first_number.get(clinic_of[line.employee_id])

    def _build_plans(self) -> dict[int, ClinicPlan]:
        d = self.directory
        sc = self.scenario
        plans: dict[int, ClinicPlan] = {}
        lines_of: dict[int, list[SipLine]] = {}
        for line in d.sip_lines:
            lines_of.setdefault(line.employee_id, []).append(line)
        for slot, clinic in enumerate(sc.clinics):
            tz = ZoneInfo(clinic.timezone or sc.timezone)
            plan = plans[clinic.id] = ClinicPlan(clinic, tz, slot)
            plan.staff = [
                Target(line, emp)
                for emp in d.employees
                if emp.clinic_id == clinic.id
                for line in lines_of.get(emp.id, [])
            ]
            plan.admins = [t for t in plan.staff if t.employee.role == "administrator"]
            rnd = self.seeds.random("patients", clinic.id)
            plan.patients = [patient_phone(rnd) for _ in range(sc.patients_per_clinic)]
        channels = {c.key: c for c in self.channels}
        weights: dict[int, list[float]] = {}
        for spec, numbers in _numbers_by_spec(sc.numbers or _default_numbers(), d.numbers):
            plan = plans[spec.clinic]
            targets, strategy, ring = self._route_for(spec, plan)
            channel = channels.get(spec.channel) if spec.channel else None
            rates = [self.answer_rates.get(t.employee.id, 0.85) for t in targets]
            for number in numbers:
                d.rules.append(
                    RoutingRule(number.number, tuple(t.line.id for t in targets), strategy, ring)
                )
                route = Route(number, targets, rates, strategy, ring, channel, number.type.value)
                route.visit = self._visit_source(number.type, channel)
                plan.routes.append(route)
                self._routes_by_key.setdefault(spec.key, []).append(route)
                weight = spec.weight * (channel.weight if channel else 1.0)
                weights.setdefault(spec.clinic, []).append(weight / len(numbers))
        for clinic_id, plan in plans.items():
            plan.cum = cumulative(weights.get(clinic_id, []))
        return plans

    def _route_for(self, spec: NumberSpec, plan: ClinicPlan) -> tuple[list[Target], str, int]:
        for r in self.scenario.routes:
            if r.clinic == spec.clinic and r.number in (spec.key, "*"):
                if r.staff:
                    targets = [self.staff_keys[k] for k in r.staff if k in self.staff_keys]
                else:
                    targets = [t for t in plan.staff if t.employee.role in r.roles]
                return targets, r.strategy, r.ring_seconds
        return list(plan.admins), "sequential", 20

    def _scripted_by_day(self) -> dict[date, list[tuple[int, ScriptedCall]]]:
        out: dict[date, list[tuple[int, ScriptedCall]]] = {}
        for script in self.scenario.scripted:
            when = scripted_time(script.at)
            if isinstance(when, time):
                if self.anchor is None:
                    continue  # relative times need the world's start day
                day = self.anchor + timedelta(days=script.day)
                when = datetime.combine(day, when, tzinfo=self.tz)
            ts = int(when.timestamp())
            out.setdefault(datetime.fromtimestamp(ts, self.tz).date(), []).append((ts, script))
        return out

    # -- days ----------------------------------------------------------------------
    def day_start(self, day: date) -> int:
        return int(datetime(day.year, day.month, day.day, tzinfo=self.tz).timestamp())

    def day(self, day: date) -> list[Call]:
        """Every call of `day` (past, present and still-future ones), deterministically."""
        # A day allocates thousands of acyclic objects that live as long as the world:
        # no GC passes, then frozen (`build_world` unfreezes, so cycles frozen along the
        # way are collected after a reset).
        with paused_gc(freeze=True):
            return self._day(day)

    def _day(self, day: date) -> list[Call]:
        rnd = self.seeds.random("day", day.isoformat())
        start = self.day_start(day)
        length = self.day_start(day + timedelta(days=1)) - start
        calls: list[Call] = []
        links: list[tuple[Call, Call]] = []
        for spec in self.scenario.clinics:
            plan = self._plans[spec.id]
            if plan.routes:
                ClinicDay(self._tables, plan, rnd, day, start, length, calls, links).run()
        scripted = self._scripted_calls(day, calls)
        calls.sort(key=_START)  # stable: equal starts keep their generation order
        _renumber_all(calls, day)
        for callback, missed in links:
            callback.callback_of = missed.id
        for call, script in scripted:
            self.scripted_by_call[call.id] = script
        return calls

    def _scripted_calls(self, day: date, calls: list[Call]) -> list[tuple[Call, ScriptedCall]]:
        out = []
        for ts, spec in self._scripted.get(day, []):
            call = self._scripted_call(ts, spec)
            if call is not None:
                calls.append(call)
                out.append((call, spec))
        return out

    def _scripted_call(self, ts: int, spec: ScriptedCall) -> Call | None:
        plan = self._plans[spec.clinic]
        rnd = self.seeds.random("scripted", ts, spec.clinic)
        contact = spec.contact or fresh_phone(rnd)
        if contact == "patient" and plan.patients:  # some existing patient of the clinic
            contact = plan.patients[int(rnd.random() * len(plan.patients))]
        elif contact == "patient":
            contact = fresh_phone(rnd)
        who = self.staff_keys.get(spec.answered_by) if spec.answered_by else None
        if spec.direction == "out":
            assert who is not None  # validated by the model
            call = build_outgoing(
                0,
                start=ts,
                target=who,
                contact=contact,
                caller_id=who.line.virtual_phone_number or who.line.login,
                ring=spec.answer_after,
                talk=spec.talk,
                clinic_id=spec.clinic,
            )
        else:
            route = self._scripted_route(plan, spec)
            if route is None:
                return None  # the clinic has no number to call
            targets = list(route.targets)
            if who is not None and who not in targets:
                targets = [who]
            call = build_incoming(
                0,
                start=ts,
                contact=contact,
                virtual_number=route.number.number,
                targets=targets,
                answered_by=targets.index(who) if who is not None else None,
                answer_delay=spec.answer_after,
                talk=spec.talk,
                strategy=route.strategy,
                ring_seconds=route.ring_seconds,
                patience=spec.patience if who is None else 10**6,
                closed=who is None and self._closed(plan, ts),
                source=route.source,
                visit=self._visit(rnd, route, ts),
                clinic_id=spec.clinic,
            )
        if spec.transfer_to and call.answer_ts is not None:
            at = min(call.answer_ts + spec.transfer_after, call.end_ts - 1)
            add_transfer(call, self.staff_keys[spec.transfer_to], at=at, ring=5)
        call.history_delay = spec.late_seconds
        return call

    def _closed(self, plan: ClinicPlan, ts: int) -> bool:
        """Whether the clinic is closed at `ts` (its own timezone and working hours)."""
        local = datetime.fromtimestamp(ts, plan.tz)
        hours = plan.spec.hours(local.weekday())
        minute = local.hour * 60 + local.minute
        return hours is None or not hours[0] <= minute < hours[1]

    def _scripted_route(self, plan: ClinicPlan, spec: ScriptedCall) -> Route | None:
        """The route of the scripted call's number (its first, for a pool), else the clinic's."""
        routes = self._routes_by_key.get(spec.number or "") or plan.routes
        return routes[0] if routes else None

    def _visit_source(self, kind: NumberType, channel: Channel | None) -> VisitSource | None:
        """Where the web visits behind a number's calls come from (None: no visit)."""
        if kind is NumberType.DYNAMIC_CALL_TRACKING:
            return (self._compiled, self._channel_cum) if self._compiled else None
        if kind is NumberType.VA or channel is None:
            return None
        return (self._compiled_by_key[channel.key],), None

    def _visit(self, rnd: random.Random, route: Route, ts: int) -> Visit | None:
        """The web visit behind a tracked call (None for a plain number)."""
        return None if route.visit is None else draw_visit(rnd.random, route.visit, ts)

    # -- plans seen by the clinic side (truth) ---------------------------------------
    def plan(self, clinic_id: int) -> ClinicPlan:
        return self._plans[clinic_id]


def _renumber_all(calls: list[Call], day: date) -> None:
    """Ids in start order: call ids of the day; legs follow (`core.calls.renumber`)."""
    if calls:
        CallIds.make(day, len(calls) - 1)  # raises if the day has too many calls
    renumber(calls, CallIds.make(day, 0))


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
    rates = (0.9, 0.8, 0.75)
    return [
        StaffSpec(key=key, role="administrator", answer_rate=rate)
        for key, rate in zip(DEFAULT_STAFF_KEYS, rates, strict=True)
    ]


def _default_numbers() -> list[NumberSpec]:
    return [
        NumberSpec(key="main", type="va", name="Основной номер", weight=6),
        NumberSpec(key="yandex", type="call_tracking", name="Яндекс Директ", channel="yandex"),
        NumberSpec(key="site", type="call_tracking", name="Сайт", channel="seo"),
    ]


def _channels(scenario: Scenario) -> list[Channel]:
    """The scenario's channels: its own, or the default clinic's two, which come with the
    default numbers only (a scenario declaring its numbers gets no channel it did not
    declare, so its truth holds no ad channels or spend it never asked for)."""
    if scenario.channels or scenario.numbers:
        return list(scenario.channels)
    return _default_channels()


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


_START = attrgetter("start_ts")

# -- engines are cached per (scenario, seed, start day): resets are cheap ------------
_ENGINES: OrderedDict[tuple[str, int, date | None], Engine] = OrderedDict()
_ENGINE_CACHE_SIZE = 8


def engine_for(scenario: Scenario, seed: int, anchor: date | None = None) -> Engine:
    """The (cached) engine of `scenario` and `seed`; scripted times relative to `anchor`."""
    if not scenario.scripted:
        anchor = None  # the start day only matters to relative scripted times
    key = (scenario.model_dump_json(), int(seed), anchor)
    engine = _ENGINES.get(key)
    if engine is None:
        engine = _ENGINES[key] = Engine(scenario, seed, anchor=anchor)
        while len(_ENGINES) > _ENGINE_CACHE_SIZE:
            _ENGINES.popitem(last=False)
    else:
        _ENGINES.move_to_end(key)
    return engine


def copy_directory(d: Directory) -> Directory:
    """A copy whose entities a world may change without touching the cached engine's."""
    return Directory(
        account=copy.copy(d.account),
        clinics=[copy.copy(c) for c in d.clinics],
        employees=[copy.copy(e) for e in d.employees],
        sip_lines=[copy.copy(s) for s in d.sip_lines],
        numbers=[copy.copy(n) for n in d.numbers],
        rules=[copy.copy(r) for r in d.rules],
    )


def build_world(
    scenario: Scenario,
    *,
    seed: int = 1,
    start: datetime | None = None,
    rate: float = 0.0,
    anchor: date | None = None,
) -> World:
    """A world for `scenario`: history of `history_days` before `start`, live after it.

    Scripted calls at local "HH:MM" times happen on `anchor` (default: the
    start day) plus their `day` offset.
    """
    tz = ZoneInfo(scenario.timezone)
    if start is None:
        start = _default_start(tz, scenario.start_time)
    start_day = start.astimezone(tz).date()
    gc.unfreeze()  # the previous world's frozen objects become collectable again
    engine = engine_for(scenario, seed, anchor or start_day)
    clock = VirtualClock(start, rate)
    first = start_day - timedelta(days=scenario.history_days)
    meta = {"scenario": scenario.name, "seed": seed, "engine": engine, "history_from": first}
    if scenario.callback:
        meta["callback"] = dict(scenario.callback)
    return World(
        copy_directory(engine.directory),
        clock,
        engine.seeds,
        loader=engine.day,
        history_from=first,
        meta=meta,
    )


def _default_start(tz: ZoneInfo, start_time: str | None = None) -> datetime:
    """Today 10:30 (or the scenario's `start_time`) local time on the host's date."""
    today = datetime.now(tz).date()
    at = time.fromisoformat(start_time) if start_time else time(10, 30)
    return datetime.combine(today, at, tzinfo=tz)
