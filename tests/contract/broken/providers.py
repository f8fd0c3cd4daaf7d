"""The good provider and its one-defect variants."""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from aiohttp import web

KEY = "good-key-0123456789abcdef"
TZ = timezone(timedelta(hours=3))
HISTORY_STEP = 600  # a historical call every 10 minutes
HISTORY_DAYS = 2
LIVE_STEP, LIVE_LENGTH = 1, 14  # live traffic: a call every second lasting 14 s
WAV = b"RIFF" + (836).to_bytes(4, "little") + b"WAVEfmt " + bytes(24) + b"data" + bytes(800)


@dataclass(frozen=True, slots=True)
class Call:
    k: int
    start: int
    wait: int
    talk: int | None
    tracked: bool
    callback_to: str | None = None  # a callback placed through StartCallback

    @property
    def end(self) -> int:
        return self.start + self.wait + (self.talk or 0)


class GoodProvider:
    """A correct provider of the contract; subclasses break one rule each."""

    path = "/ident/v1"

    def __init__(self, anchor: int | None = None) -> None:
        # live traffic began a minute ago, so the first seconds already have calls ending
        self.anchor = anchor if anchor is not None else int(time.time()) // 60 * 60 - 60
        self.secret = "s3cret"
        self.callbacks: list[Call] = []
        self.timetable: dict[str, Any] | None = None
        self.history = [self._history_call(k) for k in range(HISTORY_DAYS * 86400 // HISTORY_STEP)]

    # -- data ----------------------------------------------------------------------------
    def _history_call(self, k: int) -> Call:
        rnd = random.Random(k)
        start = self.anchor - HISTORY_DAYS * 86400 + k * HISTORY_STEP + rnd.randrange(300)
        answered = rnd.random() < 0.8
        return Call(
            k, start, rnd.randrange(1, 30), rnd.randrange(5, 300) if answered else None, k % 3 == 0
        )

    def now(self) -> int:
        return int(time.time())

    def live_call(self, n: int) -> Call:
        return Call(100_000 + n, self.anchor + n * LIVE_STEP, 2, LIVE_LENGTH - 2, n % 2 == 0)

    def all_calls(self) -> list[Call]:
        """Every call that has ended by now, in the stable order."""
        now = self.now()
        live = [self.live_call(n) for n in range(max(0, (now - self.anchor) // LIVE_STEP + 1))]
        return [c for c in self.history + live if c.end <= now]

    def ongoing(self) -> list[Call]:
        now = self.now()
        last = (now - self.anchor) // LIVE_STEP
        return [
            c
            for n in range(max(0, last - 16), last + 1)
            if (c := self.live_call(n)).start <= now < c.end
        ] + [c for c in self.callbacks if c.start <= now < c.end]

    def token(self, call: Call) -> str:
        return hashlib.sha256(f"{self.secret}:{call.k}".encode()).hexdigest()[:32]

    # -- wire ------------------------------------------------------------------------------
    def time_text(self, ts: int) -> str:
        return datetime.fromtimestamp(ts, TZ).isoformat()

    def recording_url(self, call: Call, origin: str) -> str:
        return f"{origin}/rec/{call.k}/{self.token(call)}.wav"

    def render(self, call: Call, origin: str, *, live: bool = False) -> dict[str, Any]:
        now = self.now()
        wait, talk = call.wait, call.talk
        if live:
            answered = call.start + call.wait
            wait, talk = (
                (call.wait, now - answered) if now >= answered else (now - call.start, None)
            )
        tracked = call.tracked
        return {
            "DateAndTime": self.time_text(call.start),
            "Direction": "out" if call.callback_to or call.k % 5 == 0 else "in",
            "PhoneFrom": "74951234567" if call.callback_to else f"7916{call.k:07d}",
            "PhoneTo": call.callback_to or "74951234567",
            "WaitInSeconds": wait,
            "TalkInSeconds": talk,
            "LineDescription": "Reception",
            "RecordUrl": None if live or call.talk is None else self.recording_url(call, origin),
            "UtmSource": "yandex" if tracked else None,
            "UtmMedium": "cpc" if tracked else None,
            "UtmCampaign": "implants" if tracked else None,
            "UtmTerm": None,
            "UtmContent": None,
            "HttpReferer": "https://yandex.ru/" if tracked else None,
        }

    def error(self, status: int, message: str) -> web.Response:
        return web.json_response({"error": "error", "message": message}, status=status)

    def authorized(self, request: web.Request) -> bool:
        return request.headers.get("IDENT-Integration-Key") == KEY

    def parse_time(self, value: str | None) -> datetime | None:
        if not value or "T" not in value:
            return None
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return None
        return when if when.tzinfo else None

    def parse_int(self, value: str | None, default: int, low: int, high: int) -> int | None:
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            return None
        return number if low <= number <= high else None

    def window(self, request: web.Request) -> tuple[float, float, int, int] | web.Response:
        q = request.query
        start, end = self.parse_time(q.get("dateTimeFrom")), self.parse_time(q.get("dateTimeTo"))
        limit = self.parse_int(q.get("limit"), 100, 1, 1000)
        offset = self.parse_int(q.get("offset", q.get("offSet")), 0, 0, 10**30)
        if start is None or end is None or limit is None or offset is None:
            return self.bad_input()
        return self.epoch(start), self.epoch(end), limit, offset

    def bad_input(self) -> web.Response:
        return self.error(400, "invalid parameter")

    def epoch(self, when: datetime) -> float:
        return (when - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()

    def in_period(self, calls: list[Call], start: float, end: float) -> list[Call]:
        return [c for c in calls if start <= c.start < end]

    def page(self, items: list[Any], limit: int, offset: int) -> list[Any]:
        return items[offset : offset + limit]

    # -- handlers -------------------------------------------------------------------------------
    async def finished(self, request: web.Request) -> web.Response:
        if not self.authorized(request):
            return self.error(401, "bad key")
        window = self.window(request)
        if isinstance(window, web.Response):
            return window
        start, end, limit, offset = window
        origin = str(request.url.origin())
        calls = self.page(self.in_period(self.all_calls(), start, end), limit, offset)
        return web.json_response([self.render(c, origin) for c in calls])

    async def ongoing_calls(self, request: web.Request) -> web.Response:
        if not self.authorized(request):
            return self.error(401, "bad key")
        origin = str(request.url.origin())
        return web.json_response([self.render(c, origin, live=True) for c in self.ongoing()])

    async def tickets(self, request: web.Request) -> web.Response:
        if not self.authorized(request):
            return self.error(401, "bad key")
        window = self.window(request)
        if isinstance(window, web.Response):
            return window
        start, end, limit, offset = window
        found = [
            {
                "Id": f"t{c.k}",
                "DateAndTime": self.time_text(c.start),
                "ClientPhone": f"7925{c.k:07d}",
            }
            for c in self.in_period(self.history[::12], start, end)
        ]
        return web.json_response(self.page(found, limit, offset))

    async def recording(self, request: web.Request) -> web.StreamResponse:
        k = int(request.match_info["k"])
        calls = [c for c in self.all_calls() if c.k == k]
        if not calls or request.match_info["token"] != self.token(calls[0]):
            return self.error(404, "no such recording")
        return web.Response(body=WAV, content_type="audio/wav")

    async def body(self, request: web.Request) -> dict[str, Any] | None:
        try:
            body = await request.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    async def post_time_table(self, request: web.Request) -> web.Response:
        if not self.authorized(request):
            return self.error(401, "bad key")
        body = await self.body(request)
        names = ("Doctors", "Branches", "Intervals")
        if body is None or not all(isinstance(body.get(k), list) for k in names):
            return self.bad_input()
        self.timetable = body
        return web.json_response({})

    def place_callback(self, phone: str) -> Call:
        call = Call(200_000 + len(self.callbacks), self.now(), 3, LIVE_LENGTH, False, phone)
        self.callbacks.append(call)
        return call

    async def start_callback(self, request: web.Request) -> web.Response:
        if not self.authorized(request):
            return self.error(401, "bad key")
        body = await self.body(request)
        phone = body.get("ClientPhone") if body else None
        if body is None or not isinstance(phone, str) or not phone.isdigit():
            return self.bad_input()
        if not body.get("EmployeePhone"):
            return self.bad_input()
        call = self.place_callback(phone)
        answer = {"Id": str(call.k), "DateAndTime": self.time_text(call.start)}
        return web.json_response(answer, status=202)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(f"{self.path}/GetFinishedCalls", self.finished)
        app.router.add_get(f"{self.path}/GetOngoingCalls", self.ongoing_calls)
        app.router.add_get(f"{self.path}/GetTickets", self.tickets)
        app.router.add_get("/rec/{k}/{token}.wav", self.recording)
        app.router.add_post(f"{self.path}/PostTimeTable", self.post_time_table)
        app.router.add_post(f"{self.path}/StartCallback", self.start_callback)
        return app

    def period(self) -> tuple[datetime, datetime]:
        """The verifier's period: the whole history."""
        start = datetime.fromtimestamp(self.anchor - HISTORY_DAYS * 86400, TZ)
        return start, datetime.fromtimestamp(self.anchor, TZ)


# -- the catalog: one defect each -------------------------------------------------------------
class IgnoresPeriod(GoodProvider):
    """Returns every call whatever period is asked for."""

    def in_period(self, calls: list[Call], start: float, end: float) -> list[Call]:
        return calls


class EndIsInclusive(GoodProvider):
    """Treats dateTimeTo as inclusive: a call at exactly `to` is returned twice across days."""

    def in_period(self, calls: list[Call], start: float, end: float) -> list[Call]:
        return [c for c in calls if start <= c.start <= end]


class IgnoresOffsetOfPeriod(GoodProvider):
    """Reads the period's wall-clock time as its own local time, ignoring the offset sent."""

    def epoch(self, when: datetime) -> float:
        return super().epoch(when.replace(tzinfo=TZ))


class UnstablePaging(GoodProvider):
    """Orders calls differently on every request (e.g. an unordered database query)."""

    def page(self, items: list[Any], limit: int, offset: int) -> list[Any]:
        shuffled = list(items)
        random.shuffle(shuffled)
        return shuffled[offset : offset + limit]


class OverlappingPages(GoodProvider):
    """Off-by-one paging: each page repeats the last item of the previous one."""

    def page(self, items: list[Any], limit: int, offset: int) -> list[Any]:
        start = max(0, offset - 1)
        return items[start : start + limit]


class ShortPageMidData(GoodProvider):
    """An internal cap of 50 rows: asked for 100 or 1000, answers 50 while more data exists."""

    def page(self, items: list[Any], limit: int, offset: int) -> list[Any]:
        return items[offset : offset + min(limit, 50)]


class OkOnErrors(GoodProvider):
    """Answers invalid parameters with 200 and an empty list."""

    def bad_input(self) -> web.Response:
        return web.json_response([])


class CrashesOnBadInput(GoodProvider):
    """Answers invalid parameters with a 500 (an unhandled exception)."""

    def bad_input(self) -> web.Response:
        return web.Response(status=500, text="Traceback (most recent call last): ...")


class AcceptsAnyKey(GoodProvider):
    """Never checks the integration key."""

    def authorized(self, request: web.Request) -> bool:
        return True


class MissingOffsets(GoodProvider):
    """Renders times as local wall-clock without an offset."""

    def time_text(self, ts: int) -> str:
        return datetime.fromtimestamp(ts, TZ).replace(tzinfo=None).isoformat()


class RecordingsBehindAuth(GoodProvider):
    """Serves recordings only with the integration key (a browser has none)."""

    async def recording(self, request: web.Request) -> web.StreamResponse:
        if not self.authorized(request):
            return self.error(401, "bad key")
        return await super().recording(request)


class GuessableRecordings(GoodProvider):
    """Recording links are just a sequential number."""

    def recording_url(self, call: Call, origin: str) -> str:
        return f"{origin}/rec/{call.k}/{call.k}.wav"

    def token(self, call: Call) -> str:
        return str(call.k)


class IgnoresRecordingSecret(GoodProvider):
    """Links carry a secret, but the server never checks it."""

    async def recording(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=WAV, content_type="audio/wav")


class RecordingIsNotAudio(GoodProvider):
    """The link opens a web page instead of the audio."""

    async def recording(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text="<html>Please log in</html>", content_type="text/html")


class MissingUtm(GoodProvider):
    """Drops the UTM and referrer fields from calls."""

    def render(self, call: Call, origin: str, *, live: bool = False) -> dict[str, Any]:
        body = super().render(call, origin, live=live)
        for name in (
            "UtmSource",
            "UtmMedium",
            "UtmCampaign",
            "UtmTerm",
            "UtmContent",
            "HttpReferer",
        ):
            body.pop(name)
        return body


class UtmAlwaysNull(GoodProvider):
    """Has the UTM fields but never fills them in (call tracking not wired)."""

    def render(self, call: Call, origin: str, *, live: bool = False) -> dict[str, Any]:
        body = super().render(call, origin, live=live)
        return {
            k: (None if k.startswith("Utm") or k == "HttpReferer" else v) for k, v in body.items()
        }


class ReferrerDropped(GoodProvider):
    """Fills UTM tags but loses the HTTP referrer."""

    def render(self, call: Call, origin: str, *, live: bool = False) -> dict[str, Any]:
        return {**super().render(call, origin, live=live), "HttpReferer": None}


class OngoingAlwaysEmpty(GoodProvider):
    """GetOngoingCalls always answers [] (not implemented)."""

    def ongoing(self) -> list[Call]:
        return []


class OngoingNeverForgets(GoodProvider):
    """GetOngoingCalls keeps listing calls for 30 s after they ended (a stale cache)."""

    def ongoing(self) -> list[Call]:
        now = self.now()
        last = (now - self.anchor) // LIVE_STEP
        return [self.live_call(n) for n in range(max(0, last - 44), last + 1)]


class WrongTypes(GoodProvider):
    """Sends WaitInSeconds as a string ("12"), which the schema forbids."""

    def render(self, call: Call, origin: str, *, live: bool = False) -> dict[str, Any]:
        body = super().render(call, origin, live=live)
        return {**body, "WaitInSeconds": str(body["WaitInSeconds"])}


class IgnoresLimit(GoodProvider):
    """Returns everything from `offset` on, whatever `limit` says."""

    def page(self, items: list[Any], limit: int, offset: int) -> list[Any]:
        return items[offset:]


class TicketsNotImplemented(GoodProvider):
    """GetTickets answers 501: leads are reported, call history is not blamed."""

    async def tickets(self, request: web.Request) -> web.Response:
        return self.error(501, "not implemented")


class DuplicateTicketIds(GoodProvider):
    """Numbers leads per page, so Ids repeat across pages (a counter reset per request)."""

    def page(self, items: list[Any], limit: int, offset: int) -> list[Any]:
        window = super().page(items, limit, offset)
        if window and isinstance(window[0], dict) and "ClientPhone" in window[0]:
            return [{**t, "Id": f"t{i}"} for i, t in enumerate(window)]
        return window


class ClampsLimit(GoodProvider):
    """Reading: a limit above 1000 is clamped to 1000 instead of refused."""

    def parse_int(self, value: str | None, default: int, low: int, high: int) -> int | None:
        number = super().parse_int(value, default, low, 10**9)
        return None if number is None or number < low else min(number, high)


class Answers403(GoodProvider):
    """Reading: a missing or wrong key gets 403, not 401."""

    def error(self, status: int, message: str) -> web.Response:
        return super().error(403 if status == 401 else status, message)


class FiltersByEnd(GoodProvider):
    """Reading: the period filters calls by their end (start + wait + talk), not their start."""

    def in_period(self, calls: list[Call], start: float, end: float) -> list[Call]:
        return [c for c in calls if start <= c.end < end]


class OffSetOnly(GoodProvider):
    """Reading: pages follow `offSet` only (as IDAST spells it); `offset` is ignored."""

    def window(self, request: web.Request) -> tuple[float, float, int, int] | web.Response:
        query = {k: v for k, v in request.query.items() if k != "offset"}
        return super().window(request.clone(rel_url=request.rel_url.with_query(query)))


class MissedTalkZero(GoodProvider):
    """Reading: TalkInSeconds is 0, not null, for a call nobody answered."""

    def render(self, call: Call, origin: str, *, live: bool = False) -> dict[str, Any]:
        body = super().render(call, origin, live=live)
        return {**body, "TalkInSeconds": body["TalkInSeconds"] or 0}


class UtcTimes(GoodProvider):
    """Reading: times are rendered in UTC (+00:00) rather than the clinic's offset."""

    def time_text(self, ts: int) -> str:
        return datetime.fromtimestamp(ts, UTC).isoformat()


class OffSetIgnored(GoodProvider):
    """Reads only `offset`: a client sending `offSet` gets the first page forever."""

    def window(self, request: web.Request) -> tuple[float, float, int, int] | web.Response:
        if "offSet" in request.query:
            query = {k: v for k, v in request.query.items() if k != "offSet"}
            request = request.clone(rel_url=request.rel_url.with_query(query))
        return super().window(request)


class TimetableWithoutKey(GoodProvider):
    """Stores a schedule posted without the integration key."""

    def authorized(self, request: web.Request) -> bool:
        return request.method == "POST" or super().authorized(request)


class CallbackNeverPlaced(GoodProvider):
    """Answers 202 to StartCallback but no call ever starts."""

    def place_callback(self, phone: str) -> Call:
        return Call(300_000, self.now(), 0, 0, False, phone)


# name -> (provider, the check that must catch it)
CATALOG: dict[str, tuple[type[GoodProvider], str]] = {
    "ignores_period": (IgnoresPeriod, "period_filter_is_honoured_at_its_edges"),
    "ignores_offset_of_period": (IgnoresOffsetOfPeriod, "period_filter_is_honoured_at_its_edges"),
    "unstable_paging": (UnstablePaging, "pages_are_complete_and_stable"),
    "overlapping_pages": (OverlappingPages, "pages_are_complete_and_stable"),
    "short_page_mid_data": (ShortPageMidData, "a_short_page_ends_the_data"),
    "accepts_any_key": (AcceptsAnyKey, "missing_or_wrong_keys_are_refused"),
    "missing_offsets": (MissingOffsets, "times_carry_offsets"),
    "recordings_behind_auth": (
        RecordingsBehindAuth,
        "recording_links_open_without_auth_and_return_audio",
    ),
    "recording_is_not_audio": (
        RecordingIsNotAudio,
        "recording_links_open_without_auth_and_return_audio",
    ),
    "guessable_recordings": (GuessableRecordings, "recording_links_are_unguessable"),
    "ignores_recording_secret": (IgnoresRecordingSecret, "recording_links_are_unguessable"),
    "missing_utm": (MissingUtm, "utm_and_referrer_are_present_on_tracked_calls"),
    "referrer_dropped": (ReferrerDropped, "utm_and_referrer_are_present_on_tracked_calls"),
    "ongoing_always_empty": (
        OngoingAlwaysEmpty,
        "ongoing_calls_appear_while_live_and_disappear_after",
    ),
    "ongoing_never_forgets": (
        OngoingNeverForgets,
        "ongoing_calls_appear_while_live_and_disappear_after",
    ),
    "duplicate_ticket_ids": (DuplicateTicketIds, "ticket_ids_are_unique_and_stable"),
    "ignores_limit": (IgnoresLimit, "pages_are_complete_and_stable"),
}
# schema-level defects: a warning the provider is asked to fix; the run still passes
WARNED_CATALOG: dict[str, tuple[type[GoodProvider], str]] = {
    "ok_on_errors": (OkOnErrors, "bad_requests_are_refused_with_4xx"),
    "crashes_on_bad_input": (CrashesOnBadInput, "bad_requests_are_refused_with_4xx"),
}
# correct providers reading an open point differently: name -> (provider, the finding)
READINGS_CATALOG: dict[str, tuple[type[GoodProvider], str]] = {
    "to_inclusive": (EndIsInclusive, "find.period_start_inclusive"),
    "filters_by_end": (FiltersByEnd, "find.period_end_exclusive"),
    # fewer than 1000 calls: a clamp and a larger maximum look the same, and both are fine
    "limit_clamped": (ClampsLimit, "find.limit_accepted"),
    "limit_refused": (GoodProvider, "find.limit_refused"),
    "auth_401": (GoodProvider, "find.auth_status"),
    "auth_403": (Answers403, "find.auth_status"),
    "offset_only": (OffSetIgnored, "find.offset_offset"),
    "offset_camel_only": (OffSetOnly, "find.offset_offSet"),
    "offset_both": (GoodProvider, "find.offset_both"),
    "missed_talk_null": (GoodProvider, "find.missed_talk"),
    "missed_talk_zero": (MissedTalkZero, "find.missed_talk"),
    "times_in_utc": (UtcTimes, "find.times_offset"),
}
# features the provider does not offer: name -> (provider, the check that says "not offered")
ABSENT_CATALOG: dict[str, tuple[type[GoodProvider], str]] = {
    "utm_always_null": (UtmAlwaysNull, "utm_and_referrer_are_present_on_tracked_calls"),
    "tickets_not_implemented": (TicketsNotImplemented, "ticket_ids_are_unique_and_stable"),
}
# optional features: name -> (provider, the optional check that must not pass)
OPTIONAL_CATALOG: dict[str, tuple[type[GoodProvider], str]] = {
    "timetable_without_key": (TimetableWithoutKey, "timetable_is_accepted"),
    "callback_never_placed": (
        CallbackNeverPlaced,
        "callback_places_a_call_listed_as_current",
    ),
}
# defects that Schemathesis conformance sees: name -> (provider, conformance result id);
# invalid requests accepted are schema-level (a warning), wrong answers fail
CONFORMANCE_CATALOG: dict[str, tuple[type[GoodProvider], str]] = {
    "wrong_types": (WrongTypes, "conformance:GetFinishedCalls"),
    "crashes_on_bad_input": (CrashesOnBadInput, "conformance:GetFinishedCalls"),
    "missing_offsets": (MissingOffsets, "conformance:GetFinishedCalls"),
}
CONFORMANCE_WARNED: dict[str, tuple[type[GoodProvider], str]] = {
    "ok_on_errors": (OkOnErrors, "conformance:GetFinishedCalls"),
}
BROKEN = sorted(
    {
        cls
        for cls, _ in [
            *CATALOG.values(),
            *CONFORMANCE_CATALOG.values(),
            *OPTIONAL_CATALOG.values(),
            *WARNED_CATALOG.values(),
            *CONFORMANCE_WARNED.values(),
        ]
    },
    key=lambda c: c.__name__,
)
