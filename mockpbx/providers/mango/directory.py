"""The account as Mango shows it: users, SIP accounts, lines, groups, call-tracking visitors.

Mango has operator groups; the world has routing rules. Each clinic's
administrators form one group here (id `GROUP_BASE + clinic id`, short
number `500 + clinic id`), which is what a clinic's routing amounts to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from mockpbx.core.model import Call, Employee, NumberType, SipLine, Visit
from mockpbx.core.world import World

__all__ = ["GROUP_BASE", "Lookup", "group_extension", "group_id"]

GROUP_BASE = 10_051_000


def group_id(clinic_id: int) -> int:
    return GROUP_BASE + clinic_id


def group_extension(clinic_id: int) -> str:
    return str(500 + clinic_id)


@dataclass(frozen=True, slots=True)
class Group:
    id: int
    clinic_id: int
    name: str
    extension: str
    members: tuple[Employee, ...]


class Lookup:
    """Fast lookups over one world's directory (build one per request)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.domain = world.account.sip_domain
        self.employees = {e.id: e for e in world.employees}
        self.lines = {s.id: s for s in world.sip_lines}

    @cached_property
    def by_extension(self) -> dict[str, Employee]:
        return {e.extension: e for e in self.world.employees}

    @cached_property
    def by_user_id(self) -> dict[int, Employee]:
        return {e.mango_user_id: e for e in self.world.employees}

    @cached_property
    def groups(self) -> list[Group]:
        out = []
        for clinic in self.world.directory.clinics:
            members = tuple(
                e
                for e in self.world.employees
                if e.clinic_id == clinic.id and e.role == "administrator"
            )
            name = f"Администраторы — {clinic.name}"
            out.append(
                Group(group_id(clinic.id), clinic.id, name, group_extension(clinic.id), members)
            )
        return out

    def group_by_extension(self, extension: str) -> Group | None:
        return next((g for g in self.groups if g.extension == extension), None)

    def sip_uri(self, line: SipLine | None) -> str | None:
        return None if line is None else line.uri(self.domain)

    def employee_by_number(self, number: str) -> Employee | None:
        """An employee by extension, SIP login/URI or one of their phone numbers."""
        found = self.by_extension.get(number)
        if found is not None:
            return found
        login = number.removeprefix("sip:").split("@", 1)[0]
        for line in self.world.sip_lines:
            if login == line.login:
                return self.employees.get(line.employee_id)
        return next((e for e in self.world.employees if number in e.phone_numbers), None)

    # -- config/* renderings ---------------------------------------------------------------
    def user(self, emp: Employee, ext_fields: set[str]) -> dict[str, Any]:
        lines = self.world.lines_of(emp.id)
        general: dict[str, Any] = {
            "name": emp.full_name,
            "email": emp.email,
            "department": self._clinic_name(emp.clinic_id),
            "position": emp.role,
        }
        numbers = [_number(f"sip:{ln.login}@{self.domain}", "sip", i) for i, ln in enumerate(lines)]
        numbers += [_number(p, "tel", len(numbers) + i) for i, p in enumerate(emp.phone_numbers)]
        outgoing = lines[0].virtual_phone_number if lines else None
        telephony: dict[str, Any] = {
            "extension": emp.extension,
            "outgoingline": outgoing,
            "numbers": numbers,
        }
        user: dict[str, Any] = {"general": general, "telephony": telephony}
        _add_ext_fields(user, emp, lines, ext_fields, self)
        return user

    def _clinic_name(self, clinic_id: int) -> str:
        return next((c.name for c in self.world.directory.clinics if c.id == clinic_id), "")

    def group_of(self, emp: Employee) -> Group | None:
        return next((g for g in self.groups if emp in g.members), None)


def _number(number: str, protocol: str, order: int) -> dict[str, Any]:
    return {"number": number, "protocol": protocol, "order": order, "wait_sec": 20, "status": "on"}


def _add_ext_fields(
    user: dict[str, Any], emp: Employee, lines: list[SipLine], fields: set[str], look: Lookup
) -> None:
    general, telephony = user["general"], user["telephony"]
    extra_general = {
        "general.user_id": ("user_id", emp.mango_user_id),
        "general.sips": ("sips", [{"number": f"{ln.login}@{look.domain}"} for ln in lines]),
        "general.access_role_id": ("access_role_id", 10451),
        "general.mobile": ("mobile", emp.phone_numbers[0] if emp.phone_numbers else None),
        "general.login": ("login", f"{look.world.account.product_id}/{emp.login}"),
        "general.use_status": ("use_status", 1),
        "general.use_cc_numbers": ("use_cc_numbers", 0),
    }
    for name, (key, value) in extra_general.items():
        if name in fields:
            general[key] = value
    if "telephony.dial_alg" in fields:
        telephony["dial_alg"] = 1
    if "telephony.line_id" in fields:
        telephony["line_id"] = lines[0].id if lines else None
    if "telephony.trunk_number_id" in fields:
        telephony["trunk_number_id"] = None
    if "telephony.numbers.schedule" in fields:
        for number in telephony["numbers"]:
            number["schedule"] = []
    if "groups" in fields:
        group = look.group_of(emp)
        user["groups"] = [group.id] if group else []


# -- call tracking ---------------------------------------------------------------------------
def dct_of(call: Call, world: World) -> dict[str, Any]:
    """`dct` of events: the tracking number and its type (0 none, 1 dynamic, 2 static)."""
    number = world.number(call.virtual_number) if call.virtual_number else None
    if number is None or number.type is NumberType.VA:
        return {"type": 0}
    kind = 1 if number.type is NumberType.DYNAMIC_CALL_TRACKING else 2
    return {"number": number.number, "type": kind}


def visit_pages(visit: Visit) -> list[dict[str, Any]]:
    """The pages the visitor opened: the entrance page, then the contacts page."""
    first = visit.entrance_page or f"https://{visit.site_domain_name or 'clinic.example'}/"
    base = first.split("/", 3)
    contacts = "/".join(base[:3]) + "/contacts"
    return [
        {"url": first, "date": _iso(visit.visit_ts), "title": "Стоматология"},
        {"url": contacts, "date": _iso(visit.visit_ts + 45), "title": "Контакты"},
    ]


def visitor_info(call: Call, visit: Visit, world: World, now: int) -> dict[str, Any]:
    """user_info_by_dct_number: the visitor bound to the number (flat shape)."""
    pages = visit_pages(visit)
    channel = {
        "source": visit.utm_source,
        "medium": visit.utm_medium,
        "campaign": visit.utm_campaign,
        "content": visit.utm_content,
        "term": visit.utm_term,
    }
    return {
        "uid": f"{visit.id:x}-{world.seeds.token_hex('dct-uid', visit.id, nbytes=6)}",
        "widget_id": 12_000 + call.clinic_id,
        "widget_name": visit.site_domain_name or "clinic.example",
        "product_id": world.account.product_id,
        "ga_cid": f"{visit.id}.{visit.visit_ts}",
        "ya_cid": f"{visit.visit_ts}{visit.id % 10**9}",
        "ip": f"192.0.2.{visit.id % 250 + 1}",
        "region_id": 77,
        "location": {
            "country_code": "RU",
            "region_code": "MOW",
            "region": "Москва",
            "city": "Москва",
        },
        "channel": {k: v for k, v in channel.items() if v is not None},
        "duration": max(now - visit.visit_ts, 0),
        "current_page": pages[-1],
        "device": visit.device,
        "custom": visit.referrer or "",
    }


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
