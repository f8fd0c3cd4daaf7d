"""The reports on hand-made data: a SQLite cache, a scripted provider for today, a fixed clock.

Each test states a rule from the report modules' docstrings and builds the
smallest data that shows it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from sqlalchemy import select

from adapter.clinic_data import parse_document
from adapter.model import CallRecord, Direction, LiveCall
from adapter.providers.base import AccountInfo, CallbackRequest, CallbackResult, Capability
from adapter.reports import ReportContext, ad_channels, admin_conversion, contact_history
from adapter.reports.admin_conversion import pct
from adapter.reports.base import Report, period_of
from adapter.reports.render import render
from adapter.store import SqlStore
from adapter.store.clinic import CallComment, ClinicStore
from adapter.store.schema import call_days

MSK = ZoneInfo("Europe/Moscow")
TODAY = date(2026, 5, 14)
NOW = datetime(2026, 5, 14, 15, 0, tzinfo=MSK)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """`day` days before today (0 = today), at hour:minute Moscow time."""
    d = TODAY - timedelta(days=day)
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=MSK)


def call(cid: str, when: datetime, phone: str, **kw: Any) -> CallRecord:
    base: dict[str, Any] = {
        "provider": "fake", "provider_call_id": cid, "account": "fake:1", "started_at": when,
        "direction": Direction.IN, "contact_number": phone, "answered": True,
        "wait_seconds": 5, "talk_seconds": 60, "employee_id": "1", "employee_name": "Anna",
        "virtual_number": "+74950000000",
    }  # fmt: skip
    base.update(kw)
    return CallRecord(**base)


class FixedClock:
    async def now(self) -> datetime:
        return NOW

    async def sleep_until(self, when: datetime) -> None:  # pragma: no cover
        return None


class FakeSource:
    """History from `calls`, each page repeated once (rows may repeat across pages)."""

    name = "fake"
    capabilities = frozenset({Capability.HISTORY})
    max_window = timedelta(days=90)

    def __init__(self, calls: list[CallRecord]) -> None:
        self.calls = calls
        self.asked: list[tuple[datetime, datetime]] = []

    async def account(self) -> AccountInfo:
        return AccountInfo("fake:1", "Fake", MSK)

    async def history(self, start: datetime, end: datetime) -> AsyncIterator[list[CallRecord]]:
        self.asked.append((start, end))
        rows = [c for c in self.calls if start <= c.started_at < end]
        yield rows
        yield rows  # a duplicate page: the report must not count it twice

    async def current_calls(self) -> list[LiveCall]:  # pragma: no cover
        return []

    async def callback(self, request: CallbackRequest) -> CallbackResult:  # pragma: no cover
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


DOC: dict[str, Any] = {
    "timezone": "Europe/Moscow",
    "administrators": [{"id": 1, "name": "Anna", "sip_lines": ["101"]},
                       {"id": 2, "name": "Olga", "sip_lines": ["102"]}],
    "doctors": [{"id": 9, "name": "Dr. Who"}],
    "channels": [
        {"key": "yandex", "utm_source": "yandex", "utm_medium": "cpc", "utm_campaign": "imp",
         "spend_per_day": 1000, "numbers": []},
        {"key": "billboard", "utm_source": "billboard", "utm_medium": "offline",
         "utm_campaign": None, "spend_per_day": 500, "numbers": ["74950000001"]},
    ],
    "ad_spend": [{"date": (TODAY - timedelta(days=d)).isoformat(), "channel": c, "amount": a}
                 for d in range(3) for c, a in (("yandex", 1000), ("billboard", 500))],
    "patients": [
        {"id": "base", "name": "Base Patient", "phone": "79160000001", "since": None,
         "prior": {"visits": 2, "completed": 1, "sum": 3000, "last_visit": "2026-01-01"}},
        {"id": "new1", "name": "New One", "phone": "79160000002", "since": "2026-05-13"},
    ],
    "comments": [
        {"call_id": "c2", "call_start": at(1, 10).isoformat(), "administrator_id": 2,
         "call_type": "Новый клиент. Хочет записаться", "topic": "Имплантация"},
    ],
    "appointments": [
        {"id": "a1", "patient_id": "new1", "administrator_id": 2, "call_id": "c2",
         "booked_at": at(1, 10, 5).isoformat(), "planned_at": at(0, 9).isoformat()},
    ],
    "visits": [{"id": "v1", "patient_id": "new1", "doctor_id": 9, "start": at(0, 9).isoformat(),
                "sum": 7000, "completed": True, "appointment_id": "a1"}],
}  # fmt: skip

CACHED = [
    # yesterday: a new caller (c1, missed, yandex), then the same number answered by Anna
    # with Olga's comment (c2) who books: the booking belongs to c2 and to Olga
    call("c1", at(1, 9), "+79160000002", answered=False, employee_id=None, talk_seconds=0,
         utm_source="yandex", utm_medium="cpc", utm_campaign="imp"),
    call("c2", at(1, 10), "+79160000002", utm_source="yandex", utm_medium="cpc",
         utm_campaign="imp"),
    # a base patient on the billboard number, with UTM tags of another campaign
    call("c3", at(2, 11), "+79160000001", virtual_number="+74950000001", utm_source="vk",
         utm_medium="social", utm_campaign="x"),
    call("c4", at(2, 12), "+79160000009", referrer="https://maps.example/"),
    call("c5", at(2, 13), "+79160000008", utm_source="tiktok", utm_medium="social",
         utm_campaign="promo"),
]  # fmt: skip
TODAYS = [
    call("t1", at(0, 9), "+79160000007", answered=False, employee_id=None, talk_seconds=0),
    call("t2", at(0, 9, 30), "+79160000007", direction=Direction.OUT, employee_id="2"),
    call("t3", at(0, 11), "+79160000006", answered=False, employee_id=None, talk_seconds=0),
]  # fmt: skip


@pytest.fixture
def ctx(store_url: str) -> Iterator[ReportContext]:
    """The same data in SQLite and in PostgreSQL (see tests/adapter/conftest.py)."""
    store = SqlStore(store_url)
    store.upsert(CACHED, MSK)
    ClinicStore(store.engine).replace(
        parse_document(orjson.loads(orjson.dumps(DOC)), provider="fake")
    )
    yield ReportContext(store, FixedClock(), FakeSource(TODAYS), MSK)
    store.close()


def run(coro: Any) -> Report:
    return asyncio.run(coro)  # type: ignore[no-any-return]


def both() -> Any:
    return period_of(TODAY - timedelta(days=2), TODAY, MSK)


class TestSources:
    def test_today_comes_from_the_provider_once(self, ctx: ReportContext) -> None:
        report = run(contact_history(ctx, both()))
        assert report.sources.cache_until == at(0, 0)
        assert report.sources.live_from == at(0, 0)
        assert (report.sources.cache_calls, report.sources.live_calls) == (5, 3)
        assert report.totals["calls"] == 8

    def test_lagging_cache_is_topped_up_from_the_provider(self, ctx: ReportContext) -> None:
        """Sync state says days before yesterday are cached: yesterday comes live too."""
        store = ctx.store
        first = TODAY - timedelta(days=3)
        run_id = store.begin_run("fake:1", "fake", "Europe/Moscow", NOW, first, TODAY)
        store.finish_run(
            run_id, NOW, status="ok", days=1, calls=0, loaded_until=TODAY - timedelta(days=1)
        )
        source = FakeSource(CACHED + TODAYS)
        ctx.source = source
        report = run(contact_history(ctx, both()))
        assert report.sources.cache_until == at(1, 0)
        assert source.asked[0][0] == at(1, 0)
        assert report.totals["calls"] == 8  # yesterday's two calls are not counted twice

    def test_without_provider_says_today_is_missing(self, ctx: ReportContext) -> None:
        ctx.source = None
        report = run(contact_history(ctx, both()))
        assert report.sources.live_from is None
        assert report.totals["calls"] == 5
        assert "not included" in report.sources.notes[0]


class TestAdChannels:
    def test_channel_rules(self, ctx: ReportContext) -> None:
        report = run(ad_channels(ctx, both()))
        rows = {r["channel"]: r for r in report.rows}
        assert rows["yandex"]["calls"] == 2  # rule 2: the configured UTM tags
        assert rows["yandex"]["unique_callers"] == 1
        assert rows["billboard"]["calls"] == 1  # rule 1: the static number beats UTM
        assert (rows["billboard"]["source"], rows["billboard"]["medium"]) == (
            "billboard",
            "offline",
        )
        assert rows["other"]["source"] == "tiktok"  # rule 3
        assert rows["referral"]["calls"] == 1  # rule 4
        assert rows["direct"]["calls"] == 2  # rule 5: the two incoming calls today

    def test_bookings_money_and_costs(self, ctx: ReportContext) -> None:
        row = next(r for r in run(ad_channels(ctx, both())).rows if r["channel"] == "yandex")
        assert (row["booked"], row["visited"], row["new_patients"]) == (1, 1, 1)
        assert row["revenue"] == 7000.0
        assert row["spend"] == 3000.0
        assert row["cost_per_call"] == 1500.0
        assert row["cost_per_patient"] == 3000.0
        assert row["roi_pct"] == 133.3

    def test_channel_without_calls_keeps_its_spend(self, ctx: ReportContext) -> None:
        report = run(ad_channels(ctx, period_of(TODAY, TODAY, MSK)))
        row = next(r for r in report.rows if r["channel"] == "billboard")
        assert (row["calls"], row["spend"], row["cost_per_call"]) == (0, 500.0, None)


class TestAdminConversion:
    def test_comment_author_took_the_call_and_the_booking(self, ctx: ReportContext) -> None:
        report = run(admin_conversion(ctx, both()))
        rows = {r["employee_id"]: r for r in report.rows}
        assert rows["2"] == {"employee_id": "2", "employee": "Olga", "incoming_new": 1,
                             "answered": 1, "booked": 1, "visited": 1,
                             "conversion_pct": 100.0}  # fmt: skip
        assert rows["1"]["incoming_new"] == 2  # c4 and c5; c3 is a base patient
        assert rows[None]["incoming_new"] == 3  # missed: c1, t1, t3
        assert report.totals["conversion_pct"] == pct(1, 6)

    def test_booking_window_excludes_late_bookings(self, ctx: ReportContext) -> None:
        report = run(admin_conversion(ctx, both(), booking_days=0))
        assert next(r for r in report.rows if r["employee_id"] == "2")["booked"] == 0

    def test_pct__rounds_half_up(self) -> None:
        assert pct(1, 8) == 12.5
        assert pct(1, 3) == 33.3
        assert pct(2, 3) == 66.7
        assert pct(0, 0) is None


class TestContactHistory:
    def test_missed_call_called_back_and_communications(self, ctx: ReportContext) -> None:
        report = run(contact_history(ctx, both(), phone="8 916 000-00-07"))
        assert [r["status"] for r in report.rows] == ["missed", "answered"]
        assert report.rows[0]["called_back"] is True
        assert report.rows[1]["called_back"] is None  # not a missed incoming call
        assert report.totals["communications"] == 1  # one person, one day

    def test_not_called_back(self, ctx: ReportContext) -> None:
        report = run(contact_history(ctx, both(), phone="+79160000006"))
        assert report.rows[0]["called_back"] is False

    def test_patient_rows_carry_comment_and_name(self, ctx: ReportContext) -> None:
        report = run(contact_history(ctx, both(), patient="new1"))
        assert [r["provider_call_id"] for r in report.rows] == ["c1", "c2"]
        assert report.rows[1]["comment"] == "Новый клиент. Хочет записаться / Имплантация"
        assert report.rows[1]["employee"] == "Olga"
        assert report.rows[1]["patient"] == "New One"
        assert report.totals["communications"] == 1


class TestRender:
    def test_json_shape(self, ctx: ReportContext) -> None:
        doc = orjson.loads(render(run(ad_channels(ctx, both())), "json"))
        assert list(doc)[:5] == ["report", "period", "sources", "rows", "totals"]
        assert doc["period"] == {"from": "2026-05-12", "to": "2026-05-14"}
        assert set(doc["rows"][0]) >= {"channel", "source", "medium", "campaign", "calls",
                                       "unique_callers", "new_patients", "booked", "visited",
                                       "revenue"}  # fmt: skip

    def test_csv_has_the_issue_columns(self, ctx: ReportContext) -> None:
        body = render(run(contact_history(ctx, both())), "csv")
        assert body.splitlines()[0] == (
            "time,direction,phone,patient,employee,wait_s,talk_s,status,called_back,comment,"
            "recording_url"
        )
        assert len(body.splitlines()) == 9

    def test_html_is_self_contained_with_charts(self, ctx: ReportContext) -> None:
        body = render(run(ad_channels(ctx, both())), "html", "en")
        assert body.count("<svg") == 2
        assert "<script" not in body
        assert "src=" not in body
        assert "Revenue against ad spend" in body

    def test_table_names_the_sources(self, ctx: ReportContext) -> None:
        body = render(run(admin_conversion(ctx, both())), "table")
        assert "Administrator conversion" in body
        assert "provider: 3 call(s)" in body


class TestRollups:
    """The daily rollups give exactly what the calls give, and notice changes."""

    def _both_ways(self, ctx: ReportContext, build: Any) -> tuple[Any, Any]:
        ctx.use_rollups = False
        direct = run(build(ctx, both())).as_json()
        ctx.use_rollups = True
        return direct, run(build(ctx, both())).as_json()

    @pytest.mark.parametrize("build", [ad_channels, admin_conversion])
    def test_rollup__equals_the_calls(self, ctx: ReportContext, build: Any) -> None:
        direct, cold = self._both_ways(ctx, build)
        warm = run(build(ctx, both())).as_json()
        assert cold["rows"] == direct["rows"]
        assert warm["rows"] == direct["rows"]
        assert warm["totals"] == direct["totals"]

    def test_rollup__saved_comment_is_seen(self, ctx: ReportContext) -> None:
        run(admin_conversion(ctx, both()))  # builds the rollups
        note = CallComment("fake", "c4", "Новый клиент", "Цены", author="2")
        ClinicStore(ctx.store.engine).save_comment(note, now=NOW)
        rows = {r["employee_id"]: r for r in run(admin_conversion(ctx, both())).rows}
        assert rows["1"]["incoming_new"] == 1  # c4 now belongs to Olga
        assert rows["2"]["incoming_new"] == 2

    def test_rollup__reloaded_day_is_rebuilt(self, ctx: ReportContext) -> None:
        run(ad_channels(ctx, both()))
        extra = call("c6", at(2, 14), "+79160000005", utm_source="tiktok", utm_medium="social",
                     utm_campaign="promo")  # fmt: skip
        ctx.store.replace_day("fake:1", (TODAY - timedelta(days=2)), MSK, [*CACHED[2:], extra])
        rows = {r["channel"]: r for r in run(ad_channels(ctx, both())).rows}
        assert rows["other"]["calls"] == 2
        assert rows["other"]["unique_callers"] == 2

    @pytest.mark.parametrize("build", [ad_channels, admin_conversion])
    def test_rollup__cache_calls_equals_the_calls(self, ctx: ReportContext, build: Any) -> None:
        """`sources.cache_calls` from the per-day count rollup is the calls' own count."""
        ctx.use_rollups = False
        direct = run(build(ctx, both())).sources.cache_calls
        ctx.use_rollups = True
        cold = run(build(ctx, both())).sources.cache_calls
        warm = run(build(ctx, both())).sources.cache_calls
        assert direct == cold == warm == len(CACHED)

    def test_rollup__upserted_call_moved_to_another_day_is_seen(self, ctx: ReportContext) -> None:
        """An upsert that moves a call stamps the day it left as well as the day it joined."""
        day = period_of(TODAY - timedelta(days=2), TODAY - timedelta(days=2), MSK)
        before = {r["channel"]: r for r in run(ad_channels(ctx, day)).rows}
        assert before["other"]["calls"] == 1  # c5, tiktok
        moved = call("c5", at(1, 13), "+79160000008", utm_source="tiktok", utm_medium="social",
                     utm_campaign="promo")  # fmt: skip
        ctx.store.upsert([moved], MSK)
        after = run(ad_channels(ctx, day)).as_json()
        ctx.use_rollups = False
        assert after["rows"] == run(ad_channels(ctx, day)).as_json()["rows"]
        assert "other" not in {r["channel"] for r in after["rows"]}

    def test_store_writes__stamp_their_days(self, ctx: ReportContext) -> None:
        """replace_day and upsert give the days they write a new stamp in `call_days`."""

        def stamps() -> dict[str, str]:
            with ctx.store.engine.connect() as conn:
                rows = conn.execute(select(call_days.c.local_date, call_days.c.stamp))
                return {str(d): s for d, s in rows}

        first = stamps()
        assert set(first) == {str(TODAY - timedelta(days=2)), str(TODAY - timedelta(days=1))}
        ctx.store.replace_day("fake:1", TODAY - timedelta(days=1), MSK, CACHED[:1])
        second = stamps()
        changed = {d for d in first if first[d] != second[d]}
        assert changed == {str(TODAY - timedelta(days=1))}
        ctx.store.upsert(CACHED[2:3], MSK)
        assert stamps()[str(TODAY - timedelta(days=2))] != second[str(TODAY - timedelta(days=2))]
