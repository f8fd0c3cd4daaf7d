"""Semantic checks: what the schema cannot say, each a plain function named after what it proves.

A check takes the run's `Context` and returns an `Outcome` (pass, fail,
warning or skipped, a one-line summary and evidence). Checks never raise on
a provider's misbehaviour: a broken answer is a finding, not a crash.
`CHECKS` lists them with the requirement each one proves.
"""

from __future__ import annotations

from contract.checks.access import (
    bad_requests_are_refused_with_4xx,
    missing_or_wrong_keys_are_refused,
)
from contract.checks.base import CheckSpec, Context, call_identity
from contract.checks.extras import (
    callback_places_a_call_listed_as_current,
    ticket_ids_are_unique_and_stable,
    timetable_is_accepted,
)
from contract.checks.history import (
    a_short_page_ends_the_data,
    call_fields_readings,
    offset_is_accepted_in_both_spellings,
    pages_are_complete_and_stable,
    period_filter_is_honoured_at_its_edges,
    times_carry_offsets,
)
from contract.checks.live import ongoing_calls_appear_while_live_and_disappear_after
from contract.checks.recordings import (
    is_audio,
    recording_links_are_unguessable,
    recording_links_open_without_auth_and_return_audio,
    secret_bits,
)
from contract.checks.tracking import utm_and_referrer_are_present_on_tracked_calls
from contract.results import Requirement

__all__ = ["CHECKS", "CheckSpec", "Context", "call_identity", "is_audio", "secret_bits"]

CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(
        "missing_or_wrong_keys_are_refused",
        Requirement.ACCESS,
        True,
        missing_or_wrong_keys_are_refused,
    ),
    CheckSpec(
        "bad_requests_are_refused_with_4xx",
        Requirement.ACCESS,
        True,
        bad_requests_are_refused_with_4xx,
    ),
    CheckSpec(
        "period_filter_is_honoured_at_its_edges",
        Requirement.HISTORY,
        True,
        period_filter_is_honoured_at_its_edges,
    ),
    CheckSpec(
        "pages_are_complete_and_stable", Requirement.HISTORY, True, pages_are_complete_and_stable
    ),
    CheckSpec("a_short_page_ends_the_data", Requirement.HISTORY, True, a_short_page_ends_the_data),
    CheckSpec("times_carry_offsets", Requirement.HISTORY, True, times_carry_offsets),
    CheckSpec(
        "offset_is_accepted_in_both_spellings",
        Requirement.HISTORY,
        False,
        offset_is_accepted_in_both_spellings,
    ),
    CheckSpec("call_fields_readings", Requirement.HISTORY, False, call_fields_readings),
    CheckSpec(
        "ongoing_calls_appear_while_live_and_disappear_after",
        Requirement.CURRENT,
        True,
        ongoing_calls_appear_while_live_and_disappear_after,
    ),
    CheckSpec(
        "recording_links_open_without_auth_and_return_audio",
        Requirement.RECORDINGS,
        True,
        recording_links_open_without_auth_and_return_audio,
    ),
    CheckSpec(
        "recording_links_are_unguessable",
        Requirement.RECORDINGS,
        True,
        recording_links_are_unguessable,
    ),
    CheckSpec(
        "utm_and_referrer_are_present_on_tracked_calls",
        Requirement.TRACKING,
        True,
        utm_and_referrer_are_present_on_tracked_calls,
    ),
    CheckSpec(
        "ticket_ids_are_unique_and_stable",
        Requirement.EXTRAS,
        True,
        ticket_ids_are_unique_and_stable,
    ),
    CheckSpec("timetable_is_accepted", Requirement.EXTRAS, False, timetable_is_accepted),
    CheckSpec(
        "callback_places_a_call_listed_as_current",
        Requirement.EXTRAS,
        False,
        callback_places_a_call_listed_as_current,
    ),
)
