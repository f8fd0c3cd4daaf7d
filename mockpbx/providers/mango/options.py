"""Settings of the Mango face where the real API's docs are silent or contradict themselves.

Read from `state.options["mango"]` (a `MangoOptions`, or a plain dict converted on first
use) through `runtime.options`; the generic control route (`POST /_mockpbx/mango/options`)
changes them at run time, refusing a `webhook_url` this server may not post to
(`check_options`, the validation hook the face registry holds); every reset restores
the server's baseline (`mockpbx.providers.base`). Each
field names the open point of the Mango docs it settles and our default (README,
"What is emulated" > "Mango Office").
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field

from mockpbx.core.profiles import ProfileName, effective, lacks
from mockpbx.providers.base import OptionError
from mockpbx.state import ServerState

__all__ = [
    "METHOD_FEATURE",
    "DeliveryFaults",
    "MangoOptions",
    "check_options",
    "check_webhook_url",
    "event_offered",
    "host_allowed",
    "method_offered",
    "profile",
]

# VPBX methods by the feature they serve: with the feature missing, HTTP 404 + result 4001
METHOD_FEATURE = {
    "commands/callback": "callback",
    "commands/callback_group": "callback",
    "commands/call/hangup": "live",
    "commands/route": "live",
    "commands/transfer": "live",
    "commands/play/start": "live",
    "commands/recording/start": "recordings",
    "queries/recording/post": "recordings",
    "queries/recording/link": "recordings",
    "queries/user_info_by_dct_number": "tracking",
    "queries/user_history_by_dct_number": "tracking",
}
# webhook events by feature: without live calls no call events (the board stays empty)
EVENT_FEATURE = {
    "events/call": "live",
    "events/dtmf": "live",
    "events/recording": "recordings",
    "events/record/added": "recordings",
}


class MangoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # -- errors ---------------------------------------------------------------------
    # Wrong key or sign: "401" (observed live: HTTP 401 + {"result": 3105|3102}),
    # "result" (HTTP 200 + {"result": 3105|3102}) or "legacy" (2017 doc: HTTP 420 {"code": ...}).
    auth_error: Literal["401", "result", "legacy"] = "401"
    # Other errors: "result" (HTTP 200 + {"result": code, "message": ...}, our default),
    # or "legacy" (HTTP 420 Method Failure + {"code": code}).
    error_style: Literal["result", "legacy"] = "result"
    # `result` in synchronous replies: number (1000) or string ("1000").
    result_as_string: bool = False
    # `result` in result/<command> posts: the doc examples quote it.
    command_result_as_string: bool = True
    # After one 3xxx error, the next within `lockout_seconds` (virtual) gets 401 and the
    # product is blocked until `lockout_seconds` after the first (doc 07). Off by default.
    bad_request_lockout: bool = False
    lockout_seconds: int = Field(120, ge=1)
    # Per-method limits of doc 08; HTTP 429 with the documented body.
    rate_limits: bool = True
    # The clock the limits count on: the virtual clock (every face's default, so tests drive
    # them with the clock: advancing it clears a 429) or real time (a frozen clock then
    # still lets a client through after a real wait).
    rate_limit_clock: Literal["virtual", "real"] = "virtual"
    # Per-method changes to those limits: {"method": [requests, per_seconds]}, or null to
    # lift one. Doc 08's "stats request 0.5/s" names the CSV flow; that it also covers
    # stats/calls/request is our reading [I] (lift it: {"stats/calls/request": null}).
    rate_limit_overrides: dict[str, tuple[int, float] | None] = Field(default_factory=dict)

    # -- basic statistics (CSV) -----------------------------------------------------------
    csv_line_ending: Literal["\n", "\r\n"] = "\n"
    csv_records_brackets: bool = True  # "[id1,id2]" (doc text) or "id1,id2" (doc examples)
    csv_trailing_newline: bool = False
    # One row per call (entry), or per leg as the JS SDK's de-duplication suggests happens.
    csv_rows: Literal["call", "leg"] = "call"
    stats_ready_after: int = Field(0, ge=0)  # virtual seconds until stats/result stops saying 204
    stats_not_ready_polls: int = Field(0, ge=0)  # this many 204s first, whatever the clock
    stats_key_ttl: int = Field(3600, ge=60)  # virtual seconds a key lives (doc: >= 1 min)
    stats_max_window: int = Field(31 * 86400, ge=1)  # "one month"
    stats_ready_event: Literal["result/stat", "result/stats", ""] = "result/stat"

    # -- extended statistics (JSON) ---------------------------------------------------------
    stats_calls_max_window: int = Field(30 * 86400, ge=1)  # strictly less (N8N live check)
    stats_calls_work_polls: int = Field(0, ge=0)  # this many "work" answers first
    # A window without a single matching call: `data: []` ("no_days", our default), or one
    # entry for the window's first local day with an empty `list` and zero totals
    # ("empty_day"; some clients read `data[0]`). Real behaviour undocumented [I].
    stats_calls_empty: Literal["no_days", "empty_day"] = "no_days"

    # -- account ------------------------------------------------------------------------------
    # account/balance is listed by name only (mango.md 8): the reply
    # {"result": 1000, "balance": <this>} is inferred from a client reading `balance` [I].
    balance: float = 10000.0

    # -- recordings -------------------------------------------------------------------------
    recording_link_ttl: int = Field(300, ge=1)  # virtual seconds a 302 target lives
    recording_link_single_use: bool = True
    recording_get_link_enabled: bool = True  # off by default at Mango; on in the mock
    # The audio served: MP3 like Mango's files (doc 64), or the mock's PCM WAV.
    recording_format: Literal["mp3", "wav"] = "mp3"
    # None: the true type of the bytes served (audio/mpeg or audio/wav); or another label,
    # e.g. "audio/mp3" as DOC17 shows.
    recording_content_type: str | None = None

    # -- call tracking ----------------------------------------------------------------------
    dct_info_wrapped: bool = False  # user_info_by_dct_number: flat (default) or {"data": {...}}

    # -- events -----------------------------------------------------------------------------
    # The integrator's base URL (`mockpbx serve --mango-webhook`: the baseline a reset
    # restores); `POST /_mockpbx/mango/webhook` overrides it until the next reset.
    # Events go to <url>/events/call etc.
    webhook_url: str | None = None
    events_quoted: bool = False  # seq/timestamp/disconnect_reason as strings (appendix style)
    record_added_delay: int = Field(10, ge=0)  # virtual seconds after the call ends
    webhook_timeout: float = Field(5.0, gt=0)  # real seconds per delivery attempt
    webhook_retries: int = Field(0, ge=0)  # extra attempts after a failure (undocumented)
    webhook_concurrency: int = Field(8, ge=1, le=256)

    # -- capability profile (core/profiles.py) ---------------------------------------------
    # A missing feature's methods answer HTTP 404 + {"result": 4001} (as an unknown method),
    # its events are not posted; without recordings the stats' `records` are empty; without
    # tracking the dct queries are absent and events carry no `dct`.
    profile: tuple[ProfileName, ...] = ()


class DeliveryFaults(BaseModel):
    """Faults of webhook delivery, set with `POST /_mockpbx/mango/delivery`."""

    model_config = ConfigDict(extra="forbid")

    delay_seconds: float = Field(0.0, ge=0, le=600)  # real seconds added before each post
    duplicate: float = Field(0.0, ge=0, le=1)  # probability an event is posted twice
    reorder: float = Field(0.0, ge=0, le=1)  # probability an event is held back behind the next
    drop: float = Field(0.0, ge=0, le=1)  # probability an event is never posted
    paths: list[str] = Field(default_factory=list)  # only these paths (empty: all)


def check_options(state: ServerState, body: Mapping[str, Any]) -> None:
    """The registry's validation hook: a `webhook_url` must be a target this server may post to."""
    if body.get("webhook_url") is not None:
        check_webhook_url(state, body["webhook_url"], "webhook_url")


def check_webhook_url(state: ServerState, url: Any, field: str) -> None:
    """`OptionError` naming `field` unless `url` is an http(s) URL the server may post to.

    No open relay: unless the server runs with `--insecure-control`, the host must be
    on its allow-list (`--webhook-allow`; default: loopback only).
    """
    if not isinstance(url, str):
        raise OptionError(field, f"{field} must be an absolute http(s) URL or null")
    try:
        parsed = urlparse(url)
        host = parsed.hostname if parsed.scheme in ("http", "https") else None
    except ValueError:
        host = None
    if not host:
        raise OptionError(field, f"{field} must be an absolute http(s) URL or null")
    if not state.insecure_control and not host_allowed(host, state.webhook_allow):
        allowed = ", ".join(state.webhook_allow)
        raise OptionError(
            field,
            f"{field}: {host} is not an allowed webhook target ({allowed}; "
            "mockpbx serve --webhook-allow HOST adds one)",
        )


def host_allowed(host: str, allow: tuple[str, ...]) -> bool:
    """Whether `host` is one of `allow`: host names (exact) or IP addresses and networks."""
    host = host.lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host in (a.lower() for a in allow)
    for entry in allow:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def profile(opts: MangoOptions, scenario: object) -> tuple[str, ...]:
    """The face's capability profile: its options' own, else the scenario file's."""
    return effective(opts.profile, scenario, "mango")


def method_offered(method: str, profile: tuple[str, ...]) -> bool:
    return method not in METHOD_FEATURE or not lacks(profile, METHOD_FEATURE[method])


def event_offered(path: str, profile: tuple[str, ...]) -> bool:
    return path not in EVENT_FEATURE or not lacks(profile, EVENT_FEATURE[path])
