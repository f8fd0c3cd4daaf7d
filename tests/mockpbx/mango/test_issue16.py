"""Mango face hardening: non-ASCII signs, auth before the rate limit, one playback per link."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mockpbx.core.model import Call
from mockpbx.providers.mango.ids import mango_recording_id
from mockpbx.providers.mango.runtime import MangoRuntime, runtime
from mockpbx.providers.mango.signing import verify

from .conftest import MangoClient


def _recorded_call(mango: MangoClient) -> Call:
    world = mango.state.world
    start = world.day_start(world.today() - timedelta(days=1))
    return next(c for c in world.history(start, start + 86400) if c.has_recording)


async def _file_path(mango: MangoClient) -> str:
    rec = mango_recording_id(_recorded_call(mango).id)
    resp = await mango.post(
        "queries/recording/post", {"recording_id": rec, "action": "play"}, allow_redirects=False
    )
    assert resp.status == 302, await resp.text()
    location = resp.headers["Location"]
    return location[location.index("/mango/") :]


class TestNonAsciiSign:
    @pytest.mark.parametrize("sign", ["³" * 64, "é", "ключ", "\udcff"])
    def test_verify__is_false_for_non_ascii_text(self, sign: str) -> None:
        """A sign with non-ASCII characters simply does not match (no TypeError)."""
        assert verify("0" * 64, sign) is False

    @pytest.mark.parametrize("sign", ["³" * 64, "подпись"])
    async def test_non_ascii_sign__is_refused_as_3102(self, mango: MangoClient, sign: str) -> None:
        """Not HTTP 500: Mango's own auth error for a wrong sign."""
        form = mango.form({})
        form["sign"] = sign
        resp = await mango.http.post("/mango/vpbx/incominglines", data=form)
        assert resp.status == 401
        assert (await resp.json())["result"] == 3102

    async def test_non_ascii_key__is_refused_as_3105(self, mango: MangoClient) -> None:
        form = mango.form({})
        form["vpbx_api_key"] = "ключ"
        resp = await mango.http.post("/mango/vpbx/incominglines", data=form)
        assert resp.status == 401
        assert (await resp.json())["result"] == 3105


class TestAuthBeforeRateLimit:
    async def test_bad_key__does_not_use_up_the_limit(self, mango: MangoClient) -> None:
        """config/users/request allows 1 per 2 s: a stranger's bad request must not take it."""
        form = mango.form({})
        form["vpbx_api_key"] = "guess"
        bad = await mango.http.post("/mango/vpbx/config/users/request", data=form)
        good = await mango.post("config/users/request", {})
        assert bad.status == 401
        assert good.status == 200, await good.text()

    async def test_bad_sign__does_not_use_up_the_limit(self, mango: MangoClient) -> None:
        form = mango.form({})
        form["sign"] = "0" * 64
        await mango.http.post("/mango/vpbx/config/users/request", data=form)
        assert (await mango.post("config/users/request", {})).status == 200

    async def test_signed_requests__still_hit_the_limit(self, mango: MangoClient) -> None:
        assert (await mango.post("config/users/request", {})).status == 200
        assert (await mango.post("config/users/request", {})).status == 429


class TestOnePlaybackPerLink:
    async def test_ranges__of_one_playback_are_all_served(self, mango: MangoClient) -> None:
        """A browser's player asks `bytes=0-`, then seeks: every range is served."""
        path = await _file_path(mango)
        first = await mango.http.get(path, headers={"Range": "bytes=0-"})
        whole = await first.read()
        assert first.status == 206
        for header, want in (
            ("bytes=100-199", whole[100:200]),
            ("bytes=-50", whole[-50:]),
            ("bytes=1000-", whole[1000:]),
            ("bytes=0-", whole),
        ):
            part = await mango.http.get(path, headers={"Range": header})
            assert part.status == 206, header
            assert await part.read() == want

    async def test_ranges__stop_when_the_link_expires(self, mango: MangoClient) -> None:
        path = await _file_path(mango)
        assert (await mango.http.get(path, headers={"Range": "bytes=0-9"})).status == 206
        mango.advance(mango.state.options["mango"].recording_link_ttl + 1)
        assert (await mango.http.get(path, headers={"Range": "bytes=10-19"})).status == 404

    async def test_whole_file_get__uses_the_link_up(self, mango: MangoClient) -> None:
        path = await _file_path(mango)
        assert (await mango.http.get(path, headers={"Range": "bytes=0-9"})).status == 206
        assert (await mango.http.get(path)).status == 200
        assert (await mango.http.get(path, headers={"Range": "bytes=0-9"})).status == 404

    async def test_another_client__gets_404_once_a_playback_began(self, mango: MangoClient) -> None:
        """The link is bound to the first client's address: a second one cannot share it."""
        path = await _file_path(mango)
        assert (await mango.http.get(path, headers={"Range": "bytes=0-9"})).status == 206
        rt: MangoRuntime = runtime(mango.state)
        (link,) = rt.links.values()
        link.client = "192.0.2.1"  # as if another address had opened it first
        assert (await mango.http.get(path, headers={"Range": "bytes=0-9"})).status == 404

    async def test_unsatisfiable_range__does_not_bind_or_use_the_link(
        self, mango: MangoClient
    ) -> None:
        path = await _file_path(mango)
        assert (await mango.http.get(path, headers={"Range": "bytes=99999999-"})).status == 416
        (link,) = runtime(mango.state).links.values()
        assert (link.client, link.used) == (None, False)
        assert (await mango.http.get(path)).status == 200
