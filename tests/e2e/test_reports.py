"""The three reports end to end: each equals what the scenario's truth implies, exactly.

Per built-in scenario: a real mockpbx over TCP, `sync` of its history into a
temporary SQLite cache through the UIS face, `import-clinic` of its clinic
truth, then every report for a period inside the cache, inside today and
spanning both, compared with an oracle computed here from
`/_mockpbx/truth/calls` and `/_mockpbx/truth/clinic` alone. The oracle
re-derives each figure from the rules in the report modules' docstrings and
also checks those rules against the truth's own labels (a comment's
`new_caller`, a tracked call's `channel_key`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from click.testing import CliRunner

from adapter.cli import main
from adapter.config import Settings
from adapter.reports import ReportContext, ad_channels, admin_conversion, contact_history
from adapter.reports.base import Report, period_of
from adapter.runtime import open_runtime
from adapter.sync import SyncOptions, run_once
from mockpbx.scenarios.loader import load_scenario
from mockpbx.testing import MockPBXServer

pytestmark = pytest.mark.slow
DAY = 86400
BOOKING_DAYS = 7


# -- the world under test --------------------------------------------------------------
@dataclass
class World:
    pbx: MockPBXServer
    store: str
    calls: list[dict[str, Any]]  # truth calls over the whole history, by now
    clinic: dict[str, Any]
    now: datetime
    today: date
    first: date  # first day of history
    backfill: int  # days the sync cached

    @property
    def settings(self) -> Settings:
        return Settings(provider="uis", store=self.store, mockpbx=self.pbx.url)


def _get(pbx: MockPBXServer, path: str, **params: str) -> Any:
    response = httpx.get(f"{pbx.url}/_mockpbx/{path}", params=params, timeout=120)
    assert response.status_code == 200, response.text
    return orjson.loads(response.content)


async def _sync(settings: Settings, days: int) -> None:
    async with open_runtime(settings) as rt:
        await run_once(rt.source, rt.require_store(), rt.clock, SyncOptions(backfill_days=days))


SCENARIOS = {  # name: (hours to advance into today, backfill days)
    "default": (3, 24),  # backfills shorter than the history: days before the cache too
    "clinic_day": (14, 2),  # its history is one day: all of it cached
    "ad_campaign": (2, 24),
    "midnight": (1, 5),
    "faults": (2, 10),
}


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    name = request.param
    hours, backfill = SCENARIOS[name]
    with MockPBXServer(scenario=load_scenario(name), seed=7) as pbx:
        # the faults scenario's traffic, without its faults: losing no row under faults is
        # the sync's job (tests/e2e/test_sync.py); here the reports must equal the truth
        assert httpx.delete(f"{pbx.url}/_mockpbx/faults", timeout=30).status_code < 300
        pbx.clock.advance(hours * 3600)
        folder = tmp_path_factory.mktemp(name)
        store = f"sqlite:///{folder}/cache.sqlite3"
        settings = Settings(provider="uis", store=store, mockpbx=pbx.url)
        asyncio.run(_sync(settings, backfill))
        clinic = _get(pbx, "truth/clinic")
        (folder / "clinic.json").write_bytes(orjson.dumps(clinic))
        result = CliRunner().invoke(
            main, ["import-clinic", str(folder / "clinic.json"), "--store", store]
        )
        assert result.exit_code == 0, result.output
        calls = _get(pbx, "truth/calls")["calls"]
        now = datetime.fromisoformat(clinic["now"])
        first = datetime.fromisoformat(clinic["from"]).date()
        yield World(pbx, store, calls, clinic, now, now.date(), first, backfill)
        pbx.check_errors()


def periods(w: World) -> dict[str, tuple[date, date]]:
    cached_first = max(w.first, w.today - timedelta(days=min(12, w.backfill)))
    return {
        "cache": (cached_first, w.today - timedelta(days=1)),
        "today": (w.today, w.today),
        "both": (cached_first, w.today),
    }


PERIODS = ("cache", "today", "both")


def run_report(w: World, name: str, first: date, last: date, **options: Any) -> Report:
    async def go() -> Report:
        async with open_runtime(w.settings) as rt:
            ctx = ReportContext(rt.require_store(), rt.clock, rt.source)
            period = period_of(first, last, await ctx.timezone())
            build = {
                "ad-channels": ad_channels,
                "admin-conversion": admin_conversion,
                "contact-history": contact_history,
            }[name]
            return await build(ctx, period, **options)

    return asyncio.run(go())


# -- the oracle: the rules re-derived from truth alone ----------------------------------
def e164(number: str | None) -> str | None:
    return None if not number else "+" + number.lstrip("+")


def ts(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


class Oracle:
    def __init__(self, w: World, first: date, last: date, lookahead: int) -> None:
        tz = w.now.tzinfo
        self.w = w
        self.lo = int(datetime.combine(first, datetime.min.time(), tz).timestamp())
        self.hi = int(
            datetime.combine(last + timedelta(days=1), datetime.min.time(), tz).timestamp()
        )
        self.wend = min(self.hi + lookahead, max(int(w.now.timestamp()), self.lo))
        self.first, self.last = first, last
        self.loaded = [
            c for c in w.calls if c["in_history"] and self.lo <= ts(c["start"]) < self.wend
        ]
        self.inside = [c for c in self.loaded if ts(c["start"]) < self.hi]
        clinic = w.clinic
        self.comments = {str(c["call_id"]): c for c in clinic["comments"]}
        self.people = {
            str(p["id"]): p["name"] for p in clinic["administrators"] + clinic["doctors"]
        }
        starts = {str(c["call_id"]): ts(c["call_start"]) for c in clinic["comments"]}
        created: dict[str, int] = {}
        for a in clinic["appointments"]:  # a patient is one from the start of the booking call
            pid, at = str(a["patient_id"]), starts.get(str(a["call_id"]), ts(a["booked_at"]))
            created[pid] = min(created.get(pid, at), at)
        self.patients: dict[str, list[tuple[str, int | None]]] = {}
        for p in clinic["patients"]:
            at = None if not p["since"] else created[str(p["id"])]
            self.patients.setdefault(e164(p["phone"]) or "", []).append((str(p["id"]), at))

    def new_caller(self, call: dict[str, Any]) -> bool:
        start = ts(call["start"])
        known = self.patients.get(e164(call["contact_number"]) or "", [])
        return not any(at is None or at < start for _, at in known)

    def taker(self, call: dict[str, Any]) -> str | None:
        comment = self.comments.get(str(call["id"]))
        if comment is not None:
            return str(comment["administrator_id"])
        answered = [leg for leg in call["legs"] if leg["role"] == "employee" and leg["answer"]]
        return str(answered[-1]["employee_id"]) if answered else None

    def bookings(self) -> dict[str, list[dict[str, Any]]]:
        """call id -> the appointments attributed to it (calls inside the period only)."""
        out: dict[str, list[dict[str, Any]]] = {}
        span = BOOKING_DAYS * DAY
        by_phone: dict[str | None, list[dict[str, Any]]] = {}
        for c in self.loaded:
            if c["direction"] == "in" and c["answer"] is not None:
                by_phone.setdefault(e164(c["contact_number"]), []).append(c)
        for a in self.w.clinic["appointments"]:
            booked = ts(a["booked_at"])
            if not self.lo <= booked < self.hi + span:
                continue
            candidates = [
                c for c in by_phone.get(e164(a["phone"]), [])
                if booked - span <= ts(c["start"]) <= booked
            ]  # fmt: skip
            if not candidates:
                continue
            best = max(candidates, key=lambda c: (ts(c["start"]), str(c["id"])))
            if ts(best["start"]) < self.hi:
                out.setdefault(str(best["id"]), []).append(a)
        return out

    def visits_of(self, appointment: dict[str, Any]) -> list[dict[str, Any]]:
        return [v for v in self.w.clinic["visits"] if v["appointment_id"] == appointment["id"]]

    def first_appointment(self, patient: Any) -> Any:
        mine = [a for a in self.w.clinic["appointments"] if a["patient_id"] == patient]
        return min(mine, key=lambda a: (ts(a["booked_at"]), str(a["id"])))["id"]

    def is_new_patient(self, appointment: dict[str, Any]) -> bool:
        patient = next(p for p in self.w.clinic["patients"] if p["id"] == appointment["patient_id"])
        return bool(patient["since"]) and self.first_appointment(patient["id"]) == appointment["id"]


def pct(part: int, whole: int) -> float | None:
    if whole == 0:
        return None
    return float((Decimal(100 * part) / whole).quantize(Decimal("0.1"), ROUND_HALF_UP))


# -- admin conversion ------------------------------------------------------------------
def expected_admin_conversion(o: Oracle) -> dict[str | None, dict[str, Any]]:
    rows: dict[str | None, dict[str, Any]] = {
        str(a["id"]): _admin_row() for a in o.w.clinic["administrators"]
    }
    booked = o.bookings()
    for c in o.inside:
        if c["direction"] != "in" or not o.new_caller(c):
            continue
        row = rows.setdefault(o.taker(c), _admin_row())
        row["incoming_new"] += 1
        row["answered"] += c["answer"] is not None
        if str(c["id"]) in booked:
            row["booked"] += 1
            row["visited"] += any(o.visits_of(a) for a in booked[str(c["id"])])
    for row in rows.values():
        row["conversion_pct"] = pct(row["booked"], row["incoming_new"])
    return rows


def _admin_row() -> dict[str, Any]:
    return {"incoming_new": 0, "answered": 0, "booked": 0, "visited": 0}


@pytest.mark.parametrize("which", PERIODS)
def test_admin_conversion__equals_truth(world: World, which: str) -> None:
    first, last = periods(world)[which]
    report = run_report(world, "admin-conversion", first, last, booking_days=BOOKING_DAYS)
    expected = expected_admin_conversion(Oracle(world, first, last, BOOKING_DAYS * DAY))
    got = {r["employee_id"]: {k: v for k, v in r.items() if k not in ("employee_id", "employee")}
           for r in report.rows}  # fmt: skip
    assert differences(got, expected) == []
    assert report.totals["incoming_new"] == sum(r["incoming_new"] for r in expected.values())


# -- ad channels -------------------------------------------------------------------------
def channel_of(call: dict[str, Any], channels: list[dict[str, Any]]) -> tuple[Any, ...]:
    visit = call["visit"] or {}
    tags = tuple(visit.get(k) for k in ("utm_source", "utm_medium", "utm_campaign"))
    number = e164(call["virtual_number"])
    for ch in channels:
        if number in {e164(n) for n in ch["numbers"]}:
            return (ch["key"], ch["utm_source"], ch["utm_medium"], ch["utm_campaign"])
    for ch in channels:
        if ch["utm_source"] and tags == (ch["utm_source"], ch["utm_medium"], ch["utm_campaign"]):
            return (ch["key"], *tags)
    if tags[0]:
        return ("other", *tags)
    if visit.get("referrer"):
        return ("referral", None, "referral", None)
    return ("direct", None, None, None)


def expected_ad_channels(o: Oracle) -> dict[tuple[Any, ...], dict[str, Any]]:
    channels = o.w.clinic["channels"]
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for ch in channels:
        rows[(ch["key"], ch["utm_source"], ch["utm_medium"], ch["utm_campaign"])] = _ad_row()
    by_call = {}
    for c in o.inside:
        if c["direction"] != "in":
            continue
        key = channel_of(c, channels)
        by_call[str(c["id"])] = key
        row = rows.setdefault(key, _ad_row())
        row["calls"] += 1
        row["phones"].add(c["contact_number"])
    for call_id, appointments in o.bookings().items():
        row = rows[by_call[call_id]]
        visits = [v for a in appointments for v in o.visits_of(a)]
        row["booked"] += 1
        row["visited"] += bool(visits)
        row["revenue"] += sum(Decimal(str(v["sum"])) for v in visits)
        row["new"] |= {str(a["patient_id"]) for a in appointments if o.is_new_patient(a)}
    spend: dict[str, Decimal] = {}
    last = min(o.last, o.w.today)
    for s in o.w.clinic["ad_spend"]:
        if o.first <= date.fromisoformat(s["date"]) <= last:
            spend[s["channel"]] = spend.get(s["channel"], Decimal(0)) + Decimal(str(s["amount"]))
    return {key: _ad_finish(row, spend.get(key[0])) for key, row in rows.items()}


def _ad_row() -> dict[str, Any]:
    return {"calls": 0, "phones": set(), "booked": 0, "visited": 0, "revenue": Decimal(0),
            "new": set()}  # fmt: skip


def _q(value: Decimal, places: str) -> float:
    return float(value.quantize(Decimal(places), ROUND_HALF_UP))


def _ad_finish(row: dict[str, Any], spend: Decimal | None) -> dict[str, Any]:
    new = len(row["new"])
    out = {
        "calls": row["calls"], "unique_callers": len(row["phones"]), "new_patients": new,
        "booked": row["booked"], "visited": row["visited"], "revenue": _q(row["revenue"], "0.01"),
        "spend": None if spend is None else _q(spend, "0.01"),
        "cost_per_call": None, "cost_per_patient": None, "roi_pct": None,
    }  # fmt: skip
    if spend is not None:
        out["cost_per_call"] = _q(spend / row["calls"], "0.01") if row["calls"] else None
        out["cost_per_patient"] = _q(spend / new, "0.01") if new else None
        out["roi_pct"] = _q((row["revenue"] - spend) * 100 / spend, "0.1") if spend else None
    return out


@pytest.mark.parametrize("which", PERIODS)
def test_ad_channels__equals_truth(world: World, which: str) -> None:
    first, last = periods(world)[which]
    report = run_report(world, "ad-channels", first, last, booking_days=BOOKING_DAYS)
    expected = expected_ad_channels(Oracle(world, first, last, BOOKING_DAYS * DAY))
    keys = ("channel", "source", "medium", "campaign")
    got = {tuple(r[k] for k in keys): {k: v for k, v in r.items() if k not in keys}
           for r in report.rows}  # fmt: skip
    assert differences(got, expected) == []
    assert report.totals["calls"] == sum(r["calls"] for r in expected.values())


def test_channel_rules__agree_with_the_tracked_channel(world: World) -> None:
    """A call from a web visit or a static number lands in the channel the truth names."""
    channels = world.clinic["channels"]
    tagged = {c["key"] for c in channels if c["utm_source"] or c["numbers"]}
    checked = 0
    for call in world.calls:
        visit = call["visit"]
        if call["direction"] == "in" and visit and visit["channel_key"] in tagged:
            assert channel_of(call, channels)[0] == visit["channel_key"], call["id"]
            checked += 1
    assert checked > 0 or not tagged


def test_new_caller_rule__agrees_with_the_comments(world: World) -> None:
    """The new-caller rule gives what the administrator's comment says, call by call."""
    first = world.first
    o = Oracle(world, first, world.today, 0)
    by_id = {str(c["id"]): c for c in world.calls}
    compared = 0
    for comment in world.clinic["comments"]:
        call = by_id.get(str(comment["call_id"]))
        if call is not None and call["direction"] == "in":
            assert o.new_caller(call) == comment["new_caller"], comment
            compared += 1
    assert compared > 0


# -- contact history ----------------------------------------------------------------------
def expected_history(o: Oracle, hours: int = 24) -> dict[str, dict[str, Any]]:
    tz = o.w.now.tzinfo
    now = int(o.w.now.timestamp())
    outgoing: dict[str, list[int]] = {}
    for c in o.loaded:
        if c["direction"] == "out":
            outgoing.setdefault(c["contact_number"], []).append(ts(c["start"]))
    rows = {}
    for c in o.inside:
        start = ts(c["start"])
        missed_in = c["direction"] == "in" and c["answer"] is None
        back = any(start < t < start + hours * 3600 and t <= now
                   for t in outgoing.get(c["contact_number"], []))  # fmt: skip
        comment = o.comments.get(str(c["id"]))
        local = datetime.fromtimestamp(start, tz)
        rows[str(c["id"])] = {
            "time": local.isoformat(),
            "direction": c["direction"],
            "phone": e164(c["contact_number"]),
            "wait_s": c["wait_seconds"],
            "talk_s": c["talk_seconds"],
            "status": "answered" if c["answer"] is not None else "missed",
            "called_back": back if missed_in else None,
            "comment": f"{comment['call_type']} / {comment['topic']}" if comment else None,
            "has_recording": c["has_recording"],
            "communication": f"{e164(c['contact_number'])} {local.date().isoformat()}",
            "employee": o.people.get(str(comment["administrator_id"])) if comment else "?",
        }
    return rows


def differences(got: dict[Any, Any], expected: dict[Any, Any]) -> list[Any]:
    """(key, field, got, expected) for every difference; missing rows as (key, None, ...)."""
    out: list[Any] = []
    for key in sorted(set(got) | set(expected), key=str):
        a, b = got.get(key), expected.get(key)
        if a is None or b is None:
            out.append((key, None, a, b))
            continue
        out += [
            (key, f, a.get(f), b.get(f)) for f in sorted(set(a) | set(b)) if a.get(f) != b.get(f)
        ]
    return out


def _history_rows(report: Report) -> dict[str, dict[str, Any]]:
    out = {}
    for r in report.rows:
        row = {k: r[k] for k in ("time", "direction", "phone", "wait_s", "talk_s", "status",
                                 "called_back", "comment", "communication")}  # fmt: skip
        row["has_recording"] = r["recording_url"] is not None
        row["employee"] = r["employee"] if r["comment"] else "?"
        out[r["provider_call_id"]] = row
    return out


@pytest.mark.parametrize("which", PERIODS)
def test_contact_history__period_equals_truth(world: World, which: str) -> None:
    first, last = periods(world)[which]
    report = run_report(world, "contact-history", first, last)
    expected = expected_history(Oracle(world, first, last, 24 * 3600))
    assert differences(_history_rows(report), expected) == []
    assert report.totals["communications"] == len({r["communication"] for r in expected.values()})


def test_contact_history__one_patient_across_cache_and_today(world: World) -> None:
    """Every call of the busiest caller, from any line and employee, and one communication a day."""
    first, last = periods(world)["both"]
    o = Oracle(world, first, last, 24 * 3600)
    counts: dict[str, int] = {}
    for c in o.inside:
        counts[c["contact_number"]] = counts.get(c["contact_number"], 0) + 1
    phone = max(sorted(counts), key=lambda p: counts[p])
    report = run_report(world, "contact-history", first, last, phone=phone)
    expected = {k: v for k, v in expected_history(o).items() if v["phone"] == e164(phone)}
    assert differences(_history_rows(report), expected) == []
    days = {v["communication"] for v in expected.values()}
    assert report.totals["communications"] == len(days)


# -- sources and the CLI -------------------------------------------------------------------
def test_sources__say_what_came_from_where(world: World) -> None:
    first, last = periods(world)["both"]
    report = run_report(world, "ad-channels", first, last)
    midnight = datetime.combine(world.today, datetime.min.time(), world.now.tzinfo)
    assert report.sources.cache_until == midnight
    assert report.sources.live_from == midnight
    assert report.sources.cache_synced_at is not None
    inside = Oracle(world, first, last, 0).inside
    assert report.sources.live_calls == sum(ts(c["start"]) >= midnight.timestamp() for c in inside)
    assert report.sources.cache_calls + report.sources.live_calls == len(inside)


def test_sources__cache_only_period_reads_no_provider(world: World) -> None:
    first, last = periods(world)["cache"]
    if (world.today - last).days <= 1:
        report = run_report(world, "contact-history", first, last - timedelta(days=1))
    else:  # pragma: no cover - every scenario here has yesterday cached
        report = run_report(world, "contact-history", first, last)
    assert report.sources.live_from is None or report.sources.live_calls == 0


@pytest.mark.parametrize("world", sorted(n for n in SCENARIOS if n != "clinic_day"), indirect=True)
def test_sources__days_before_the_cache_come_from_the_provider(world: World) -> None:
    """A period that starts before the first synced day is completed from the provider."""
    cache_start = world.today - timedelta(days=world.backfill)
    first = max(world.first, cache_start - timedelta(days=3))
    assert first < cache_start, "the scenario's history must reach before its backfill"
    last = cache_start + timedelta(days=1)
    report = run_report(world, "ad-channels", first, last, booking_days=BOOKING_DAYS)
    expected = expected_ad_channels(Oracle(world, first, last, BOOKING_DAYS * DAY))
    keys = ("channel", "source", "medium", "campaign")
    got = {tuple(r[k] for k in keys): {k: v for k, v in r.items() if k not in keys}
           for r in report.rows}  # fmt: skip
    assert differences(got, expected) == []
    assert report.sources.live_calls > 0
    assert any("not cached" in note for note in report.sources.notes)


@pytest.mark.parametrize("fmt", ["json", "csv", "html", "table"])
def test_cli_report__every_format(world: World, fmt: str, tmp_path: Path) -> None:
    first, last = periods(world)["both"]
    out = tmp_path / f"report.{fmt}"
    args = ["report", "admin-conversion", "--from", str(first), "--to", str(last),
            "--format", fmt, "-o", str(out), "--provider", "uis", "--store", world.store,
            "--mockpbx", world.pbx.url]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    body = out.read_text(encoding="utf-8")
    if fmt == "json":
        doc = orjson.loads(body)
        assert set(doc) >= {"report", "period", "sources", "rows", "totals"}
        assert doc["period"] == {"from": str(first), "to": str(last)}
        assert set(doc["sources"]) >= {"cache_until", "live_from"}
    elif fmt == "csv":
        assert body.splitlines()[0].startswith("employee_id,employee,incoming_new")
    elif fmt == "html":
        assert "<svg" in body
        assert "<table>" in body
        assert "http" not in body.split("<body>")[0]  # self-contained: nothing loaded
    else:
        assert "Administrator conversion" in body


def test_cli_report_prepare__builds_the_daily_rollups(world: World) -> None:
    first, last = periods(world)["cache"]
    args = ["report", "prepare", "--from", str(first), "--to", str(last), "--provider", "uis",
            "--store", world.store, "--mockpbx", world.pbx.url]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    path = world.store.removeprefix("sqlite:///")
    import sqlite3

    with sqlite3.connect(path) as db:
        kinds = {k for (k,) in db.execute("SELECT DISTINCT kind FROM report_rollup_days")}
    assert {"ch", "adm"} <= kinds


def test_cli_contact_history__by_phone_defaults_to_the_cache_plus_today(
    world: World, tmp_path: Path
) -> None:
    """Without --from, one caller's history is the cached days plus today: the provider is
    asked for today only (not for every day since 2000)."""
    phone = next(c["contact_number"] for c in world.calls if c["direction"] == "in")
    out = tmp_path / "history.json"
    before = world.pbx.journal.count(face="uis", method="get.calls_report")
    args = ["report", "contact-history", "--phone", phone, "--format", "json", "-o", str(out),
            "--provider", "uis", "--store", world.store, "--mockpbx", world.pbx.url]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    doc = orjson.loads(out.read_bytes())
    cache_start = max(world.first, world.today - timedelta(days=world.backfill))
    assert date.fromisoformat(doc["period"]["from"]) <= cache_start
    assert doc["period"]["from"] != "2000-01-01"
    assert doc["period"]["to"] == world.today.isoformat()
    asked = world.pbx.journal.count(face="uis", method="get.calls_report") - before
    assert 1 <= asked <= 3
