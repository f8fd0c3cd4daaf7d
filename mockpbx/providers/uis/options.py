"""Settings of the UIS face where the real API is undocumented or contradicts itself.

Stored in `state.options["uis"]` (a `UisOptions`, or a dict of its fields
that is converted on first use; an unknown key is an error, never dropped);
changed at run time through `/_mockpbx/uis/options`, restored to the server's
baseline by every reset (`mockpbx.providers.base`). Every default below is the
mock's best reading of the docs; the alternatives are what the other reading would be.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from mockpbx.core.profiles import ProfileName, effective, lacks
from mockpbx.providers.base import FaceOptions
from mockpbx.state import ServerState

__all__ = ["CALL_API_FEATURE", "OPTIONS", "UisOptions", "offered", "options_of", "profile_of"]

# Call API methods by the feature they serve (login/logout serve them all)
CALL_API_FEATURE = {
    "list.calls": "live",
    "release.call": "live",
    "disconnect.leg": "live",
    "start.employee_call": "callback",
    "start.simple_call": "callback",
}


class UisOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # HTTP status of error replies: undocumented; clients read `error` from 200 bodies.
    error_http_status: int = 200
    # Points per access token (day is the account's local day, minute the clock's minute).
    day_limit: int = 50_000
    minute_limit: int = 250
    # The clock the points count on: the virtual clock (every face's default, so advancing
    # it clears a spent minute) or real time.
    rate_limit_clock: Literal["virtual", "real"] = "virtual"
    # Max report period: the error text says 3 months, the reports index says 90 days.
    interval_limit: Literal["3 months", "90 days"] = "3 months"
    # Data API login.user: the fields table says expire_at, the JSON sample says expire.
    login_expire_key: Literal["expire_at", "expire", "both"] = "expire_at"
    # ZF's Go client and a public how-to show `"version": null` in metadata.
    metadata_version_null: bool = False
    # full_record_file_link: media.* style `/media/{id}/{hash}` or app.* `/system/media/talk/...`.
    recording_url_style: Literal["media", "app"] = "media"
    # Audio behind /media/... and /system/media/talk/...: MP3 like the real links (§4),
    # or the mock's PCM WAV; /system/media/wav/... always serves WAV.
    recording_format: Literal["mp3", "wav"] = "mp3"
    # get.sip_lines physical_state: docs list Russian words, a how-to shows "Registered".
    physical_state_language: Literal["ru", "en"] = "ru"
    # Session keys from login.user live this many virtual seconds.
    session_seconds: int = 3600
    # What an expired session key answers: docs file it under access_token_invalid.
    expired_session_mnemonic: Literal["access_token_invalid", "access_token_expired"] = (
        "access_token_invalid"
    )
    # list.calls start_time: the example's "2016-10-19T12:26:48.418" or the table's format.
    list_calls_time_format: Literal["iso_ms", "space"] = "iso_ms"
    # Undocumented default of get.calls_report include_ongoing_calls.
    include_ongoing_default: bool = False
    # Undocumented default `condition` of a filter tree.
    filter_default_condition: Literal["and", "or"] = "and"
    # Budget of the cache of rendered rows of finished calls (0 disables it).
    row_cache_bytes: int = 64 * 1024 * 1024
    # get.virtual_numbers `site_blocks` and get.employees `operator_sites`: the fields tables
    # list them top-level, the JSON samples nest them (in `campaigns[]`, in `operator`).
    # "both": a top-level field when asked for by name, and nested as in the samples;
    # "nested": the top-level names are unexpected_parameters; "top_level": top-level only.
    site_fields_placement: Literal["both", "nested", "top_level"] = "both"
    # get.group_employees: the table names the numbers list `phone_numbers`, the sample
    # `phone_number`. "both": either name when asked, `phone_numbers` by default.
    group_numbers_key: Literal["both", "phone_numbers", "phone_number"] = "both"
    # Result fields get.calls_report accepts beyond its docs table, rendered null unless the
    # mock knows a value. Empty: no docs version we hold lists one (`utm_referrer` is a
    # get.communications_report field; comagic-data-api-sdk asks calls for it anyway).
    calls_report_extra_fields: tuple[str, ...] = ()
    # Capability profile (core/profiles.py): a Call API method of a missing feature answers
    # JSON-RPC -32601 method_not_found (history_only: the whole Call API but login/logout);
    # without recordings or tracking, report rows carry no links / no visit (UTM, referrer).
    profile: tuple[ProfileName, ...] = ()


OPTIONS = FaceOptions("uis", UisOptions)


def options_of(state: ServerState) -> UisOptions:
    """The face's options, created (or converted from a dict) on first use."""
    return OPTIONS.of(state)


def profile_of(state: ServerState) -> tuple[str, ...]:
    """The face's capability profile: its options' own, else the scenario file's."""
    return effective(options_of(state).profile, state.scenario, "uis")


def offered(api: str, method: str, profile: tuple[str, ...]) -> bool:
    """Whether a method exists for an account with this profile (Data API: always)."""
    if api != "call" or method not in CALL_API_FEATURE:
        return True
    return not lacks(profile, CALL_API_FEATURE[method])
