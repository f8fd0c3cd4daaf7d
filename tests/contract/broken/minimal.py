"""A second, separately written provider: a small aiohttp app built from provider.v1.yaml alone.

Unlike `GoodProvider` (a class with one method per rule), this one is a few
plain handlers over a list of call dicts, with every open point of the
public description chosen by `Readings`. `features` says which endpoints it
offers at all (a typical virtual PBX offers only GetFinishedCalls), and
`recordings` / `tracking` whether calls carry links and UTM tags.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

KEY = "minimal-key-5f0c2d"
WAV = b"RIFF" + (836).to_bytes(4, "little") + b"WAVEfmt " + bytes(24) + b"data" + bytes(800)
ALL = frozenset({"GetFinishedCalls", "GetOngoingCalls", "GetTickets"})


@dataclass(frozen=True)
class Readings:
    """The provider's choice at each open point of the description."""

    to_inclusive: bool = False
    filter_by: str = "start"  # "start" or "end" of the call
    auth_status: int = 401
    over_limit: str = "refuse"  # "refuse" or "clamp" a limit above 1000
    offset_names: tuple[str, ...] = ("offset", "offSet")
    missed_talk: int | None = None  # TalkInSeconds of a call nobody answered
    zone: timezone = timezone(timedelta(hours=3))  # offset of rendered times
    phone_style: str = "digits"  # "digits" (79161234567) or "plus" (+7 916 123-45-67)


@dataclass
class Minimal:
    readings: Readings = field(default_factory=Readings)
    features: frozenset[str] = ALL
    recordings: bool = True
    tracking: bool = True
    # history ends an hour before the current one began: every call has ended
    started: int = field(default_factory=lambda: int(time.time()) // 3600 * 3600 - 3600)

    def __post_init__(self) -> None:
        rnd = random.Random(7)
        first = self.started - 2 * 86400
        self.calls = [self._call(t, rnd) for t in range(first, self.started, 420)]  # every 7 min

    def _call(self, t: int, rnd: random.Random) -> tuple[int, int, int | None, int]:
        talk = rnd.randrange(20, 400) if rnd.random() < 0.75 else None
        return (t, rnd.randrange(3, 40), talk, rnd.randrange(10**6))

    def period(self) -> tuple[datetime, datetime]:
        zone = self.readings.zone
        return (
            datetime.fromtimestamp(self.started - 2 * 86400, zone),
            datetime.fromtimestamp(self.started, zone),
        )

    # -- rendering --------------------------------------------------------------------
    def phone(self, digits: str) -> str:
        if self.readings.phone_style == "plus":
            return f"+{digits[0]} {digits[1:4]} {digits[4:7]}-{digits[7:9]}-{digits[9:]}"
        return digits

    def render(self, call: tuple[int, int, int | None, int], origin: str) -> dict[str, Any]:
        start, wait, talk, n = call
        tracked = self.tracking and n % 4 == 0
        secret = hashlib.sha256(f"m:{n}".encode()).hexdigest()[:40]
        link = f"{origin}/audio/{secret}.wav" if self.recordings and talk else None
        return {
            "DateAndTime": datetime.fromtimestamp(start, self.readings.zone).isoformat(),
            "Direction": "in",
            "PhoneFrom": self.phone(f"7916{n:07d}"),
            "PhoneTo": self.phone("74950001122"),
            "WaitInSeconds": wait,
            "TalkInSeconds": talk if talk else self.readings.missed_talk,
            "LineDescription": None,
            "RecordUrl": link,
            "UtmSource": "google" if tracked else None,
            "UtmMedium": "cpc" if tracked else None,
            "UtmCampaign": "braces" if tracked else None,
            "UtmTerm": None,
            "UtmContent": None,
            "HttpReferer": "https://www.google.com/" if tracked else None,
        }

    # -- handlers ---------------------------------------------------------------------
    def selected(self, lo: float, hi: float) -> list[tuple[int, int, int | None, int]]:
        def inside(t: float) -> bool:
            return lo <= t < hi or (self.readings.to_inclusive and t == hi)

        by_end = self.readings.filter_by == "end"
        return [c for c in self.calls if inside(c[0] + c[1] + (c[2] or 0) if by_end else c[0])]

    def query(self, request: web.Request) -> tuple[float, float, int, int] | None:
        q = request.query
        try:
            lo = datetime.fromisoformat(q["dateTimeFrom"])
            hi = datetime.fromisoformat(q["dateTimeTo"])
            limit = int(q.get("limit", "100"))
            offset = int(next((q[n] for n in self.readings.offset_names if n in q), "0"))
        except (KeyError, ValueError):
            return None
        if lo.tzinfo is None or hi.tzinfo is None or limit < 1 or offset < 0:
            return None
        if limit > 1000 and self.readings.over_limit == "refuse":
            return None
        return lo.timestamp(), hi.timestamp(), min(limit, 1000), offset

    async def finished(self, request: web.Request) -> web.Response:
        asked = self.query(request)
        if asked is None:
            return web.json_response({"message": "bad parameters"}, status=400)
        lo, hi, limit, offset = asked
        page = self.selected(lo, hi)[offset : offset + limit]
        origin = str(request.url.origin())
        return web.json_response([self.render(c, origin) for c in page])

    async def ongoing(self, request: web.Request) -> web.Response:
        return web.json_response([])  # replaced below when offered

    async def tickets(self, request: web.Request) -> web.Response:
        asked = self.query(request)
        if asked is None:
            return web.json_response({"message": "bad parameters"}, status=400)
        return web.json_response([])

    async def audio(self, request: web.Request) -> web.Response:
        wanted = request.match_info["secret"]
        known = {hashlib.sha256(f"m:{c[3]}".encode()).hexdigest()[:40] for c in self.calls}
        if wanted not in known:
            return web.Response(status=404)
        return web.Response(body=WAV, content_type="audio/wav")

    @web.middleware
    async def auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/api/") and request.headers.get("IDENT-Integration-Key") != KEY:
            return web.json_response({"message": "unauthorized"}, status=self.readings.auth_status)
        response: web.StreamResponse = await handler(request)
        return response

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.auth])
        handlers = {
            "GetFinishedCalls": self.finished,
            "GetOngoingCalls": self.ongoing,
            "GetTickets": self.tickets,
        }
        for name in sorted(self.features):
            app.router.add_get(f"/api/{name}", handlers[name])
        app.router.add_get("/audio/{secret}.wav", self.audio)
        return app

    path = "/api"
