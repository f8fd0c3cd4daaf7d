"""What rendering a report row knows: the request (`RenderContext`) and a call's shared facts.

`RenderContext` is one request's view of the world (the clock reading, the
origin, memoized lookups); `Facts` are the per-call figures several fields
share, computed once per call and request; `clock` turns epoch seconds into
the account's wall clock fast. The fields that read them are `fields.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from mockpbx.core.model import Call, Leg, LegRole
from mockpbx.core.world import World
from mockpbx.providers.uis.runtime import RowCache
from mockpbx.providers.uis.schemas import finish_reason_label

__all__ = [
    "ALL_FACTS",
    "CAMPAIGN",
    "EMPLOYEE",
    "RECORDING",
    "REGION",
    "SCENARIO",
    "STAFF",
    "Facts",
    "RenderContext",
    "clock",
    "scenario_operation",
    "wall_clock",
]

EMPLOYEE = LegRole.EMPLOYEE
# Sources of calls that came in on a number (and so ran its routing scenario).
_INCOMING_SOURCES = ("va", "call_tracking", "dynamic_call_tracking")
Scenario = tuple[int | None, str | None, int | None, str | None]  # id, name, operation id, name
# (region id, region name, country id, country name, city) of a contact number
Region = tuple[int | None, str | None, str | None, str | None, str | None]

_MOSCOW: Region = (77, "Москва и Московская область", "643", "Россия", "Москва")
_PETERSBURG: Region = (
    78, "Санкт-Петербург и Ленинградская область", "643", "Россия", "Санкт-Петербург"
)  # fmt: skip
_RUSSIA: Region = (None, None, "643", "Россия", None)
_NOWHERE: Region = (None, None, None, None, None)
_REGIONS = {"495": _MOSCOW, "499": _MOSCOW, "812": _PETERSBURG, "921": _PETERSBURG}


def _region(number: str) -> Region:
    if not number.startswith("7") or len(number) != 11:
        return _NOWHERE
    code = number[1:4]
    found = _REGIONS.get(code)
    if found is not None:
        return found
    return _MOSCOW if code[0] == "9" else _RUSSIA


def scenario_operation(scenario_id: int | None) -> tuple[int | None, str | None]:
    """The one operation (id, name) of a routing scenario: forwarding to the employees."""
    if not scenario_id:
        return None, None
    return scenario_id * 10 + 1, "Переадресация на сотрудников"


# The groups of facts, computed only when a field list needs them (`Facts.NEEDS`).
REGION, STAFF, SCENARIO, CAMPAIGN, RECORDING = 1, 2, 4, 8, 16
ALL_FACTS = REGION | STAFF | SCENARIO | CAMPAIGN | RECORDING


class Facts:
    """Per-call figures several fields share, computed once per call and request.

    They come in groups (`REGION`, ...); `RenderContext.facts` computes the
    groups a field list needs and keeps them for the request's other lists.
    """

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
        "has",
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

    # The group each attribute and method needs (0: none, it reads the call itself).
    NEEDS: ClassVar[dict[str, int]] = {
        "region": REGION,
        **dict.fromkeys(
            ("fa_id", "fa_name", "la_id", "la_name", "ft_id", "ft_name", "lt_id", "lt_name"), STAFF
        ),
        "operator_phone": STAFF,
        **dict.fromkeys(("scenario_id", "scenario_name", "action_id", "action_name"), SCENARIO),
        "campaign_id": CAMPAIGN,
        "campaign_name": CAMPAIGN,
        **dict.fromkeys(("hash", "link", "leg_records"), RECORDING),
        "employees": 0,
    }

    def __init__(self, c: Call, x: RenderContext, needs: int = ALL_FACTS, has: int = 0) -> None:
        """The facts of `c` in the groups `needs` (and `has`: computed before, by `add`)."""
        self._call, self._ctx = c, x
        if needs & REGION:
            self.region = _region(c.contact_number)
        if needs & STAFF:
            first = last = None  # the first and last employee legs that answered
            for leg in c.legs:
                if leg.role is EMPLOYEE and leg.answer_ts is not None:
                    first = leg if first is None else first
                    last = leg
            names = x.names  # the names inline, not a method call: this runs for every call
            self.fa_id = fa = None if first is None else first.employee_id
            self.fa_name = None if fa is None else names.get(fa)
            self.la_id = la = None if last is None else last.employee_id
            self.la_name = None if la is None else names.get(la)
            talked = c.answer_ts is not None
            self.ft_id, self.ft_name = (self.fa_id, self.fa_name) if talked else (None, None)
            self.lt_id, self.lt_name = (self.la_id, self.la_name) if talked else (None, None)
            self.operator_phone = x.leg_phone(last) if last else None
        if needs & SCENARIO:
            self.scenario_id, self.scenario_name, self.action_id, self.action_name = x.scenario_of(
                c.virtual_number, c.source
            )
        if needs & CAMPAIGN:
            v = c.visit
            self.campaign_id = (v.campaign_id or 7000 + c.clinic_id) if v else None
            self.campaign_name = (v.campaign_name or v.utm_campaign or v.channel_key) if v else None
        if needs & RECORDING:
            self.hash = x.recording(c)
            self.link = x.link(c.id, self.hash) if self.hash else None
        self.has = has | needs

    def add(self, needs: int) -> None:
        """Compute the groups in `needs` too (the groups computed before stay)."""
        Facts.__init__(self, self._call, self._ctx, needs, self.has)

    def leg_records(self, leg: Leg) -> list[str]:
        if self.hash and leg.answer_ts is not None and self._call.answer_ts is not None:
            return [self.hash]
        return []

    def employees(self) -> list[dict[str, Any]]:
        c, names = self._call, self._ctx.names
        out: dict[int, dict[str, Any]] = {}
        for leg in c.legs:
            employee_id = leg.employee_id
            if leg.role is not EMPLOYEE or employee_id is None:
                continue
            row = out.get(employee_id)
            if row is None:
                row = out[employee_id] = {
                    "employee_id": employee_id,
                    "employee_full_name": names.get(employee_id),
                    "is_answered": False,
                    "is_talked": False,
                }
            if leg.answer_ts is not None:
                row["is_answered"] = True
                row["is_talked"] = row["is_talked"] or c.answer_ts is not None
        return list(out.values())


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
        self.names = {e.id: e.full_name for e in world.employees}  # employee id -> full name
        self._logins = {s.id: s.login for s in world.sip_lines}
        self._scenarios: dict[tuple[str | None, str], Scenario] = {}

    def facts(self, c: Call, needs: int = ALL_FACTS) -> Facts:
        """The call's facts with at least the groups `needs` (memoized per request)."""
        got = self._facts.get(id(c))
        if got is None or got._call is not c:
            got = self._facts[id(c)] = Facts(c, self, needs)
        elif needs & ~got.has:
            got.add(needs & ~got.has)
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
        return None if employee_id is None else self.names.get(employee_id)

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


# Per zone: 15-minute bucket -> UTC offset, and local minute -> `YYYY-MM-DD hh:mm:`. Kept
# across requests like the lru caches above, each emptied when it reaches _TEXTS entries.
_ZONES: dict[ZoneInfo, tuple[dict[int, int], dict[int, str]]] = {}
_TEXTS = 1 << 17


def clock(tz: ZoneInfo) -> Callable[[int], str]:
    """`wall_clock` in one zone as a one-argument function (rows call it for every time).

    Most times cost two dict lookups: the zone's offsets and minute texts are kept.
    """
    offsets, minutes = _ZONES.setdefault(tz, ({}, {}))

    def text(ts: int) -> str:
        bucket = ts // 900
        offset = offsets.get(bucket)
        if offset is None:
            if len(offsets) >= _TEXTS:
                offsets.clear()
            offset = offsets[bucket] = _offset(bucket, tz)
        local = ts + offset
        minute = local // 60
        prefix = minutes.get(minute)
        if prefix is None:
            if len(minutes) >= _TEXTS:
                minutes.clear()
            day, in_day = divmod(minute, 1440)
            prefix = minutes[minute] = _day_text(day) + _HOURS_MINUTES[in_day]
        return prefix + _SECONDS[local % 60]

    return text


def wall_clock(ts: int, tz: ZoneInfo) -> str:
    """`YYYY-MM-DD hh:mm:ss` of epoch second `ts` in `tz` (faster than datetime for pages)."""
    return clock(tz)(ts)
