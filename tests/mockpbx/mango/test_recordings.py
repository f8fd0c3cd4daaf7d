"""queries/recording/post (302 to a single-use link), the signed GET link, and the audio itself."""

from __future__ import annotations

from datetime import timedelta

from mockpbx.core.model import Call
from mockpbx.core.recordings import Mp3Recording
from mockpbx.providers.mango.ids import mango_recording_id
from mockpbx.providers.mango.options import MangoOptions
from mockpbx.providers.mango.signing import link_sign
from tests.mockpbx.mp3 import decode_info, frame_offsets

from .conftest import MangoClient


def _recorded_call(mango: MangoClient) -> Call:
    world = mango.state.world
    start = world.day_start(world.today() - timedelta(days=1))
    return next(c for c in world.history(start, start + 86400) if c.has_recording)


async def _location(mango: MangoClient, recording_id: str, action: str = "play") -> str:
    resp = await mango.post(
        "queries/recording/post",
        {"recording_id": recording_id, "action": action},
        allow_redirects=False,
    )
    assert resp.status == 302, await resp.text()
    return resp.headers["Location"]


class TestRecordingPost:
    async def test_post__redirects_to_real_audio(self, mango: MangoClient) -> None:
        call = _recorded_call(mango)
        location = await _location(mango, mango_recording_id(call.id))
        assert "/mango/files/" in location
        audio = await mango.http.get(location[location.index("/mango/") :])
        body = await audio.read()
        assert audio.status == 200
        assert audio.content_type == "audio/mpeg"
        assert body == Mp3Recording(mango_recording_id(call.id), call.talk_duration).read()
        assert len(frame_offsets(body)) == len(body) // 108
        assert abs(decode_info(body).length - call.talk_duration) <= 1.008

    async def test_format_option_wav__serves_wav(self, mango: MangoClient) -> None:
        mango.state.options["mango"] = MangoOptions(recording_format="wav")
        call = _recorded_call(mango)
        location = await _location(mango, mango_recording_id(call.id), "download")
        audio = await mango.http.get(location[location.index("/mango/") :])
        body = await audio.read()
        assert audio.content_type == "audio/wav"
        assert body[:4] == b"RIFF"
        assert len(body) == 44 + call.talk_duration * 16000
        filename = f'filename="{mango_recording_id(call.id)}.wav"'
        assert audio.headers["Content-Disposition"] == f"attachment; {filename}"

    async def test_link__is_single_use(self, mango: MangoClient) -> None:
        location = await _location(mango, mango_recording_id(_recorded_call(mango).id))
        path = location[location.index("/mango/") :]
        assert (await mango.http.get(path)).status == 200
        assert (await mango.http.get(path)).status == 404

    async def test_link__expires_by_the_virtual_clock(self, mango: MangoClient) -> None:
        location = await _location(mango, mango_recording_id(_recorded_call(mango).id))
        mango.advance(301)
        assert (await mango.http.get(location[location.index("/mango/") :])).status == 404

    async def test_range__returns_a_partial_body(self, mango: MangoClient) -> None:
        mango.state.options["mango"] = MangoOptions(recording_link_single_use=False)
        location = await _location(mango, mango_recording_id(_recorded_call(mango).id))
        path = location[location.index("/mango/") :]
        whole = await (await mango.http.get(path)).read()
        part = await mango.http.get(path, headers={"Range": "bytes=100-199"})
        assert part.status == 206
        assert await part.read() == whole[100:200]
        assert part.headers["Content-Range"] == f"bytes 100-199/{len(whole)}"

    async def test_download__is_an_mp3_attachment(self, mango: MangoClient) -> None:
        rec = mango_recording_id(_recorded_call(mango).id)
        location = await _location(mango, rec, "download")
        resp = await mango.http.get(location[location.index("/mango/") :])
        assert resp.content_type == "audio/mpeg"
        assert resp.headers["Content-Disposition"] == f'attachment; filename="{rec}.mp3"'

    async def test_content_type_option__relabels_the_audio(self, mango: MangoClient) -> None:
        mango.state.options["mango"] = MangoOptions(recording_content_type="audio/mp3")
        location = await _location(mango, mango_recording_id(_recorded_call(mango).id), "download")
        resp = await mango.http.get(location[location.index("/mango/") :])
        assert resp.content_type == "audio/mp3"
        assert (await resp.read())[:2] == b"\xff\xf3"

    async def test_unknown_recording__is_3320(self, mango: MangoClient) -> None:
        resp = await mango.post("queries/recording/post", {"recording_id": "MTo5OTk6NTAwOToxAA=="})
        assert (await resp.json())["result"] == 3320

    async def test_recording_of_a_missed_call__is_3320(self, mango: MangoClient) -> None:
        world = mango.state.world
        start = world.day_start(world.today() - timedelta(days=1))
        missed = next(c for c in world.history(start, start + 86400) if c.answer_ts is None)
        resp = await mango.post(
            "queries/recording/post", {"recording_id": mango_recording_id(missed.id)}
        )
        assert (await resp.json())["result"] == 3320


class TestSignedLink:
    def _url(
        self, mango: MangoClient, recording_id: str, expires: int, sign: str | None = None
    ) -> str:
        key, salt = mango.key, mango.salt
        sign = sign or link_sign(key, str(expires), recording_id, salt)
        return f"/mango/vpbx/queries/recording/link/{recording_id}/play/{key}/{expires}/{sign}"

    async def test_signed_get__redirects_to_the_audio(self, mango: MangoClient) -> None:
        rec = mango_recording_id(_recorded_call(mango).id)
        url = self._url(mango, rec, mango.state.world.now() + 600)
        resp = await mango.http.get(url, allow_redirects=False)
        assert resp.status == 302
        location = resp.headers["Location"]
        audio = await mango.http.get(location[location.index("/mango/") :])
        assert frame_offsets(await audio.read())

    async def test_wrong_sign__is_refused(self, mango: MangoClient) -> None:
        rec = mango_recording_id(_recorded_call(mango).id)
        url = self._url(mango, rec, mango.state.world.now() + 600, sign="ab" * 32)
        resp = await mango.http.get(url, allow_redirects=False)
        assert resp.status == 401
        assert (await resp.json())["result"] == 3102

    async def test_expired_timestamp__is_refused(self, mango: MangoClient) -> None:
        rec = mango_recording_id(_recorded_call(mango).id)
        resp = await mango.http.get(self._url(mango, rec, mango.state.world.now() - 1))
        assert (await resp.json())["result"] == 4301

    async def test_disabled__when_configured(self, mango: MangoClient) -> None:
        mango.state.options["mango"] = MangoOptions(recording_get_link_enabled=False)
        rec = mango_recording_id(_recorded_call(mango).id)
        resp = await mango.http.get(self._url(mango, rec, mango.state.world.now() + 60))
        assert (await resp.json())["result"] == 4001
