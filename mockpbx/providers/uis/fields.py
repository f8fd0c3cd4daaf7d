"""The documented fields of the three UIS reports, as typed Python (render.py makes rows of them).

A report's fields are its constants (the same in every row) and a few
*parts*: typed functions that fill in the fields sharing one dependency,
each guarded by the field list's `Want` (`if w.source: d["source"] =
c.source`), so a part sets only the fields asked for and a row never
computes one it does not show. The dependencies: the call (and the request:
the wall clock, names, links), the call's web visit (parts that only run for
a call with one: without a visit these fields stay null), the call's `Facts`
(per-call figures several fields share, computed once per call and request),
and for the legs report the leg. A part's fields are the `w.<name>` flags it
reads, found once at import by running it with every flag off; the groups of
facts a field needs, by running its part for it alone on a probe.

Why parts and not a function per field: a row of all 105 fields would make
about 80 Python calls, each costing more than the field it reads; a part
costs one call and a cheap flag test per field (bench/bench_uis_render.py).

Value choices where the docs give a field but the world has no such data:
no address book (contact_*), no tags, no sales, no Openstat/click ids;
`cpn_*` derive from the number's prefix; visitor fields from the web visit.
A name outside a table (an undocumented field `UisOptions` lets through)
renders null.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from mockpbx.core.model import Call, Leg, Visit
from mockpbx.providers.uis.context import EMPLOYEE, Facts, RenderContext
from mockpbx.providers.uis.schemas import catalog

__all__ = [
    "TABLES",
    "CallPart",
    "FactsPart",
    "LegFactsPart",
    "LegPart",
    "Table",
    "VisitPart",
    "Want",
    "want",
]

Row = dict[str, Any]


class Want(Protocol):
    """Which fields a field list asks for: `w.<field name>` is True for each one asked."""

    def __getattr__(self, name: str) -> bool: ...


CallPart = Callable[[Row, Want, Call, RenderContext], None]
VisitPart = Callable[[Row, Want, Call, Visit], None]
FactsPart = Callable[[Row, Want, Facts], None]
LegPart = Callable[[Row, Want, Call, Leg, RenderContext], None]
LegFactsPart = Callable[[Row, Want, Leg, Facts], None]


# -- calls and communications ------------------------------------------------------------------
def _call(d: Row, w: Want, c: Call, x: RenderContext) -> None:
    """Fields of the call itself."""
    if w.id:
        d["id"] = c.id
    if w.communication_id:
        d["communication_id"] = c.id
    if w.start_time:
        d["start_time"] = x.t(c.start_ts)
    if w.date_time:
        d["date_time"] = x.t(c.start_ts)
    if w.finish_time:
        d["finish_time"] = x.t(c.end_ts)
    if w.finish_reason:
        d["finish_reason"] = c.finish_reason
    if w.direction:
        d["direction"] = c.direction._value_
    if w.source:
        d["source"] = c.source
    if w.is_lost:
        d["is_lost"] = c.answer_ts is None
    if w.contact_phone_number:
        d["contact_phone_number"] = c.contact_number
    if w.virtual_phone_number:
        d["virtual_phone_number"] = c.virtual_number


def _call_figures(d: Row, w: Want, c: Call, x: RenderContext) -> None:
    """The call's durations, transfer flag, Call API ids, attributes (short lists seldom ask)."""
    if w.wait_duration or w.total_wait_duration:
        wait = c.wait_duration
        if w.wait_duration:
            d["wait_duration"] = wait
        if w.total_wait_duration:
            d["total_wait_duration"] = wait
    if w.talk_duration or w.clean_talk_duration:
        talk = c.talk_duration
        if w.talk_duration:
            d["talk_duration"] = talk
        if w.clean_talk_duration:
            d["clean_talk_duration"] = talk
    if w.total_duration:
        d["total_duration"] = c.end_ts - c.start_ts
    if w.is_transfer:
        d["is_transfer"] = c.transferred
    if w.call_api_request_id:
        d["call_api_request_id"] = c.call_api_request_id
    if w.call_api_external_id:
        d["call_api_external_id"] = c.external_id
    if w.attributes:
        d["attributes"] = ["lost"] if c.answer_ts is None else ["target"]


def _visit(d: Row, w: Want, c: Call, v: Visit) -> None:
    """Fields of the call's web visit (a call without one has them all null)."""
    if w.communication_page_url:
        d["communication_page_url"] = v.entrance_page
    if w.entrance_page:
        d["entrance_page"] = v.entrance_page
    if w.search_query:
        d["search_query"] = v.search_query
    if w.search_engine:
        d["search_engine"] = v.search_engine
    if w.referrer_domain:
        d["referrer_domain"] = v.referrer_domain
    if w.referrer:
        d["referrer"] = v.referrer
    if w.eq_utm_referrer:
        d["eq_utm_referrer"] = v.referrer
    if w.channel:
        d["channel"] = v.channel
    if w.source_new:
        d["source_new"] = v.channel
    if w.channel_new:
        d["channel_new"] = v.channel
    if w.channel_code:
        d["channel_code"] = v.channel
    if w.site_domain_name:
        d["site_domain_name"] = v.site_domain_name
    if w.site_id:
        d["site_id"] = 5000 + c.clinic_id
    if w.visit_other_campaign:
        d["visit_other_campaign"] = False
    if w.visitor_id:
        d["visitor_id"] = v.id
    if w.person_id:
        d["person_id"] = v.id
    if w.visitor_type:
        d["visitor_type"] = "Новый"
    if w.visitor_session_id:
        d["visitor_session_id"] = v.id * 10 + 1
    if w.visits_count:
        d["visits_count"] = 1
    if w.visitor_device:
        d["visitor_device"] = v.device
    if w.utm_source:
        d["utm_source"] = v.utm_source
    if w.eq_utm_source:
        d["eq_utm_source"] = v.utm_source
    if w.source_name:
        d["source_name"] = v.utm_source
    if w.utm_medium:
        d["utm_medium"] = v.utm_medium
    if w.eq_utm_medium:
        d["eq_utm_medium"] = v.utm_medium
    if w.utm_term:
        d["utm_term"] = v.utm_term
    if w.eq_utm_term:
        d["eq_utm_term"] = v.utm_term
    if w.utm_content:
        d["utm_content"] = v.utm_content
    if w.eq_utm_content:
        d["eq_utm_content"] = v.utm_content
    if w.utm_campaign:
        d["utm_campaign"] = v.utm_campaign
    if w.eq_utm_campaign:
        d["eq_utm_campaign"] = v.utm_campaign


def _facts(d: Row, w: Want, f: Facts) -> None:
    """Fields of the call's facts: its number's region, employees, scenario, campaign, record."""
    if w.cpn_region_id:
        d["cpn_region_id"] = f.region[0]
    if w.cpn_region_name:
        d["cpn_region_name"] = f.region[1]
    if w.cpn_country_id:
        d["cpn_country_id"] = f.region[2]
    if w.cpn_country_name:
        d["cpn_country_name"] = f.region[3]
    if w.scenario_id:
        d["scenario_id"] = f.scenario_id
    if w.scenario_name:
        d["scenario_name"] = f.scenario_name
    if w.scenario_operations:
        action_id = f.action_id
        operations = [] if action_id is None else [{"id": action_id, "name": f.action_name}]
        d["scenario_operations"] = operations
    if w.call_records or w.wav_call_records:
        records = [f.hash] if f.hash else []
        if w.call_records:
            d["call_records"] = records
        if w.wav_call_records:
            d["wav_call_records"] = records
    if w.full_record_file_link:
        d["full_record_file_link"] = f.link
    if w.employees:
        d["employees"] = f.employees()
    if w.last_answered_employee_id:
        d["last_answered_employee_id"] = f.la_id
    if w.last_answered_employee_full_name:
        d["last_answered_employee_full_name"] = f.la_name
    if w.first_answered_employee_id:
        d["first_answered_employee_id"] = f.fa_id
    if w.first_answered_employee_full_name:
        d["first_answered_employee_full_name"] = f.fa_name
    if w.last_talked_employee_id:
        d["last_talked_employee_id"] = f.lt_id
    if w.last_talked_employee_full_name:
        d["last_talked_employee_full_name"] = f.lt_name
    if w.first_talked_employee_id:
        d["first_talked_employee_id"] = f.ft_id
    if w.first_talked_employee_full_name:
        d["first_talked_employee_full_name"] = f.ft_name
    if w.operator_phone_number:
        d["operator_phone_number"] = f.operator_phone
    if w.campaign_id:
        d["campaign_id"] = f.campaign_id
    if w.campaign_name:
        d["campaign_name"] = f.campaign_name
    if w.visitor_first_campaign_id:
        d["visitor_first_campaign_id"] = f.campaign_id
    if w.visitor_first_campaign_name:
        d["visitor_first_campaign_name"] = f.campaign_name


def _visit_facts(d: Row, w: Want, f: Facts) -> None:
    """Facts shown only for a call with a web visit (null without one)."""
    if w.visitor_city:
        d["visitor_city"] = f.region[4]
    if w.visitor_region:
        d["visitor_region"] = f.region[1]
    if w.visitor_country:
        d["visitor_country"] = f.region[3]
    if w.source_id:
        d["source_id"] = f.campaign_id


_CALL_CONSTANTS: dict[str, object] = {
    "properties": None,
    "communication_number": None,
    "communication_type": "call",
    "lost_call_processing_duration": None,
    "postprocess_duration": 0,
    "voice_mail_records": [],
    "ua_client_id": None,
    "ym_client_id": None,
    "sale_date": None,
    "sale_cost": None,
    "gclid": None,
    "yclid": None,
    "ymclid": None,
    "ef_id": None,
    "tags": [],
    "last_answered_employee_rating": None,
    "auto_call_campaign_name": None,
    "visitor_custom_properties": [],
    "segments": [],
    "contact_id": None,
    "contact_full_name": None,
    "openstat_ad": None,
    "openstat_campaign": None,
    "openstat_service": None,
    "openstat_source": None,
    "eq_utm_expid": None,
    "ext_id": None,
    "utm_referrer": None,  # communications only: the visit keeps no utm_referrer/utm_expid
    "utm_expid": None,
}


# -- legs --------------------------------------------------------------------------------------
def _leg(d: Row, w: Want, c: Call, leg: Leg, x: RenderContext) -> None:
    """Fields of one leg of the call (and of the call it belongs to)."""
    if w.id:
        d["id"] = leg.id
    if w.call_session_id:
        d["call_session_id"] = c.id
    if w.start_time:
        d["start_time"] = x.t(leg.start_ts)
    if w.connect_time:
        d["connect_time"] = None if leg.answer_ts is None else x.t(leg.answer_ts)
    if w.duration:
        d["duration"] = 0 if leg.answer_ts is None else leg.end_ts - leg.answer_ts
    if w.total_duration:
        d["total_duration"] = leg.end_ts - leg.start_ts
    if w.finish_reason:
        d["finish_reason"] = leg.finish_reason
    if w.finish_reason_description:
        d["finish_reason_description"] = x.leg_reason(leg.finish_reason)
    if w.virtual_phone_number:
        d["virtual_phone_number"] = c.virtual_number
    if w.calling_phone_number:
        d["calling_phone_number"] = leg.calling_number
    if w.called_phone_number:
        d["called_phone_number"] = leg.called_number
    if w.direction:
        d["direction"] = c.direction._value_
    if w.is_transfered:
        d["is_transfered"] = leg.is_transferred
    if w.is_operator:
        d["is_operator"] = leg.role is EMPLOYEE
    if w.employee_id:
        d["employee_id"] = leg.employee_id
    if w.employee_full_name:
        d["employee_full_name"] = x.employee_name(leg.employee_id)
    if w.employee_phone_number:
        d["employee_phone_number"] = x.leg_phone(leg)
    if w.is_failed:
        d["is_failed"] = leg.answer_ts is None
    if w.is_talked:
        d["is_talked"] = leg.answer_ts is not None and c.answer_ts is not None
    if w.contact_phone_number:
        d["contact_phone_number"] = c.contact_number


def _leg_facts(d: Row, w: Want, leg: Leg, f: Facts) -> None:
    """Fields of a leg that come from its call's facts."""
    if w.call_records or w.wav_call_records:
        records = f.leg_records(leg)
        if w.call_records:
            d["call_records"] = records
        if w.wav_call_records:
            d["wav_call_records"] = records
    if w.scenario_id:
        d["scenario_id"] = f.scenario_id
    if w.scenario_name:
        d["scenario_name"] = f.scenario_name
    operator = leg.role is EMPLOYEE
    if w.action_id:
        action_id = f.action_id  # read whatever the leg: `_facts_needed` sees the read
        d["action_id"] = action_id if operator else None
    if w.action_name:
        action_name = f.action_name
        d["action_name"] = action_name if operator else None


_LEG_CONSTANTS: dict[str, object] = {
    "employee_rating": None,
    "is_coach": False,
    "release_cause_code": 16,
    "release_cause_description": "Normal call clearing",
    "contact_id": None,
    "contact_full_name": None,
    "group_id": None,
    "group_name": None,
}


# -- tables ------------------------------------------------------------------------------------
class _Recorder:
    """A `Want` that asks for nothing and notes every field a part looks at."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def __getattr__(self, name: str) -> bool:
        self.names.append(name)
        return False


class _Anything:
    """Stands in for a part's other arguments while its fields are found (every flag off)."""

    def __getattr__(self, name: str) -> _Anything:
        return self

    def __call__(self, *args: object) -> _Anything:
        return self

    def __getitem__(self, key: object) -> _Anything:
        return self


class _Only:
    """A `Want` asking for one field."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, name: str) -> bool:
        return name == self.name


class _FactsProbe(_Anything):
    """Stands in for `Facts` and notes which of its attributes a part reads."""

    def __init__(self) -> None:
        self.read: list[str] = []

    def __getattr__(self, name: str) -> _Anything:
        self.read.append(name)
        return _Anything()


def _fields_of(part: Callable[..., None]) -> tuple[str, ...]:
    """The fields a part fills in: the flags it reads with every flag off, in order."""
    recorder = _Recorder()
    others = [_Anything()] * (part.__code__.co_argcount - 2)
    part({}, recorder, *others)
    return tuple(recorder.names)


def _facts_needed(part: Callable[..., None], name: str) -> int:
    """The groups of `Facts` (context.REGION, ...) the field `name` of a facts part reads.

    Found by running the part for that field alone on a probe, so a part must read
    a fact whatever the row (not behind a condition on the call or leg).
    """
    probe = _FactsProbe()
    names = part.__code__.co_varnames[2 : part.__code__.co_argcount]
    args = [probe if part.__annotations__[arg] == "Facts" else _Anything() for arg in names]
    part({}, _Only(name), *args)
    needs = 0
    for attribute in probe.read:
        needs |= Facts.NEEDS[attribute]  # KeyError: a Facts attribute without its group
    return needs


@dataclass(frozen=True, slots=True)
class Table:
    """One report's fields: constants and the parts that fill in the others."""

    fields: tuple[str, ...]  # the documented fields of the report (`catalog`)
    constants: dict[str, object]
    call: CallPart | None = None
    call_figures: CallPart | None = None
    visit: VisitPart | None = None
    facts: FactsPart | None = None
    visit_facts: FactsPart | None = None
    leg: LegPart | None = None
    leg_facts: LegFactsPart | None = None
    parts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # part name -> its fields
    needs: dict[str, int] = field(default_factory=dict)  # field -> the Facts groups it reads

    def __post_init__(self) -> None:
        for name in ("call", "call_figures", "visit", "facts", "visit_facts", "leg", "leg_facts"):
            part = getattr(self, name)
            if part is None:
                continue
            self.parts[name] = tuple(n for n in _fields_of(part) if n in self.fields)
            if name in ("facts", "visit_facts", "leg_facts"):
                self.needs.update((n, _facts_needed(part, n)) for n in self.parts[name])

    def visit_only(self, name: str) -> bool:
        """Whether a field is null for a call without a web visit."""
        return name in self.parts.get("visit", ()) or name in self.parts.get("visit_facts", ())


def _table(fields: tuple[str, ...], constants: dict[str, object], **parts: Any) -> Table:
    """A report's table; each documented field is a constant or filled by exactly one part."""
    table = Table(fields, {n: v for n, v in constants.items() if n in fields}, **parts)
    filled = [n for names in table.parts.values() for n in names] + list(table.constants)
    if sorted(filled) != sorted(fields):
        twice = sorted({n for n in filled if filled.count(n) > 1})
        never = sorted(set(fields) - set(filled))
        raise ValueError(f"fields filled twice {twice} or never {never}")
    return table


def _build_tables() -> dict[str, Table]:
    calls = {
        "call": _call,
        "call_figures": _call_figures,
        "visit": _visit,
        "facts": _facts,
        "visit_facts": _visit_facts,
    }
    return {
        "call": _table(tuple(catalog("get.calls_report")), _CALL_CONSTANTS, **calls),
        "comm": _table(tuple(catalog("get.communications_report")), _CALL_CONSTANTS, **calls),
        "leg": _table(
            tuple(catalog("get.call_legs_report")), _LEG_CONSTANTS, leg=_leg, leg_facts=_leg_facts
        ),
    }


TABLES = _build_tables()
_ALL_FIELDS = sorted({n for t in TABLES.values() for names in t.parts.values() for n in names})
_Flags = type("_Flags", (), {"__slots__": tuple(_ALL_FIELDS)})


def want(names: set[str]) -> Want:
    """The `Want` asking for `names` (every other field is not asked for)."""
    flags = _Flags()
    for name in _ALL_FIELDS:
        setattr(flags, name, name in names)
    wanted: Want = flags
    return wanted
