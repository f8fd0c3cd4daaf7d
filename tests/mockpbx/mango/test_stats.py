"""stats/request -> stats/result (CSV) and stats/calls/request -> stats/calls/result/ (JSON)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mockpbx.providers.mango.ids import mango_entry_id, mango_recording_id
from mockpbx.providers.mango.options import MangoOptions

from .conftest import MangoClient


def _yesterday(mango: MangoClient) -> tuple[int, int]:
    world = mango.state.world
    day = world.today() - timedelta(days=1)
    start = world.day_start(day)
    return start, start + 86399


async def _csv(mango: MangoClient, params: dict[str, Any]) -> tuple[int, str]:
    key = (await mango.json("stats/request", params))["key"]
    resp = await mango.post("stats/result", {"key": key})
    return resp.status, await resp.text()


class TestBasicStats:
    async def test_csv__has_one_row_per_finished_call_in_the_period(
        self, mango: MangoClient
    ) -> None:
        start, end = _yesterday(mango)
        status, body = await _csv(mango, {"date_from": str(start), "date_to": str(end)})
        calls = mango.state.world.history(start, end + 1)
        assert status == 200
        rows = [line.split(";") for line in body.split("\n")]
        assert len(rows) == len(calls) > 10
        assert all(len(r) == 11 for r in rows)  # the default columns
        assert [int(r[1]) for r in rows] == [c.start_ts for c in calls]

    async def test_csv__columns_follow_the_requested_fields(self, mango: MangoClient) -> None:
        start, end = _yesterday(mango)
        fields = "entry_id, start, finish, answer, records, disconnect_reason"
        _, body = await _csv(mango, {"date_from": start, "date_to": end, "fields": fields})
        call = next(c for c in mango.state.world.history(start, end + 1) if c.has_recording)
        row = next(r.split(";") for r in body.split("\n") if r.startswith(mango_entry_id(call.id)))
        assert row == [
            mango_entry_id(call.id),
            str(call.start_ts),
            str(call.end_ts),
            str(call.answer_ts),
            f"[{mango_recording_id(call.id)}]",
            row[5],
        ]
        assert row[5] in {"1110", "1120"}

    async def test_csv__records_without_brackets_and_crlf_when_configured(
        self, mango: MangoClient
    ) -> None:
        mango.state.options["mango"] = MangoOptions(
            csv_records_brackets=False, csv_line_ending="\r\n", rate_limits=False
        )
        start, end = _yesterday(mango)
        _, body = await _csv(mango, {"date_from": start, "date_to": end, "fields": "records"})
        lines = body.split("\r\n")
        assert len(lines) > 1
        assert "[" not in body
        assert "" in lines
        assert any(line.startswith("MTo") for line in lines)

    async def test_csv__rows_per_leg_when_configured(self, mango: MangoClient) -> None:
        """Every leg its own row, sharing the entry_id (clients de-duplicate by it)."""
        mango.state.options["mango"] = MangoOptions(csv_rows="leg")
        start, end = _yesterday(mango)
        fields = "entry_id,start,location"
        _, body = await _csv(mango, {"date_from": start, "date_to": end, "fields": fields})
        rows = [r.split(";") for r in body.split("\n")]
        calls = mango.state.world.history(start, end + 1)
        assert len(rows) > len(calls)
        assert len({r[0] for r in rows}) == len(calls)
        assert {r[2] for r in rows} == {"ivr", "abonent"}

    async def test_csv__fields_as_a_json_array(self, mango: MangoClient) -> None:
        """The 2017 doc passes `fields` as an array of names."""
        start, end = _yesterday(mango)
        _, body = await _csv(mango, {"date_from": start, "date_to": end, "fields": ["start"]})
        assert all(line.isdigit() for line in body.split("\n"))

    async def test_fields__cyrillic_create_is_accepted(self, mango: MangoClient) -> None:
        """The v1.9 doc prints the field name with a Cyrillic «с»."""
        start, end = _yesterday(mango)
        params = {"date_from": start, "date_to": end, "fields": "\u0441reate,start"}
        _, body = await _csv(mango, params)
        first = body.split("\n")[0].split(";")
        assert first[0] == first[1]

    async def test_filter__call_party_extension(self, mango: MangoClient) -> None:
        start, end = _yesterday(mango)
        ext = mango.state.world.employees[0].extension
        params = {
            "date_from": start,
            "date_to": end,
            "fields": "from_extension,to_extension",
            "call_party": {"extension": ext},
        }
        _, body = await _csv(mango, params)
        rows = [line.split(";") for line in body.split("\n")]
        assert rows
        assert all(ext in r for r in rows)

    async def test_filter__from_number_and_to_extension(self, mango: MangoClient) -> None:
        mango.state.options["mango"] = MangoOptions(rate_limits=False)
        start, end = _yesterday(mango)
        fields = "from_number,to_extension"
        _, body = await _csv(mango, {"date_from": start, "date_to": end, "fields": fields})
        number, ext = next(r.split(";") for r in body.split("\n") if r.split(";")[1])
        base = {"date_from": start, "date_to": end, "fields": fields}
        _, by_from = await _csv(mango, {**base, "from": {"number": number}})
        _, by_to = await _csv(mango, {**base, "to": {"extension": ext}})
        assert {r.split(";")[0] for r in by_from.split("\n")} == {number}
        assert {r.split(";")[1] for r in by_to.split("\n")} == {ext}
        assert len(by_to.split("\n")) < len(body.split("\n"))

    async def test_filter__empty_from_and_to_match_everything(self, mango: MangoClient) -> None:
        """The official PHP example sends empty from/to objects."""
        mango.state.options["mango"] = MangoOptions(rate_limits=False)
        start, end = _yesterday(mango)
        empty = {"extension": "", "number": ""}
        _, all_rows = await _csv(mango, {"date_from": start, "date_to": end})
        _, filtered = await _csv(
            mango, {"date_from": start, "date_to": end, "from": empty, "to": empty}
        )
        assert filtered == all_rows

    async def test_filter__call_party_with_from_is_3100(self, mango: MangoClient) -> None:
        start, end = _yesterday(mango)
        params = {
            "date_from": start,
            "date_to": end,
            "from": {"extension": "101"},
            "call_party": {"number": "79160000000"},
        }
        resp = await mango.post("stats/request", params)
        assert (await resp.json())["result"] == 3100

    async def test_period_over_a_month__is_3111(self, mango: MangoClient) -> None:
        start, _ = _yesterday(mango)
        resp = await mango.post(
            "stats/request", {"date_from": start - 40 * 86400, "date_to": start}
        )
        assert (await resp.json())["result"] == 3111

    async def test_unknown_field__is_3104(self, mango: MangoClient) -> None:
        start, end = _yesterday(mango)
        resp = await mango.post(
            "stats/request", {"date_from": start, "date_to": end, "fields": "x"}
        )
        assert (await resp.json())["result"] == 3104

    async def test_result__is_204_until_ready_by_the_virtual_clock(
        self, mango: MangoClient
    ) -> None:
        mango.state.options["mango"] = MangoOptions(stats_ready_after=30, rate_limits=False)
        start, end = _yesterday(mango)
        key = (await mango.json("stats/request", {"date_from": start, "date_to": end}))["key"]
        assert (await mango.post("stats/result", {"key": key})).status == 204
        mango.advance(29)
        assert (await mango.post("stats/result", {"key": key})).status == 204
        mango.advance(1)
        resp = await mango.post("stats/result", {"key": key})
        assert resp.status == 200
        assert resp.content_type == "text/plain"

    async def test_result__not_ready_polls(self, mango: MangoClient) -> None:
        mango.state.options["mango"] = MangoOptions(stats_not_ready_polls=2)
        start, end = _yesterday(mango)
        key = (await mango.json("stats/request", {"date_from": start, "date_to": end}))["key"]
        statuses = [(await mango.post("stats/result", {"key": key})).status for _ in range(3)]
        assert statuses == [204, 204, 200]

    async def test_result__unknown_key_is_404(self, mango: MangoClient) -> None:
        resp = await mango.post("stats/result", {"key": "B+DvIt8hPJReV8v4MYspQQA=="})
        assert resp.status == 404

    async def test_result__expired_key_is_404(self, mango: MangoClient) -> None:
        start, end = _yesterday(mango)
        key = (await mango.json("stats/request", {"date_from": start, "date_to": end}))["key"]
        mango.advance(3601)
        assert (await mango.post("stats/result", {"key": key})).status == 404

    async def test_result__is_history_as_it_stood_at_the_request(self, mango: MangoClient) -> None:
        """Calls that end after the request are not in its result, even polled later."""
        now = mango.state.world.now()
        key = (await mango.json("stats/request", {"date_from": now - 3600, "date_to": now + 7200}))[
            "key"
        ]
        mango.advance(7200)
        body = await (await mango.post("stats/result", {"key": key})).text()
        rows = [r for r in body.split("\n") if r]
        assert all(int(r.split(";")[2]) <= now for r in rows)


class TestExtendedStats:
    @staticmethod
    def _dates(mango: MangoClient, days: int = 2) -> dict[str, str]:
        world = mango.state.world
        first = world.today() - timedelta(days=days)
        last = world.today() - timedelta(days=1)
        return {
            "start_date": first.strftime("%d.%m.%Y 00:00:00"),
            "end_date": last.strftime("%d.%m.%Y 23:59:59"),
        }

    async def _result(self, mango: MangoClient, params: dict[str, Any]) -> dict[str, Any]:
        key = (await mango.json("stats/calls/request", params))["key"]
        body: dict[str, Any] = await mango.json("stats/calls/result/", {"key": key})
        return body

    async def test_result__one_chunk_per_day_with_totals(self, mango: MangoClient) -> None:
        params = {**self._dates(mango), "limit": "1000", "offset": "0"}
        body = await self._result(mango, params)
        world = mango.state.world
        assert body["result"] == 1000
        assert body["status"] == "complete"
        days = [(world.today() - timedelta(days=d)).isoformat() for d in (2, 1)]
        assert [c["period"] for c in body["data"]] == days
        for chunk in body["data"]:
            start = world.day_start(datetime.fromisoformat(chunk["period"]).date())
            calls = world.history(start, start + 86400)
            assert chunk["total_calls_count"] == len(calls) == len(chunk["list"])
            assert chunk["total_talks_duration"] == sum(c.talk_duration for c in calls)

    async def test_item__details_every_leg(self, mango: MangoClient) -> None:
        body = await self._result(mango, {**self._dates(mango), "limit": 1000, "offset": 0})
        items = [i for c in body["data"] for i in c["list"]]
        answered_in = next(i for i in items if i["context_type"] == 1 and i["context_status"] == 1)
        group = answered_in["context_calls"][0]
        assert group["call_type"] == "group"
        assert group["members"], "the employees rung are the group's members"
        talker = next(m for m in group["members"] if m["call_answer_time"] is not None)
        assert talker["call_type"] == "user"
        assert talker["external_call_id"].startswith("MTo")
        assert talker["call_abonent_id"] in {e.mango_user_id for e in mango.state.world.employees}
        assert talker["recording_id"] == group["recording_id"]
        outgoing = next(i for i in items if i["context_type"] == 2)
        assert outgoing["caller_id"] is not None
        assert outgoing["context_calls"][0]["call_type"] == "number"

    async def test_paging__limit_and_offset(self, mango: MangoClient) -> None:
        mango.state.options["mango"] = MangoOptions(rate_limits=False)
        dates = self._dates(mango)
        whole = await self._result(mango, {**dates, "limit": 1000, "offset": 0})
        page = await self._result(mango, {**dates, "limit": 5, "offset": 5})
        flat = [i["entry_id"] for c in whole["data"] for i in c["list"]]
        assert [i["entry_id"] for c in page["data"] for i in c["list"]] == flat[5:10]

    async def test_filters__context_type_and_status(self, mango: MangoClient) -> None:
        params = {**self._dates(mango), "limit": 1000, "offset": 0}
        body = await self._result(mango, {**params, "context_type": [1], "context_status": 0})
        items = [i for c in body["data"] for i in c["list"]]
        assert items
        assert {(i["context_type"], i["context_status"]) for i in items} == {(1, 0)}

    async def test_iso_dates__are_3104(self, mango: MangoClient) -> None:
        resp = await mango.post(
            "stats/calls/request",
            {"start_date": "2026-05-01", "end_date": "2026-05-02", "limit": 100, "offset": 0},
        )
        assert (await resp.json())["result"] == 3104

    async def test_thirty_days__is_3111(self, mango: MangoClient) -> None:
        """N8N's live check: exactly 30 days is refused."""
        params = {
            "start_date": "01.04.2026 00:00:00",
            "end_date": "01.05.2026 00:00:00",
            "limit": 100,
            "offset": 0,
        }
        assert (await (await mango.post("stats/calls/request", params)).json())["result"] == 3111

    async def test_bad_limit__is_3104(self, mango: MangoClient) -> None:
        resp = await mango.post(
            "stats/calls/request", {**self._dates(mango), "limit": 7, "offset": 0}
        )
        assert (await resp.json())["result"] == 3104

    async def test_status__work_then_complete(self, mango: MangoClient) -> None:
        mango.state.options["mango"] = MangoOptions(stats_calls_work_polls=1)
        key = (
            await mango.json(
                "stats/calls/request", {**self._dates(mango), "limit": 10, "offset": 0}
            )
        )["key"]
        first = await mango.json("stats/calls/result", {"key": key})
        second = await mango.json("stats/calls/result", {"key": key})
        assert (first["status"], first["data"]) == ("work", [])
        assert second["status"] == "complete"

    @staticmethod
    def _future(mango: MangoClient) -> dict[str, Any]:
        """Tomorrow (the clock is frozen): a window without a single call."""
        day = mango.state.world.today() + timedelta(days=1)
        return {
            "start_date": day.strftime("%d.%m.%Y 00:00:00"),
            "end_date": day.strftime("%d.%m.%Y 23:59:59"),
            "limit": 100,
            "offset": 0,
        }

    async def test_no_calls__no_days_by_default(self, mango: MangoClient) -> None:
        body = await self._result(mango, self._future(mango))
        assert (body["status"], body["data"]) == ("complete", [])

    async def test_no_calls__one_empty_day_when_configured(self, mango: MangoClient) -> None:
        mango.state.options["mango"] = MangoOptions(stats_calls_empty="empty_day")
        body = await self._result(mango, self._future(mango))
        day = (mango.state.world.today() + timedelta(days=1)).isoformat()
        assert body["status"] == "complete"
        assert body["data"] == [
            {
                "list": [],
                "period": day,
                "total_talks_duration": 0,
                "total_calls_duration": 0,
                "total_calls_count": 0,
            }
        ]

    async def test_no_calls__empty_day_is_shaped_like_a_day_with_calls(
        self, mango: MangoClient
    ) -> None:
        mango.state.options["mango"] = MangoOptions(
            stats_calls_empty="empty_day", rate_limits=False
        )
        empty = await self._result(mango, self._future(mango))
        full = await self._result(mango, {**self._dates(mango, 1), "limit": 100, "offset": 0})
        assert full["data"]
        assert list(empty["data"][0]) == list(full["data"][0])

    async def test_no_calls__by_filter_gives_the_empty_day_too(self, mango: MangoClient) -> None:
        mango.state.options["mango"] = MangoOptions(stats_calls_empty="empty_day")
        params = {**self._dates(mango, 1), "limit": 100, "offset": 0, "search_string": "0000000000"}
        body = await self._result(mango, params)
        assert [(c["list"], c["total_calls_count"]) for c in body["data"]] == [([], 0)]

    async def test_page_past_the_last_call__stays_empty(self, mango: MangoClient) -> None:
        """The window has calls, so a page past them is `[]` either way (paging ends there)."""
        mango.state.options["mango"] = MangoOptions(stats_calls_empty="empty_day")
        body = await self._result(mango, {**self._dates(mango, 1), "limit": 100, "offset": 100_000})
        assert body["data"] == []

    async def test_unknown_key__is_not_found(self, mango: MangoClient) -> None:
        body = await mango.json("stats/calls/result/", {"key": "nope"})
        assert body["status"] == "not-found"


async def test_same_seed__byte_identical_answers(aiohttp_client: Any) -> None:
    """Two servers of the same scenario and seed answer the same key and the same CSV."""
    from mockpbx.app import create_app, create_state
    from mockpbx.testing import DEFAULT_START

    bodies = []
    for _ in range(2):
        state = create_state(seed=9, start=DEFAULT_START, rate=0)
        client = MangoClient(await aiohttp_client(create_app(state)), state)
        start, end = _yesterday(client)
        key = (await client.json("stats/request", {"date_from": start, "date_to": end}))["key"]
        body = await (await client.post("stats/result", {"key": key})).read()
        bodies.append((key, body))
    assert bodies[0] == bodies[1]
