"""(c) Recordings: links open without a key, return audio, and cannot be guessed."""

from __future__ import annotations

import re
from typing import Any

from contract.checks.base import (
    Context,
    history_or_problem,
    samples,
    verdict,
)
from contract.results import Msg, Outcome, Status

AUDIO_MAGIC = (b"RIFF", b"ID3", b"OggS", b"fLaC", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]+")


def is_audio(content_type: str, head: bytes) -> bool:
    if head.startswith(AUDIO_MAGIC) or head[4:8] == b"ftyp":
        return True
    return content_type.lower().startswith("audio/") and len(head) > 0


def secret_bits(url: str) -> tuple[float, str]:
    """Estimated random bits of the best secret-looking token in the link, and the token."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    best = (0.0, "")
    for token in TOKEN_RE.findall(parts.path + "?" + parts.query):
        best = max(best, (_token_bits(token), token))
    return best


def _token_bits(token: str) -> float:
    """Rough entropy of one path/query token: dates, ids and words count as nothing."""
    core = token.replace("-", "").replace("_", "")
    if core.isdigit():
        return 3.32 * len(core) if len(core) >= 20 else 0.0
    if re.fullmatch(r"[0-9a-fA-F]+", core):
        return 4.0 * len(core)
    if re.search(r"\d", core) and re.search(r"[A-Za-z]", core) and len(core) >= 12:
        return 5.9 * len(core)
    return 0.0


def _recorded(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in calls if isinstance(c.get("RecordUrl"), str) and c["RecordUrl"]]


def _recordings_or_outcome(ctx: Context) -> list[dict[str, Any]] | Outcome:
    calls = history_or_problem(ctx)
    if isinstance(calls, Outcome):
        return calls
    recorded = _recorded(calls)
    if recorded:
        return samples(recorded)
    talked = sum(
        1 for c in calls if isinstance(c.get("TalkInSeconds"), int) and c["TalkInSeconds"] > 0
    )
    if not talked:  # nothing that could have been recorded: no conclusion either way
        return Outcome(Status.WARNING, Msg("sum.no_talks", {"n": len(calls)}))
    return Outcome(Status.ABSENT, Msg("sum.no_recordings", {"n": len(calls), "talked": talked}))


def recording_links_open_without_auth_and_return_audio(ctx: Context) -> Outcome:
    """Each RecordUrl opens in a browser: no key, 200/206, and the bytes are audio."""
    recorded = _recordings_or_outcome(ctx)
    if isinstance(recorded, Outcome):
        return recorded
    problems: list[Msg] = []
    shown: list[Msg] = []
    for call in recorded:
        url = call["RecordUrl"]
        if not url.startswith(("http://", "https://")):
            problems.append(Msg("ev.link_not_absolute", {"url": url}))
            continue
        status, ctype, head, final = ctx.probe.open_link(url)
        if status not in (200, 206):
            problems.append(Msg("ev.link_refused", {"url": final, "status": status}))
        elif not is_audio(ctype, head):
            problems.append(Msg("ev.link_not_audio", {"url": final, "type": ctype or "?"}))
        else:
            shown.append(Msg("ev.link_played", {"url": final, "status": status, "type": ctype}))
    ok = Msg("sum.links_ok", {"n": len(recorded)})
    return verdict(problems, ok, Msg("sum.links_bad"), shown)


def _mutated(url: str, token: str) -> str:
    flip = "0" if token[-1] != "0" else "1"
    return url.replace(token, token[:-1] + flip, 1)


def recording_links_are_unguessable(ctx: Context) -> Outcome:
    """Each link carries a secret of >= 64 random bits, and an altered secret opens nothing."""
    recorded = _recordings_or_outcome(ctx)
    if isinstance(recorded, Outcome):
        return recorded
    problems: list[Msg] = []
    shown: list[Msg] = []
    tokens = set()
    for call in recorded:
        url = call["RecordUrl"]
        bits, token = secret_bits(url)
        tokens.add(token)
        if bits < 64:
            problems.append(Msg("ev.link_guessable", {"url": url, "bits": round(bits)}))
            continue
        status, ctype, head, _ = ctx.probe.open_link(_mutated(url, token))
        if status in (200, 206) and is_audio(ctype, head):
            problems.append(Msg("ev.link_secret_ignored", {"url": _mutated(url, token)}))
        else:
            shown.append(
                Msg("ev.link_secret_held", {"url": url, "bits": round(bits), "status": status})
            )
    if len(recorded) > 1 and len(tokens) == 1:
        problems.append(Msg("ev.link_secret_shared", {"token": next(iter(tokens))[:8] + "..."}))
    ok = Msg("sum.unguessable_ok", {"n": len(recorded)})
    return verdict(problems, ok, Msg("sum.unguessable_bad"), shown)
