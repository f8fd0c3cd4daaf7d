"""Site leads (GetTickets) for the clinic face.

Deviation: the world has no web-form leads yet, so this face derives them
deterministically from the world's seed, day by day (`("clinic-tickets",
date)` stream): the same seed always gives the same leads, and a lead is
shown only once its time has passed on the virtual clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from mockpbx.core.ids import name_parts, phone_from
from mockpbx.core.world import World

__all__ = ["Ticket", "tickets_between"]

_FORMS = ("Запись на приём", "Обратный звонок", "Консультация по имплантации", "Расчёт стоимости")
# (utm_source, utm_medium, utm_campaign, referrer) of the visit behind a lead; None = direct
_SOURCES: tuple[tuple[str, str, str, str] | None, ...] = (
    ("yandex", "cpc", "implants", "https://yandex.ru/"),
    ("google", "organic", "brand", "https://www.google.com/"),
    ("vk", "social", "spring_promo", "https://vk.com/"),
    None,
)


@dataclass(frozen=True, slots=True)
class Ticket:
    ts: int
    key: str
    fields: dict[str, Any]


def _day_tickets(world: World, day: date, per_day: int) -> list[Ticket]:
    rnd = world.seeds.random("clinic-tickets", day)
    names = name_parts()
    start = world.day_start(day)
    out = []
    for i in range(rnd.randint(0, 2 * per_day)):
        ts = start + rnd.randrange(8 * 3600, 22 * 3600)
        last, first, middle = names.draw(rnd)
        source = rnd.choice(_SOURCES)
        fields: dict[str, Any] = {
            "ClientPhone": phone_from(rnd),
            "ClientEmail": f"patient{rnd.randrange(10**6)}@mail.example"
            if rnd.random() < 0.5
            else None,
            "ClientFullName": f"{last} {first} {middle}".strip(),
            "FormName": rnd.choice(_FORMS),
            "Comment": None,
            "HttpReferer": source[3] if source else None,
            "UtmSource": source[0] if source else None,
            "UtmMedium": source[1] if source else None,
            "UtmCampaign": source[2] if source else None,
            "UtmTerm": None,
            "UtmContent": None,
        }
        out.append(Ticket(ts, f"{day:%Y%m%d}-{i:03d}", fields))
    return out


def tickets_between(world: World, ts_from: int, ts_to: int, per_day: int) -> list[Ticket]:
    """Leads created in [ts_from, ts_to) that exist by now, ordered by time, then id."""
    ts_to = min(ts_to, world.now() + 1)
    if ts_to <= ts_from or per_day == 0:
        return []
    day, last = world.local(ts_from).date(), world.local(ts_to - 1).date()
    found: list[Ticket] = []
    while day <= last:
        found.extend(t for t in _day_tickets(world, day, per_day) if ts_from <= t.ts < ts_to)
        day += timedelta(days=1)
    return sorted(found, key=lambda t: (t.ts, t.key))
