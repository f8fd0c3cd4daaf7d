"""Recordings: queries/recording/post, the signed GET link, and the short-lived file links.

With many accounts a signed GET link names its account by the key it carries
and a file link is found in the runtime of the built account that issued it.

`queries/recording/post` answers 302 to `/mango/files/<token>`: a link that
lives `recording_link_ttl` virtual seconds and, by default, serves one
playback (the doc: "single-use, do not store it"): a GET without Range uses
it up; Range requests (a browser's audio player seeking) are served to the
client that opened it until it expires; another client gets 404. The file
is real audio with HTTP Range support: MP3
(`Mp3Recording`, `audio/mpeg`, `<recording_id>.mp3` when downloaded) like
Mango's, or PCM WAV when the option `recording_format` is "wav";
`recording_content_type` relabels it (DOC17 shows `audio/mp3`).
A recording is available `record_added_delay` seconds after the call ends
(when events/record/added is sent); before that, and for unknown ids, 3320.
"""

from __future__ import annotations

import re

from aiohttp import web

from mockpbx import keys
from mockpbx.core.model import Call
from mockpbx.core.recordings import make_recording
from mockpbx.providers.mango import schemas as s
from mockpbx.providers.mango.context import Ctx
from mockpbx.providers.mango.errors import AuthError, MangoError
from mockpbx.providers.mango.ids import mango_recording_id, unb64_int
from mockpbx.providers.mango.runtime import Link, MangoRuntime
from mockpbx.providers.mango.signing import link_sign, verify
from mockpbx.state import ServerState

__all__ = ["RECORDINGS", "find_link", "link_key", "link_target", "recording_link", "serve_file"]


def _recording_call(ctx: Ctx, recording_id: str) -> Call:
    call_id = unb64_int(recording_id, 1)
    call = ctx.world.store.get(call_id) if call_id is not None else None
    ready = call is not None and call.end_ts + ctx.opts.record_added_delay <= ctx.now
    if call is None or not ready or not call.has_recording:
        raise MangoError(3320, f"recording {recording_id} not found")
    if mango_recording_id(call.id) != recording_id:
        raise MangoError(3320, f"recording {recording_id} not found")
    return call


def _redirect(ctx: Ctx, call: Call, action: str) -> web.Response:
    token = ctx.rt.new_token(ctx.state.effective_secret_key())
    ctx.rt.links[token] = Link(call.id, action, ctx.now + ctx.opts.recording_link_ttl)
    location = f"{ctx.request.url.origin()}/mango/files/{token}"
    return web.Response(status=302, headers={"Location": location})


async def recording_post(ctx: Ctx) -> web.Response:
    p = s.parse(s.RecordingPost, ctx.params)
    return _redirect(ctx, _recording_call(ctx, p.recording_id), p.action)


_LINK = re.compile(
    r"^queries/recording/link/([^/]+)/(play|download)/([^/]+)/(\d+)/([0-9a-fA-F]+)/?$"
)


def link_key(path: str) -> str | None:
    """The vpbx_api_key a signed GET link carries (names its account), None if malformed."""
    match = _LINK.match(path)
    return match[3] if match is not None else None


def link_target(ctx: Ctx, path: str) -> tuple[str, str]:
    """(recording_id, action) of an authentic, unexpired signed GET link:
    queries/recording/link/{recording_id}/{action}/{key}/{timestamp}/{sign}."""
    if not ctx.opts.recording_get_link_enabled:
        raise MangoError(4001, "recording links are not enabled for this product")
    match = _LINK.match(path)
    if match is None:
        raise MangoError(3104, "expected queries/recording/link/{id}/{action}/{key}/{ts}/{sign}")
    recording_id, action, key, timestamp, given = match.groups()
    creds = ctx.state.credentials
    if key != creds.mango_api_key:
        raise AuthError(3105, "invalid vpbx_api_key")
    expected = link_sign(key, timestamp, recording_id, creds.mango_api_salt)
    if not verify(expected, given):
        raise AuthError(3102, "sign does not match")
    if int(timestamp) < ctx.now:
        raise MangoError(4301, "the link has expired")
    return recording_id, action


def recording_link(ctx: Ctx, recording_id: str, action: str) -> web.Response:
    """The 302 of a signed GET link (checked by `link_target`) to a temporary file link."""
    return _redirect(ctx, _recording_call(ctx, recording_id), action)


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def find_link(server: ServerState, token: str) -> tuple[ServerState, MangoRuntime]:
    """The account whose runtime issued file link `token` (the link carries no key: every
    built account is asked, account 1 first); account 1 when none did (its 404 follows)."""
    from mockpbx.providers.mango.runtime import runtime

    for state in server.built_accounts():
        rt = runtime(state)
        if token in rt.links:
            return state, rt
    return server, runtime(server)


async def serve_file(request: web.Request, state: ServerState, rt: MangoRuntime) -> web.Response:
    """GET /mango/files/{token}: the audio, once, with Range support."""
    from mockpbx.providers.mango.runtime import options

    opts = options(state)
    link = rt.links.get(request.match_info["token"])
    call = state.world.store.get(link.call_id) if link is not None else None
    client = request.remote or ""
    if (
        link is None
        or call is None
        or link.used
        or state.world.now() > link.expires
        or link.client not in (None, client)
    ):
        request[keys.ERROR] = "unknown, used or expired recording link"
        return web.Response(status=404, text="Not Found")
    audio = make_recording(opts.recording_format, mango_recording_id(call.id), call.talk_duration)
    span = _range(request.headers.get("Range"), audio.size)
    if span is None:
        return web.Response(status=416, headers={"Content-Range": f"bytes */{audio.size}"})
    if opts.recording_link_single_use:
        _use(link, client, ranged="Range" in request.headers)
    start, end = span
    headers = {"Accept-Ranges": "bytes"}
    if link.action == "download":
        filename = f"{mango_recording_id(call.id)}.{audio.extension}"
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    partial = "Range" in request.headers
    if partial:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{audio.size}"
    return web.Response(
        body=audio.read(start, end),
        status=206 if partial else 200,
        headers=headers,
        content_type=opts.recording_content_type or audio.content_type,
    )


def _use(link: Link, client: str, *, ranged: bool) -> None:
    """One playback per link: the first request binds it to its client, whose Range
    requests it serves until it expires; a whole-file GET uses it up at once."""
    link.client = client
    if not ranged:
        link.used = True


def _range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end exclusive) of a single-range header; the whole file without one."""
    if not header:
        return 0, size
    match = _RANGE.match(header.strip())
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":
        return max(size - int(last), 0), size
    start = int(first)
    end = min(int(last) + 1, size) if last else size
    return (start, end) if start < end else None


RECORDINGS = {"queries/recording/post": recording_post}
