"""Stable paging proves continuity: every row of the list is seen, or the read fails.

Against a scripted UIS over httpx.MockTransport (pages longer than asked, rows
shifting between requests, empty pages, rows arriving behind the reader) and
against bare lists (`stable_pages` itself).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from adapter.errors import ConfigError, ProtocolError
from adapter.providers._http import MAX_REWINDS, stable_pages
from tests.adapter.test_uis_client import MSK, FakeUis, client, collect, ok, row

DAY = (datetime(2026, 5, 13, tzinfo=MSK), datetime(2026, 5, 14, tzinfo=MSK))


def rows_of(n: int) -> list[dict[str, Any]]:
    return [row(i, f"2026-05-13 {10 + i // 60:02d}:{i % 60:02d}:00") for i in range(n)]


def page_rule(fake: FakeUis, cut: Any) -> None:
    """Answer every `get.calls_report` after the first with `cut(rows, offset, limit, n)`."""
    calls = {"n": 0}

    def answer(body: dict[str, Any]) -> httpx.Response | None:
        if body["method"] != "get.calls_report":
            return None
        calls["n"] += 1
        params = body["params"]
        page = cut(fake.rows, params["offset"], params["limit"], calls["n"])
        return ok(body, {"data": page, "metadata": {"total_items": len(fake.rows)}})

    fake.script += [answer] * 500


async def ids(fake: FakeUis, page_size: int) -> list[int]:
    c, _ = client(fake, page_size=page_size)
    return sorted(int(r.provider_call_id) for r in await collect(c, *DAY))


class TestUisPaging:
    @pytest.mark.parametrize("extra", [1, 3, 7])
    async def test_pages_longer_than_asked__skip_no_row(self, extra: int) -> None:
        """The old duplicate_rows fault: each page also carries `extra` rows before its offset."""
        fake = FakeUis(rows_of(103))
        page_rule(fake, lambda rows, o, lim, _n: rows[max(0, o - extra) : o + lim])
        assert await ids(fake, 10) == list(range(103))

    async def test_pages_with_extra_rows_at_the_end__skip_no_row(self) -> None:
        fake = FakeUis(rows_of(57))
        page_rule(fake, lambda rows, o, lim, _n: rows[o : o + lim + 4])
        assert await ids(fake, 10) == list(range(57))

    @pytest.mark.parametrize("shift", [1, 2, 4])
    async def test_rows_shifting_between_requests__skip_no_row(self, shift: int) -> None:
        """The new duplicate_rows fault: pages of `limit` rows served from `shift` rows early."""
        fake = FakeUis(rows_of(88))
        page_rule(
            fake, lambda rows, o, lim, n: rows[max(0, o - shift * (n % 2)) :][:lim]
        )  # every other page shifted
        assert await ids(fake, 10) == list(range(88))

    async def test_an_empty_page_mid_list__is_not_taken_for_the_end(self) -> None:
        """An empty page after a full one cannot end the list: it is asked again."""
        fake = FakeUis(rows_of(45))
        page_rule(fake, lambda rows, o, lim, n: [] if n == 2 else rows[o : o + lim])
        assert await ids(fake, 10) == list(range(45))

    async def test_rows_arriving_behind_the_reader__are_read_on_a_second_pass(self) -> None:
        """total_items grew past what was seen: the list is read again, nothing is lost."""
        fake = FakeUis(rows_of(30))
        late = row(1000, "2026-05-13 10:00:30")

        def cut(rows: list[dict[str, Any]], o: int, lim: int, n: int) -> list[dict[str, Any]]:
            if n == 3:  # a call reaches history between our pages, before our position
                rows.insert(1, late)
            return rows[o : o + lim]

        page_rule(fake, cut)
        assert await ids(fake, 10) == [*range(30), 1000]

    async def test_pages_that_never_join__fail_the_read(self) -> None:
        """A provider that keeps skipping rows makes the read fail rather than return a gap."""
        fake = FakeUis(rows_of(200))
        page_rule(fake, lambda rows, o, lim, _n: rows[o + 3 * lim :][:lim] if o else rows[:lim])
        c, _ = client(fake, page_size=10)
        with pytest.raises(ProtocolError, match="shifting"):
            await collect(c, *DAY)


async def read(fetch: Any, *, limit: int, total: Any = None, overlap: int = 2) -> list[int]:
    out: list[int] = []
    async for page in stable_pages(
        fetch, limit=limit, key=lambda r: r, overlap=overlap, total=total
    ):
        out.extend(page)
    return out


class TestStablePages:
    async def test_each_row__is_yielded_once(self) -> None:
        data = list(range(50))

        async def fetch(offset: int) -> list[int]:
            return data[max(0, offset - 3) : offset + 10]  # oversized and overlapping

        assert await read(fetch, limit=10) == data

    async def test_a_list_of_exactly_full_pages__ends(self) -> None:
        data = list(range(40))

        async def fetch(offset: int) -> list[int]:
            return data[offset : offset + 10]

        assert await read(fetch, limit=10) == data

    async def test_empty_pages_forever__fail_after_bounded_rewinds(self) -> None:
        asked: list[int] = []

        async def fetch(offset: int) -> list[int]:
            asked.append(offset)
            return list(range(10)) if offset == 0 else []

        with pytest.raises(ProtocolError):
            await read(fetch, limit=10)
        assert len(asked) == MAX_REWINDS + 2  # the first page, the next one, then the rewinds

    async def test_a_total_never_reached__fails_after_bounded_restarts(self) -> None:
        async def fetch(offset: int) -> list[int]:
            return list(range(25))[offset : offset + 10]

        with pytest.raises(ProtocolError, match="holds 30"):
            await read(fetch, limit=10, total=lambda: 30)

    async def test_pages_of_one_row__are_refused_as_a_setting(self) -> None:
        async def fetch(offset: int) -> list[int]:
            return [offset]

        with pytest.raises(ConfigError):
            await read(fetch, limit=1)
