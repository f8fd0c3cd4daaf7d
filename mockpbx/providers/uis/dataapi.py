"""Data API v2.0 methods: auth, account, reports (calls, legs, communications), directory.

The directory: employees and their groups, SIP lines, numbers, routing
scenarios, tags and media files.

Deviations and choices (the docs are silent or contradict themselves):
- report times are wall-clock in the `get.account` timezone, no offset;
  the period applies to the session's (or leg's call's) `start_time`, and
  `date_till` is inclusive; a period longer than `UisOptions.interval_limit`
  is refused with `date_interval_limit_reached`, a reversed one with
  `invalid_parameter_value` on `date_till`;
- `fields` omitted or `[]` gives the method's default fields; where the docs
  have no "returned by default" column (employees, SIP lines, numbers) it is
  every field;
- `get.account` answers with `metadata`, not the sample's `meta_data`;
- `get.call_legs_report` lists the legs of finished calls only;
- `get.communications_report`: each finished call is one communication (its
  id is the calls report's `communication_id`), `date_time` its start; the
  world has no chats, goals or offline messages;
- where the docs' table and JSON sample disagree on a field's name or place
  (`site_blocks`, `operator_sites`, the numbers of `get.group_employees`) both
  readings are accepted by default; `UisOptions` narrows to one;
- groups: one per clinic and role (the world has no groups of its own);
  `get.group_employees` lists the groups `get.employees` names, with no
  internal number, no queue and one channel;
- scenarios: those the numbers use, each with its one forwarding operation
  (the same as the calls report's `scenario_operations`; the docs give no
  operation fields, so `id` and `name`), no sites; campaigns as in
  `get.virtual_numbers`;
- the world has no tags and no media files: empty lists.
"""

from __future__ import annotations

import calendar
import operator
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from mockpbx.core.model import Employee, VirtualNumber
from mockpbx.core.profiles import lacks
from mockpbx.providers.uis.errors import err
from mockpbx.providers.uis.filters import compile_filter, sort_rows
from mockpbx.providers.uis.options import profile_of
from mockpbx.providers.uis.render import RenderContext, getter, render_page, scenario_operation
from mockpbx.providers.uis.rpc import Ctx, JsonRows, Method, Result
from mockpbx.providers.uis.runtime import RowCache
from mockpbx.providers.uis.schemas import (
    CallsReportParams,
    FieldSpec,
    GetParams,
    LoginParams,
    LogoutParams,
    ReportParams,
    TokenParams,
    catalog,
    check_wall_clock,
)

__all__ = ["DATA_METHODS"]


# -- auth and account ----------------------------------------------------------------------
def login_user(ctx: Ctx, p: LoginParams) -> Result:
    creds = ctx.state.credentials
    if (p.login, p.password) != (creds.uis_login, creds.uis_password):
        raise err("auth_error")
    token, expires = ctx.new_session()
    data: dict[str, Any] = {"access_token": token}
    if ctx.opts.login_expire_key in ("expire_at", "both"):
        data["expire_at"] = expires
    if ctx.opts.login_expire_key in ("expire", "both"):
        data["expire"] = expires
    data["app_id"] = ctx.world.account.app_id
    return Result(data)


def logout_user(ctx: Ctx, p: LogoutParams) -> Result:
    ctx.rt.sessions.pop(p.access_token, None)
    return Result({})


def get_account(ctx: Ctx, p: TokenParams) -> Result:
    account = ctx.world.account
    row = {"app_id": account.app_id, "name": account.name, "timezone": account.timezone}
    return Result([row], 1)


# -- reports ---------------------------------------------------------------------------------
def get_calls_report(ctx: Ctx, p: CallsReportParams) -> Result:
    ts_from, ts_to = _period(ctx, p)
    ongoing = p.include_ongoing_calls
    include = ctx.opts.include_ongoing_default if ongoing is None else ongoing
    calls = ctx.world.history(ts_from, ts_to, include_ongoing=include)
    return _report(ctx, p, "get.calls_report", "call", calls)


def get_call_legs_report(ctx: Ctx, p: ReportParams) -> Result:
    ts_from, ts_to = _period(ctx, p)
    rows = [(call, leg) for call in ctx.world.history(ts_from, ts_to) for leg in call.legs]
    return _report(ctx, p, "get.call_legs_report", "leg", rows)


def get_communications_report(ctx: Ctx, p: ReportParams) -> Result:
    ts_from, ts_to = _period(ctx, p)
    calls = ctx.world.history(ts_from, ts_to)
    return _report(ctx, p, "get.communications_report", "comm", calls)


def _profiled(ctx: Ctx, rows: Sequence[Any], x: RenderContext) -> Sequence[Any]:
    """Rows as a provider without recordings or call tracking has them (no link, no visit)."""
    profile = profile_of(ctx.state)
    strip: dict[str, Any] = {}
    if lacks(profile, "tracking"):
        strip["visit"] = None
    if lacks(profile, "recordings"):
        strip["recorded"] = False
    if not strip:
        return rows
    x.cache = RowCache(0)  # the cache holds full rows: the profile's rows are built afresh
    return [
        (replace(r[0], **strip), r[1]) if isinstance(r, tuple) else replace(r, **strip)
        for r in rows
    ]


def _report(ctx: Ctx, p: GetParams, method: str, kind: str, rows: Sequence[Any]) -> Result:
    spec = _spec(ctx, method)
    names = _fields(spec, p.fields)
    x = ctx.render_context()
    rows = _profiled(ctx, rows, x)

    def get(name: str) -> Callable[[Any], Any]:
        return getter(kind, name, x)

    rows = _filter_sort(ctx, p, spec, get, rows)
    page = _page(ctx, p, rows)
    return Result(JsonRows(render_page(page, kind, names, x)), len(rows))


# Periods are clamped to what epoch seconds in any zone can express; outside it there are no calls.
_EARLIEST, _LATEST = 86_400, 253_402_128_000  # 1970-01-02 .. 9999-12-30 UTC


def _period(ctx: Ctx, p: ReportParams) -> tuple[int, int]:
    """[from, till] in the account's wall-clock time as epoch seconds [from, till + 1)."""
    tz = ctx.world.tz
    start = check_wall_clock(p.date_from).replace(tzinfo=None)
    end = check_wall_clock(p.date_till).replace(tzinfo=None)
    if end < start:
        raise err("invalid_parameter_value", field="date_till", value=p.date_till)
    if end > _limit_end(start, ctx.opts.interval_limit):
        raise err("date_interval_limit_reached", field="date_till", value=p.date_till)
    ts_from = _epoch(start.replace(tzinfo=tz))
    ts_to = _epoch(end.replace(tzinfo=tz)) + 1
    return min(max(ts_from, _EARLIEST), _LATEST), min(max(ts_to, _EARLIEST), _LATEST)


def _epoch(moment: datetime) -> int:
    try:
        return int(moment.timestamp())
    except (OverflowError, ValueError):  # year 1 or 9999 shifted out of range by the offset
        return 0 if moment.year < 1970 else _LATEST


def _limit_end(start: datetime, limit: str) -> datetime:
    """The latest `date_till` allowed for `start` (3 calendar months, or 90 days)."""
    try:
        if limit == "90 days":
            return start + timedelta(days=90)
        month = start.month - 1 + 3
        year, month = start.year + month // 12, month % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        return start.replace(year=year, month=month, day=day)
    except (OverflowError, ValueError):  # past year 9999
        return datetime.max  # noqa: DTZ901 (naive on purpose: compared with wall-clock times)


# -- shared by every get.* -------------------------------------------------------------------
# Fields the docs' tables list top-level while their JSON samples nest them.
_TABLE_ONLY = {"get.virtual_numbers": "site_blocks", "get.employees": "operator_sites"}


def _spec(ctx: Ctx, method: str) -> dict[str, FieldSpec]:
    """The method's fields under the options: the catalogue, narrowed or widened."""
    spec = catalog(method)
    opts = ctx.opts
    if method == "get.calls_report":
        extra = [name for name in opts.calls_report_extra_fields if name not in spec]
        if not extra:
            return spec
        return spec | {name: FieldSpec(name, "string", False, False, False) for name in extra}
    drop: set[str] = set()
    promote: set[str] = set()
    table_only = _TABLE_ONLY.get(method)
    if table_only and opts.site_fields_placement == "nested":
        drop.add(table_only)
    elif table_only and opts.site_fields_placement == "top_level":
        promote.add(table_only)
    if method == "get.group_employees" and opts.group_numbers_key == "phone_numbers":
        drop.add("phone_number")
    elif method == "get.group_employees" and opts.group_numbers_key == "phone_number":
        drop.add("phone_numbers")
        promote.add("phone_number")
    if not drop and not promote:
        return spec
    return {
        name: replace(f, default=True) if name in promote else f
        for name, f in spec.items()
        if name not in drop
    }


def _fields(spec: dict[str, FieldSpec], requested: list[str] | None) -> tuple[str, ...]:
    if not requested:
        return tuple(name for name, f in spec.items() if f.default)
    for name in requested:
        if name not in spec:
            raise err("unexpected_parameters", field="fields", value=name)
    return tuple(dict.fromkeys(requested))


def _filter_sort(
    ctx: Ctx,
    p: GetParams,
    spec: dict[str, FieldSpec],
    get: Callable[[str], Callable[[Any], Any]],
    rows: Sequence[Any],
) -> Sequence[Any]:
    test = compile_filter(p.filter, spec, get, ctx.opts.filter_default_condition)
    if test is not None:
        rows = [row for row in rows if test(row)]
    if p.sort and not _in_start_order(p, spec):
        rows = sort_rows(list(rows), p.sort, spec, get)
    return rows


def _in_start_order(p: GetParams, spec: dict[str, FieldSpec]) -> bool:
    """Report rows already come by start time: `start_time asc` needs no sort (clients ask it)."""
    only = p.sort[0] if p.sort and len(p.sort) == 1 else None
    return (
        only is not None
        and only.field == "start_time"
        and only.order == "asc"
        and "start_time" in spec
        and "call_session_id" not in spec  # calls report only: legs come by call, then leg
    )


def _page(ctx: Ctx, p: GetParams, rows: Sequence[Any]) -> Sequence[Any]:
    """At most `limit` rows from offset (the duplicate_rows fault shifts the start back)."""
    start = ctx.page_start(p.offset, p.limit)
    return rows[start : start + p.limit]


def _directory(ctx: Ctx, p: GetParams, method: str, rows: list[dict[str, Any]]) -> Result:
    spec = _spec(ctx, method)
    names = _fields(spec, p.fields)

    def get(name: str) -> Callable[[Any], Any]:
        return operator.itemgetter(name)

    picked = _filter_sort(ctx, p, spec, get, rows)
    page = _page(ctx, p, picked)
    return Result([{name: row[name] for name in names} for row in page], len(picked))


# -- directory -----------------------------------------------------------------------------------
def get_employees(ctx: Ctx, p: GetParams) -> Result:
    rows = [_employee(ctx, e) for e in ctx.world.employees]
    return _directory(ctx, p, "get.employees", rows)


def _phones(ctx: Ctx, e: Employee) -> list[dict[str, Any]]:
    """An employee's numbers: SIP lines first, then the phone numbers (at most 10)."""
    lines = ctx.world.lines_of(e.id)
    phones = [
        {
            "phone_id": line.id,
            "phone_number": line.login,
            "channels_count": line.channels_count,
            "dial_time": line.dial_time,
            "status": "active" if line.registered else "inactive",
        }
        for line in lines
    ] + [
        {
            "phone_id": e.id * 100 + i,
            "phone_number": number,
            "channels_count": 1,
            "dial_time": 60,
            "status": "active",
        }
        for i, number in enumerate(e.phone_numbers, start=1)
    ]
    return phones[:10]


def _employee(ctx: Ctx, e: Employee) -> dict[str, Any]:
    group_id, group_name = _group_of(ctx, e)
    return {
        "id": e.id,
        "login": e.login,
        "first_name": e.first_name,
        "last_name": e.last_name,
        "patronymic": e.patronymic,
        "full_name": e.full_name,
        "status": e.status,
        "status_id": {"available": 1, "break": 2, "do_not_disturb": 3}.get(e.status, 4),
        "calls_available": e.status == "available",
        "allowed_in_call_types": ["internal", "external"],
        "in_external_allowed_call_directions": ["in", "out"],
        "in_internal_allowed_call_directions": ["in", "out"],
        "allowed_out_call_types": ["internal", "external"],
        "out_external_allowed_call_directions": ["in", "out"],
        "out_internal_allowed_call_directions": ["in", "out"],
        "email": e.email or None,
        "call_recording": "all",
        "schedule_id": None,
        "schedule_name": None,
        "coach": {},
        "groups": [{"group_id": group_id, "group_name": group_name}],
        "phone_numbers": _phones(ctx, e),
        "extension": {
            "extension_phone_number": e.extension,
            "extension_voice_mail_enabled": False,
            "extension_queue_enabled": True,
        },
        "operator": {},  # not a chat operator: no operator settings, no sites
        "operator_sites": [],
    }


_ROLE_GROUPS = {"administrator": (1, "Администраторы"), "doctor": (2, "Врачи")}
_OTHER_GROUP = (3, "Менеджеры")


def _group_of(ctx: Ctx, e: Employee) -> tuple[int, str]:
    """The employee's group: one per clinic and role, named by the role (and clinic if many)."""
    index, name = _ROLE_GROUPS.get(e.role, _OTHER_GROUP)
    clinics = ctx.world.directory.clinics
    if len(clinics) > 1:
        clinic = next((c.name for c in clinics if c.id == e.clinic_id), str(e.clinic_id))
        name = f"{name} ({clinic})"
    return 100 + 10 * e.clinic_id + index, name


def get_group_employees(ctx: Ctx, p: GetParams) -> Result:
    groups: dict[int, dict[str, Any]] = {}
    for e in ctx.world.employees:
        group_id, name = _group_of(ctx, e)
        group = groups.setdefault(
            group_id,
            {
                "id": group_id,
                "name": name,
                "members": [],
                "phone_numbers": [],
                "group_phone_number": None,
                "queue_enabled": False,
                "channels_count": 1,
            },
        )
        group["members"].append({"employee_id": e.id, "employee_full_name": e.full_name})
        group["phone_numbers"] += [
            {
                "employee_phone_number": phone["phone_number"],
                "employee_phone_number_id": phone["phone_id"],
                "employee_full_name": e.full_name,
                "employee_id": e.id,
                "available": phone["status"] == "active",
            }
            for phone in _phones(ctx, e)
        ]
    rows = [group | {"phone_number": group["phone_numbers"]} for group in groups.values()]
    rows.sort(key=operator.itemgetter("id"))
    return _directory(ctx, p, "get.group_employees", rows)


def get_sip_lines(ctx: Ctx, p: GetParams) -> Result:
    world = ctx.world
    english = ctx.opts.physical_state_language == "en"
    states = (
        ("Registered", "Not registered") if english else ("Зарегистрирован", "Не зарегистрирован")
    )
    since = world.local(world.now() - 3 * 3600).strftime("%Y-%m-%d %H:%M:%S")
    rows = []
    for line in world.sip_lines:
        employee = world.employee(line.employee_id)
        rows.append(
            {
                "id": line.id,
                "phone_number": line.login,
                "type": line.type,
                "channels_count": line.channels_count,
                "dial_time": line.dial_time,
                "billing_state": "active",
                "physical_state": states[0] if line.registered else states[1],
                "virtual_phone_number": None if line.type == "in" else line.virtual_phone_number,
                "status": "active",
                "employee_id": line.employee_id,
                "employee_full_name": employee.full_name,
                "ip_addresses": [
                    {"date_time": since, "ip": f"10.0.{line.id % 250}.{line.id % 7 + 10}"}
                ]
                if line.registered
                else [],
            }
        )
    return _directory(ctx, p, "get.sip_lines", rows)


def _campaign(n: VirtualNumber) -> dict[str, Any]:
    """The ad campaign of a tracking number (one per number)."""
    return {
        "campaign_id": 7000 + n.id,
        "campaign_name": n.name,
        "site_id": 5000 + n.clinic_id,
        "site_domain_name": "clinic.example",
    }


def get_virtual_numbers(ctx: Ctx, p: GetParams) -> Result:
    nested = ctx.opts.site_fields_placement != "top_level"
    rows = []
    for n in ctx.world.numbers:
        tracking = n.type.value != "va"
        site_blocks: list[dict[str, Any]] = []  # the world has no number blocks on sites
        campaign = _campaign(n) | ({"site_blocks": site_blocks} if nested else {})
        rows.append(
            {
                "id": n.id,
                "child_customer_id": None,
                "virtual_phone_number": n.number,
                "redirection_phone_number": None,
                "activation_date": f"{n.activation_date} 00:00:00",
                "status": "active",
                "category": "usual",
                "type": n.type.value,
                "comment": None,
                "name": n.name or None,
                "campaigns": [campaign] if tracking else [],
                "site_blocks": site_blocks if tracking else [],
                "scenarios": [
                    {
                        "scenario_id": n.scenario_id,
                        "scenario_name": n.scenario_name,
                        "call_processing_rule_id": n.scenario_id * 10,
                        "is_active": True,
                    }
                ],
            }
        )
    return _directory(ctx, p, "get.virtual_numbers", rows)


def get_scenarios(ctx: Ctx, p: GetParams) -> Result:
    scenarios: dict[int, dict[str, Any]] = {}
    for n in ctx.world.numbers:
        if not n.scenario_id:
            continue
        op_id, op_name = scenario_operation(n.scenario_id)
        row = scenarios.setdefault(
            n.scenario_id,
            {
                "id": n.scenario_id,
                "name": n.scenario_name or None,
                "virtual_phone_numbers": [],
                "sites": [],  # no site has a default scenario
                "campaigns": [],
                "operations": [{"id": op_id, "name": op_name}],
            },
        )
        row["virtual_phone_numbers"].append(n.number)
        if n.type.value != "va":
            row["campaigns"].append(_campaign(n))
    rows = sorted(scenarios.values(), key=operator.itemgetter("id"))
    return _directory(ctx, p, "get.scenarios", rows)


def get_tags(ctx: Ctx, p: GetParams) -> Result:
    return _directory(ctx, p, "get.tags", [])  # calls carry no tags in this world


def get_media_files(ctx: Ctx, p: GetParams) -> Result:
    return _directory(ctx, p, "get.media_files", [])  # no uploaded or system media


DATA_METHODS: dict[str, Method] = {
    "login.user": Method(LoginParams, login_user, auth=False),
    "logout.user": Method(LogoutParams, logout_user),
    "get.account": Method(TokenParams, get_account),
    "get.calls_report": Method(CallsReportParams, get_calls_report),
    "get.call_legs_report": Method(ReportParams, get_call_legs_report),
    "get.communications_report": Method(ReportParams, get_communications_report),
    "get.employees": Method(GetParams, get_employees),
    "get.sip_lines": Method(GetParams, get_sip_lines),
    "get.virtual_numbers": Method(GetParams, get_virtual_numbers),
    "get.group_employees": Method(GetParams, get_group_employees),
    "get.scenarios": Method(GetParams, get_scenarios),
    "get.tags": Method(GetParams, get_tags),
    "get.media_files": Method(GetParams, get_media_files),
}
