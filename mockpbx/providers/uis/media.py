"""Public recording links: plain GET/HEAD, no auth, the 128-bit hash is the secret.

Served at the root like the real hosts serve them:
    /system/media/talk/{communication_id}/{hash}/   (app.uiscom.ru style)
    /system/media/wav/{communication_id}/{hash}/    (the docs' `wav_call_records`)
    /media/{call_session_id}/{hash}                  (media.uiscom.ru style)
with or without a trailing slash. `talk` and `media` links give MP3
(`audio/mpeg`, 16 kHz mono CBR, see `mockpbx.core.recordings`) like the real
ones, or WAV when the option `recording_format` is "wav"; `wav` links always
give WAV (`audio/wav`, 8 kHz 16-bit mono PCM). Byte ranges per RFC 9110: one
range (`a-b`, `a-`, `-n`) gives 206, an unsatisfiable one 416; several ranges
or a malformed header are ignored (200 with the whole file).

With many accounts a link (it carries no credential) is looked up in every
built account, account 1 first: only a built account hands one out.
"""

from __future__ import annotations

import re

from aiohttp import web

from mockpbx import keys
from mockpbx.core.errors import RecordingNotFound
from mockpbx.core.model import Call
from mockpbx.core.recordings import RecordingFormat, make_recording
from mockpbx.providers.uis.options import options_of
from mockpbx.providers.uis.rpc import UIS
from mockpbx.state import STATE, ServerState

__all__ = ["Unsatisfiable", "add_media_routes", "parse_range"]

_CHUNK = 256 * 1024
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")


class Unsatisfiable(ValueError):
    """The Range header asks for bytes the file does not have (answer 416)."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end exclusive) of a single range, None to serve the whole file.

    Raises Unsatisfiable when the range lies outside the file.
    """
    if not header:
        return None
    m = _RANGE.match(header)
    if m is None or (not m[1] and not m[2]):
        return None
    if not m[1]:  # suffix: the last n bytes
        n = int(m[2])
        if n == 0 or size == 0:
            raise Unsatisfiable(header)
        return max(size - n, 0), size
    start = int(m[1])
    end = min(int(m[2]) + 1, size) if m[2] else size
    if m[2] and int(m[2]) < start:
        return None  # syntactically invalid: ignore the header
    if start >= size:
        raise Unsatisfiable(header)
    return start, end


def _find(server: ServerState, request: web.Request) -> tuple[ServerState, Call]:
    """The account and the call a link names: the link carries no credential, so each
    built account is asked in turn (account 1 first), the hash deciding; else 404."""
    call_id, token = request.match_info["call_id"], request.match_info["token"]
    for state in server.built_accounts():
        try:
            return state, state.world.find_recording(int(call_id), token)
        except (RecordingNotFound, ValueError):
            continue
    request[keys.ERROR] = "not_found"
    raise web.HTTPNotFound(text="recording not found")


async def recording(request: web.Request) -> web.StreamResponse:
    UIS.tag(request, "media.recording")
    state, call = _find(request.config_dict[STATE], request)
    token = request.match_info["token"].lower().strip("/")
    wav_link = request.match_info.get("kind") == "wav"
    fmt: RecordingFormat = "wav" if wav_link else options_of(state).recording_format
    audio = make_recording(fmt, token, call.talk_duration)
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Type": audio.content_type,
        "ETag": f'"{token}.{audio.extension}"',  # one tag per representation
        "Cache-Control": "public, max-age=86400",
    }
    try:
        wanted = parse_range(request.headers.get("Range"), audio.size)
    except Unsatisfiable:
        headers["Content-Range"] = f"bytes */{audio.size}"
        return web.Response(status=416, headers=headers)
    start, end = (0, audio.size) if wanted is None else wanted
    response = web.StreamResponse(status=200 if wanted is None else 206, headers=headers)
    if wanted is not None:
        response.headers["Content-Range"] = f"bytes {start}-{end - 1}/{audio.size}"
    response.content_length = end - start
    await response.prepare(request)
    if request.method != "HEAD":
        for pos in range(start, end, _CHUNK):
            await response.write(audio.read(pos, min(pos + _CHUNK, end)))
    await response.write_eof()
    return response


def add_media_routes(app: web.Application) -> None:
    """Add the public recording links to the root app (they live outside /uis/)."""
    patterns = (
        r"/system/media/{kind:talk|wav}/{call_id:\d+}/{token:[0-9A-Fa-f]+}",
        r"/media/{call_id:\d+}/{token:[0-9A-Fa-f]+}",
    )
    for pattern in patterns:
        for path in (pattern, pattern + "/"):
            app.router.add_get(path, recording)  # HEAD is answered by the same handler
