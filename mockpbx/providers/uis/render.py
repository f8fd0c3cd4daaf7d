"""Rows of `get.calls_report`, `get.call_legs_report` and `get.communications_report`, fast.

Every documented field is one Python expression over the call `c` (and leg
`l`), its visit `v`, per-call facts `f`, the request context `x` and `t`, the
account's wall clock of an epoch second. For each requested field list the
expressions are compiled once into one function that builds the row dict
(codegen from this module's own table, never from input), and orjson
serializes it; a cold page is mostly the cost of these expressions, so
per-call figures several fields share are computed once (`Facts`), lookups
are memoized per request, and the dumper evaluates each distinct expression
once per row. Rows of calls that have ended never change, so
their JSON is kept in a bounded cache (`RowCache`) keyed by (id, field list,
origin); a warm page is a join of cached bytes.

Value choices where the docs give a field but the world has no such data:
no address book (contact_*), no tags, no sales, no Openstat/click ids;
`cpn_*` derive from the number's prefix; visitor fields from the web visit.
A name outside the tables (an undocumented field `UisOptions` lets through)
renders null.
Members of a row come in this order: the fields that vary, then the constant
ones (JSON objects are unordered; the real API's order is not documented).
Rows of calls still in progress (`include_ongoing_calls`) show the call so
far: `finish_time`/`finish_reason` null, no recording yet, `is_lost` false.
"""

from __future__ import annotations

import ast
import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from mockpbx.core.model import Call, Leg, LegRole
from mockpbx.core.world import World
from mockpbx.providers.uis.runtime import RowCache
from mockpbx.providers.uis.schemas import finish_reason_label

__all__ = [
    "CALL_FIELDS",
    "COMM_FIELDS",
    "LEG_FIELDS",
    "Facts",
    "RenderContext",
    "clock",
    "getter",
    "render_page",
    "scenario_operation",
    "wall_clock",
]

Row = Any  # a Call (calls report) or a (Call, Leg) pair (legs report)
RowFn = Callable[[Row, "RenderContext"], dict[str, Any]]

_V = "v and v."  # a visit attribute, None without a visit
EMPLOYEE = LegRole.EMPLOYEE
# Sources of calls that came in on a number (and so ran its routing scenario).
_INCOMING_SOURCES = ("va", "call_tracking", "dynamic_call_tracking")
Scenario = tuple[int | None, str | None, int | None, str | None]  # id, name, operation id, name

CALL_FIELDS: dict[str, str] = {
    "id": "c.id",
    "start_time": "t(c.start_ts)",
    "finish_time": "t(c.end_ts)",
    "finish_reason": "c.finish_reason",
    "direction": "c.direction._value_",
    "cpn_region_id": "f.region[0]",
    "cpn_region_name": "f.region[1]",
    "cpn_country_name": "f.region[3]",
    "cpn_country_id": "f.region[2]",
    "properties": "None",
    "scenario_operations": "f.operations()",
    "source": "c.source",
    "is_lost": "c.answer_ts is None",
    "communication_number": "None",
    "communication_page_url": _V + "entrance_page",
    "contact_phone_number": "c.contact_number",
    "communication_id": "c.id",
    "communication_type": "'call'",
    "wait_duration": "c.wait_duration",
    "total_wait_duration": "c.wait_duration",
    "lost_call_processing_duration": "None",
    "talk_duration": "c.talk_duration",
    "clean_talk_duration": "c.talk_duration",
    "total_duration": "c.end_ts - c.start_ts",
    "postprocess_duration": "0",
    "call_records": "f.records()",
    "wav_call_records": "f.records()",
    "full_record_file_link": "f.link",
    "voice_mail_records": "[]",
    "virtual_phone_number": "c.virtual_number",
    "ua_client_id": "None",
    "ym_client_id": "None",
    "sale_date": "None",
    "sale_cost": "None",
    "is_transfer": "c.transferred",
    "search_query": _V + "search_query",
    "search_engine": _V + "search_engine",
    "referrer_domain": _V + "referrer_domain",
    "referrer": _V + "referrer",
    "entrance_page": _V + "entrance_page",
    "gclid": "None",
    "yclid": "None",
    "ymclid": "None",
    "ef_id": "None",
    "channel": _V + "channel",
    "tags": "[]",
    "employees": "f.employees()",
    "last_answered_employee_id": "f.la_id",
    "last_answered_employee_full_name": "f.la_name",
    "last_answered_employee_rating": "None",
    "first_answered_employee_id": "f.fa_id",
    "first_answered_employee_full_name": "f.fa_name",
    "last_talked_employee_id": "f.lt_id",
    "last_talked_employee_full_name": "f.lt_name",
    "first_talked_employee_id": "f.ft_id",
    "first_talked_employee_full_name": "f.ft_name",
    "operator_phone_number": "f.operator_phone",
    "scenario_name": "f.scenario_name",
    "scenario_id": "f.scenario_id",
    "site_domain_name": _V + "site_domain_name",
    "site_id": "v and 5000 + c.clinic_id",
    "campaign_name": "f.campaign_name",
    "campaign_id": "f.campaign_id",
    "visit_other_campaign": "False if v else None",
    "auto_call_campaign_name": "None",
    "visitor_id": _V + "id",
    "person_id": _V + "id",
    "visitor_type": "'Новый' if v else None",
    "visitor_session_id": "v and v.id * 10 + 1",
    "visits_count": "1 if v else None",
    "visitor_first_campaign_id": "f.campaign_id",
    "visitor_first_campaign_name": "f.campaign_name",
    "visitor_city": "v and f.region[4]",
    "visitor_region": "v and f.region[1]",
    "visitor_country": "v and f.region[3]",
    "visitor_device": _V + "device",
    "visitor_custom_properties": "[]",
    "segments": "[]",
    "call_api_request_id": "c.call_api_request_id",
    "call_api_external_id": "c.external_id",
    "contact_id": "None",
    "contact_full_name": "None",
    "utm_source": _V + "utm_source",
    "utm_medium": _V + "utm_medium",
    "utm_term": _V + "utm_term",
    "utm_content": _V + "utm_content",
    "utm_campaign": _V + "utm_campaign",
    "openstat_ad": "None",
    "openstat_campaign": "None",
    "openstat_service": "None",
    "openstat_source": "None",
    "attributes": "f.attributes()",
    "eq_utm_source": _V + "utm_source",
    "eq_utm_medium": _V + "utm_medium",
    "eq_utm_term": _V + "utm_term",
    "eq_utm_content": _V + "utm_content",
    "eq_utm_campaign": _V + "utm_campaign",
    "eq_utm_referrer": _V + "referrer",
    "eq_utm_expid": "None",
    "source_id": "v and f.campaign_id",
    "source_name": _V + "utm_source",
    "source_new": _V + "channel",
    "channel_new": _V + "channel",
    "channel_code": _V + "channel",
    "ext_id": "None",
}

LEG_FIELDS: dict[str, str] = {
    "id": "l.id",
    "call_session_id": "c.id",
    "call_records": "f.leg_records(l)",
    "wav_call_records": "f.leg_records(l)",
    "start_time": "t(l.start_ts)",
    "connect_time": "None if l.answer_ts is None else t(l.answer_ts)",
    "duration": "0 if l.answer_ts is None else l.end_ts - l.answer_ts",
    "total_duration": "l.end_ts - l.start_ts",
    "finish_reason": "l.finish_reason",
    "finish_reason_description": "x.leg_reason(l.finish_reason)",
    "virtual_phone_number": "c.virtual_number",
    "calling_phone_number": "l.calling_number",
    "called_phone_number": "l.called_number",
    "direction": "c.direction._value_",
    "is_transfered": "l.is_transferred",
    "is_operator": "l.role is EMPLOYEE",
    "employee_id": "l.employee_id",
    "employee_full_name": "x.employee_name(l.employee_id)",
    "employee_phone_number": "x.leg_phone(l)",
    "employee_rating": "None",
    "scenario_id": "f.scenario_id",
    "scenario_name": "f.scenario_name",
    "is_coach": "False",
    "release_cause_code": "16",
    "release_cause_description": "'Normal call clearing'",
    "is_failed": "l.answer_ts is None",
    "is_talked": "l.answer_ts is not None and c.answer_ts is not None",
    "contact_id": "None",
    "contact_full_name": "None",
    "contact_phone_number": "c.contact_number",
    "action_id": "f.action_id if l.role is EMPLOYEE else None",
    "action_name": "f.action_name if l.role is EMPLOYEE else None",
    "group_id": "None",
    "group_name": "None",
}

# A call is the communication (обращение) it opens: the calls report's `communication_id`
# is the call's id. Only calls: the world has no chats, goals or offline messages.
COMM_FIELDS: dict[str, str] = {
    name: CALL_FIELDS[name]
    for name in (
        "id", "communication_type", "communication_number", "communication_page_url",
        "ua_client_id", "ym_client_id", "sale_date", "sale_cost", "search_query",
        "search_engine", "referrer_domain", "referrer", "entrance_page", "gclid", "yclid",
        "ymclid", "ef_id", "channel", "tags", "visitor_id", "person_id", "visitor_type",
        "visitor_session_id", "visits_count", "visitor_first_campaign_id",
        "visitor_first_campaign_name", "visitor_city", "visitor_region", "visitor_country",
        "visitor_device", "visitor_custom_properties", "site_id", "site_domain_name",
        "campaign_id", "campaign_name", "visit_other_campaign", "segments", "utm_source",
        "utm_medium", "utm_term", "utm_content", "utm_campaign", "openstat_ad",
        "openstat_campaign", "openstat_service", "openstat_source", "attributes",
        "eq_utm_source", "eq_utm_medium", "eq_utm_term", "eq_utm_content", "eq_utm_campaign",
        "eq_utm_referrer", "eq_utm_expid", "source_id", "source_name", "source_new",
        "channel_new", "channel_code",
    )
} | {
    "date_time": "t(c.start_ts)",
    "utm_referrer": "None",  # the visit keeps no utm_referrer/utm_expid
    "utm_expid": "None",
}  # fmt: skip
_TABLES = {"call": CALL_FIELDS, "leg": LEG_FIELDS, "comm": COMM_FIELDS}

_MOSCOW = (77, "Москва и Московская область", "643", "Россия", "Москва")
_PETERSBURG = (78, "Санкт-Петербург и Ленинградская область", "643", "Россия", "Санкт-Петербург")
_RUSSIA = (None, None, "643", "Россия", None)
_NOWHERE = (None, None, None, None, None)
_REGIONS = {"495": _MOSCOW, "499": _MOSCOW, "812": _PETERSBURG, "921": _PETERSBURG}


def _region(number: str) -> tuple[Any, ...]:
    if not number.startswith("7") or len(number) != 11:
        return _NOWHERE
    code = number[1:4]
    if code in _REGIONS:
        return _REGIONS[code]
    return _MOSCOW if code.startswith("9") else _RUSSIA


def scenario_operation(scenario_id: int | None) -> tuple[int | None, str | None]:
    """The one operation (id, name) of a routing scenario: forwarding to the employees."""
    if not scenario_id:
        return None, None
    return scenario_id * 10 + 1, "Переадресация на сотрудников"


class Facts:
    """Per-call figures several fields share, computed once per call and request."""

    __slots__ = (
        "_call",
        "_ctx",
        "action_id",
        "action_name",
        "campaign_id",
        "campaign_name",
        "fa_id",
        "fa_name",
        "ft_id",
        "ft_name",
        "hash",
        "la_id",
        "la_name",
        "link",
        "lt_id",
        "lt_name",
        "operator_phone",
        "region",
        "scenario_id",
        "scenario_name",
    )

    def __init__(self, c: Call, x: RenderContext) -> None:
        self._call, self._ctx = c, x
        self.region = _region(c.contact_number)
        first = last = None  # the first and last employee legs that answered
        for leg in c.legs:
            if leg.role is EMPLOYEE and leg.answer_ts is not None:
                first = leg if first is None else first
                last = leg
        self.fa_id, self.fa_name = x.who(first)
        self.la_id, self.la_name = x.who(last)
        talked = c.answer_ts is not None
        self.ft_id, self.ft_name = (self.fa_id, self.fa_name) if talked else (None, None)
        self.lt_id, self.lt_name = (self.la_id, self.la_name) if talked else (None, None)
        self.operator_phone = x.leg_phone(last) if last else None
        self.scenario_id, self.scenario_name, self.action_id, self.action_name = x.scenario_of(
            c.virtual_number, c.source
        )
        v = c.visit
        self.campaign_id = (v.campaign_id or 7000 + c.clinic_id) if v else None
        self.campaign_name = (v.campaign_name or v.utm_campaign or v.channel_key) if v else None
        self.hash = x.recording(c)
        self.link = x.link(c.id, self.hash) if self.hash else None

    def records(self) -> list[str]:
        return [self.hash] if self.hash else []

    def leg_records(self, leg: Leg) -> list[str]:
        if self.hash and leg.answer_ts is not None and self._call.answer_ts is not None:
            return [self.hash]
        return []

    def employees(self) -> list[dict[str, Any]]:
        c, x = self._call, self._ctx
        out: dict[int, dict[str, Any]] = {}
        for leg in c.legs:
            if leg.role is not EMPLOYEE or leg.employee_id is None:
                continue
            row = out.setdefault(
                leg.employee_id,
                {
                    "employee_id": leg.employee_id,
                    "employee_full_name": x.employee_name(leg.employee_id),
                    "is_answered": False,
                    "is_talked": False,
                },
            )
            if leg.answer_ts is not None:
                row["is_answered"] = True
                row["is_talked"] = row["is_talked"] or c.answer_ts is not None
        return list(out.values())

    def operations(self) -> list[dict[str, Any]]:
        if self.action_id is None:
            return []
        return [{"id": self.action_id, "name": self.action_name}]

    def attributes(self) -> list[str]:
        return ["lost"] if self._call.answer_ts is None else ["target"]


class RenderContext:
    """What rendering needs from the request: the world, the clock reading, the origin."""

    def __init__(
        self,
        world: World,
        *,
        origin: str,
        origin_id: int,
        url_style: str,
        cache: RowCache,
    ) -> None:
        self.world = world
        self.now = world.now()
        self.tz: ZoneInfo = world.tz
        self.t = clock(self.tz)  # `YYYY-MM-DD hh:mm:ss` of an epoch second in the account's zone
        self.origin = origin
        self.origin_id = origin_id
        self.url_style = url_style
        self.cache = cache
        self._facts: dict[int, Facts] = {}
        self._names = {e.id: e.full_name for e in world.employees}
        self._logins = {s.id: s.login for s in world.sip_lines}
        self._scenarios: dict[tuple[str | None, str], Scenario] = {}

    def facts(self, c: Call) -> Facts:
        got = self._facts.get(id(c))
        if got is None or got._call is not c:
            got = self._facts[id(c)] = Facts(c, self)
        return got

    def recording(self, c: Call) -> str | None:
        if c.end_ts > self.now:
            return None
        return self.world.recording_hash(c)

    def link(self, call_id: int, token: str) -> str:
        if self.url_style == "app":
            return f"{self.origin}/system/media/talk/{call_id}/{token}/"
        return f"{self.origin}/media/{call_id}/{token}"

    def employee_name(self, employee_id: int | None) -> str | None:
        return None if employee_id is None else self._names.get(employee_id)

    def who(self, leg: Leg | None) -> tuple[int | None, str | None]:
        """(employee id, full name) of an employee leg; (None, None) for none."""
        if leg is None or leg.employee_id is None:
            return None, None
        return leg.employee_id, self._names.get(leg.employee_id)

    def scenario_of(self, virtual_number: str | None, source: str) -> Scenario:
        """(scenario id, name, operation id, name) of an incoming call's number, else Nones."""
        key = (virtual_number, source)
        found = self._scenarios.get(key)
        if found is None:
            number = self.world.number(virtual_number) if virtual_number else None
            if number is None or source not in _INCOMING_SOURCES:
                found = (None, None, None, None)
            else:
                action_id, action_name = scenario_operation(number.scenario_id)
                found = (number.scenario_id, number.scenario_name or None, action_id, action_name)
            self._scenarios[key] = found
        return found

    def leg_phone(self, leg: Leg) -> str | None:
        """The number an employee leg rang: its SIP line login, else the number dialled."""
        if leg.role is not EMPLOYEE:
            return None
        if leg.sip_line_id is not None and leg.sip_line_id in self._logins:
            return self._logins[leg.sip_line_id]
        return leg.called_number

    def leg_reason(self, reason: str) -> str | None:
        return finish_reason_label(reason, legs=True)


@lru_cache(maxsize=65_536)
def _offset(bucket: int, tz: ZoneInfo) -> int:
    """UTC offset (seconds) during a 15-minute bucket: zone changes fall on quarter hours."""
    offset = datetime.fromtimestamp(bucket * 900, tz).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


@lru_cache(maxsize=65_536)
def _day_text(day_number: int) -> str:
    return (_EPOCH + timedelta(days=day_number)).isoformat() + " "


_EPOCH = date(1970, 1, 1)


_HOURS_MINUTES = tuple(f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60))
_SECONDS = tuple(f"{s:02d}" for s in range(60))


def clock(tz: ZoneInfo) -> Callable[[int], str]:
    """`wall_clock` in one zone as a one-argument function (rows call it for every time)."""

    def text(ts: int) -> str:
        local = ts + _offset(ts // 900, tz)
        day, second = divmod(local, 86_400)
        return _day_text(day) + _HOURS_MINUTES[second // 60] + _SECONDS[second % 60]

    return text


def wall_clock(ts: int, tz: ZoneInfo) -> str:
    """`YYYY-MM-DD hh:mm:ss` of epoch second `ts` in `tz` (faster than datetime for pages)."""
    return clock(tz)(ts)


_ids = itertools.count(1)


def _expr(exprs: dict[str, str], name: str) -> str:
    """A field's expression; a name outside the table (an accepted undocumented field) is null."""
    return exprs.get(name, "None")


def _source(kind: str, names: Sequence[str]) -> RowFn:
    """Compile one function building the row dict of `names` (codegen from our own table)."""
    exprs = _TABLES[kind]
    body = ", ".join(f"{name!r}: {_expr(exprs, name)}" for name in names)
    lines = ["def render(r, x):"]
    lines.append("    c, l = r" if kind == "leg" else "    c = r")
    lines.append("    v = c.visit")
    lines.append("    t = x.t")
    if any("f." in _expr(exprs, name) for name in names):
        lines.append("    f = x.facts(c)")
    lines.append(f"    return {{{body}}}")
    namespace: dict[str, Any] = {}
    code = compile("\n".join(lines), f"<uis {kind} row>", "exec")
    exec(code, {"EMPLOYEE": EMPLOYEE}, namespace)  # our own table, never input
    fn: RowFn = namespace["render"]
    return fn


def _constant(expr: str) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(expr)
    except ValueError:
        return False, None


def _uses_visit(expr: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "v" for n in ast.walk(ast.parse(expr)))


class _WithVisit(ast.NodeTransformer):
    """Simplifies an expression for a row that has a visit: `v and E` is E, `A if v else B` is A."""

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.op, ast.And) and _is_visit(node.values[0]):
            rest = node.values[1:]
            return rest[0] if len(rest) == 1 else ast.BoolOp(op=ast.And(), values=rest)
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.expr:
        self.generic_visit(node)
        return node.body if _is_visit(node.test) else node


def _is_visit(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "v"


def _with_visit(expr: str) -> str:
    return ast.unparse(_WithVisit().visit(ast.parse(expr, mode="eval")))


def _build(fields: Sequence[tuple[str, str]], template: str) -> list[str]:
    """Lines returning a copy of the dict `template` with the values of `fields` filled in.

    Copying a prebuilt dict and setting its values is about twice as fast as
    a dict display of a hundred members. An expression several fields share
    (`v.channel`, `f.records()`, ...) is evaluated once into a local first.
    """
    counts = Counter(expr for _, expr in fields)
    shared = {expr: f"_{i}" for i, expr in enumerate(e for e, n in counts.items() if n > 1)}
    lines = [f"    {local} = {expr}" for expr, local in shared.items()]
    lines.append(f"    d = {template}.copy()")
    lines += [f"    d[{name!r}] = {shared.get(expr, expr)}" for name, expr in fields]
    return [*lines, "    return d"]


class Compiled:
    """The renderers of one field list: a dict builder and a faster one in wire order.

    `row` builds the dict of the fields in the order asked (filters, sort,
    calls in progress). `values` fills in a copy of a prebuilt dict that has
    the fields that vary first and the constant ones (and, for calls without
    a web visit, the visit's fields, all null) after them, already set: that
    is a row's member order on the wire (JSON objects are unordered). It is
    one generated function with a branch per case (with or without a visit);
    the visit branch drops the expressions' `v and ...` guards.
    """

    __slots__ = ("fields_id", "kind", "row", "values")

    def __init__(self, kind: str, names: tuple[str, ...]) -> None:
        exprs = _TABLES[kind]
        self.kind = kind
        self.fields_id = next(_ids)
        self.row = _source(kind, names)
        consts: dict[str, Any] = {}
        varying: list[str] = []
        for name in names:
            is_const, value = _constant(_expr(exprs, name))
            if is_const:
                consts[name] = value
            else:
                varying.append(name)
        visit = [n for n in varying if _uses_visit(_expr(exprs, n))]
        plain = [(n, _expr(exprs, n)) for n in varying if n not in visit]
        with_visit = [(n, _with_visit(_expr(exprs, n))) for n in varying]
        namespace: dict[str, Any] = {
            "EMPLOYEE": EMPLOYEE,
            "WITH_VISIT": {**dict.fromkeys(varying), **consts},
            "NO_VISIT": {**dict.fromkeys(n for n, _ in plain), **dict.fromkeys(visit), **consts},
        }
        lines = ["def values(r, x):"]
        lines.append("    c, l = r" if kind == "leg" else "    c = r")
        lines += ["    v = c.visit", "    t = x.t"]
        if any("f." in _expr(exprs, name) for name in varying):
            lines.append("    f = x.facts(c)")
        lines.append("    if v is None:")
        lines += ["    " + line for line in _build(plain, "NO_VISIT")]
        lines += _build(with_visit, "WITH_VISIT")
        code = compile("\n".join(lines), f"<uis {kind} row values>", "exec")
        exec(code, namespace)  # our own table, never input
        self.values: RowFn = namespace["values"]

    def dump(self, row: Row, x: RenderContext) -> bytes:
        """The row's JSON object."""
        return orjson.dumps(self.values(row, x))


@lru_cache(maxsize=512)
def _compiled(kind: str, names: tuple[str, ...]) -> Compiled:
    """The renderers of `names` for `kind` ("call", "leg" or "comm"), compiled once."""
    return Compiled(kind, names)


def getter(kind: str, name: str, x: RenderContext) -> Callable[[Row], Any]:
    """The value of one field of a row (for filters and sort)."""
    fn = _compiled(kind, (name,)).row
    return lambda row: fn(row, x)[name]


def _call_of(row: Row) -> Call:
    call: Call = row[0] if isinstance(row, tuple) else row
    return call


def _ongoing(row: Row, now: int) -> Row:
    """A copy of a live call (or leg) cut at `now`: what a report can show so far."""

    def cut(leg: Leg) -> Leg:
        answer = leg.answer_ts if leg.answer_ts is not None and leg.answer_ts <= now else None
        return replace(leg, end_ts=min(leg.end_ts, now), answer_ts=answer)

    call = _call_of(row)
    answer = call.answer_ts if call.answer_ts is not None and call.answer_ts <= now else None
    snap = replace(
        call,
        legs=[cut(leg) for leg in call.legs if leg.start_ts <= now],
        end_ts=now,
        answer_ts=answer,
    )
    if isinstance(row, tuple):
        return snap, cut(row[1])
    return snap


_ONGOING_OVERRIDES: dict[str, Any] = {
    "finish_time": None,
    "finish_reason": None,
    "is_lost": False,
    "call_records": [],
    "wav_call_records": [],
    "full_record_file_link": None,
}


# Rows per orjson call on a cold page. Measured on 1,000-row pages in-process: 8 rows
# ~9.7 ms, 1 row ~10.3 ms, 128 rows ~12.8 ms; a whole page makes megabyte buffers
# (fresh memory, copied again when spliced), small chunks stay in reused, cached memory.
_CHUNK = 8


def render_page(
    rows: Sequence[Row], kind: str, names: tuple[str, ...], x: RenderContext
) -> list[bytes]:
    """The rows' JSON with the fields `names`, as comma-separated chunks to splice into a list.

    With the row cache on, one chunk per row, ended calls' rows from the cache;
    with it off, one chunk per `_CHUNK` rows.
    """
    compiled = _compiled(kind, names)
    cache, now = x.cache, x.now
    if not cache.enabled:  # cold: serialize rows a chunk at a time, nothing to keep
        values, dumps = compiled.values, orjson.dumps
        return [
            dumps(
                [
                    values(row, x)
                    if _call_of(row).end_ts <= now
                    else _ongoing_dict(compiled, row, x)
                    for row in rows[i : i + _CHUNK]
                ]
            )[1:-1]
            for i in range(0, len(rows), _CHUNK)
        ]
    slot = cache.slot(compiled.fields_id, x.origin_id)
    get = cache.get
    if kind == "leg":
        parts = [get(leg.id << 10 | slot) for _, leg in rows]
    else:
        parts = [get(call.id << 10 | slot) for call in rows]
    for i, part in enumerate(parts):
        if part is not None:
            continue
        row = rows[i]
        call = _call_of(row)
        if call.end_ts > now:
            parts[i] = orjson.dumps(_ongoing_dict(compiled, row, x))
            continue
        data = parts[i] = compiled.dump(row, x)
        cache.put((row[1].id if kind == "leg" else call.id) << 10 | slot, data)
    return parts  # type: ignore[return-value]


def _ongoing_dict(compiled: Compiled, row: Row, x: RenderContext) -> dict[str, Any]:
    """A row of a call still in progress (never cached: it changes until the call ends)."""
    out = compiled.row(_ongoing(row, x.now), x)
    if not isinstance(row, tuple):
        for name, value in _ONGOING_OVERRIDES.items():
            if name in out:
                out[name] = value
    return out
