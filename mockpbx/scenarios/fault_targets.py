"""What a fault can aim at: each face and the methods its fault hook sees.

The scenario layer may not import the faces, so their method names are
listed here; `tests/mockpbx/faults/test_validation.py` checks that these
lists equal the faces' own method tables, so they cannot drift apart.
"""

from __future__ import annotations

__all__ = ["FAULT_METHODS", "listed"]

FAULT_METHODS: dict[str, tuple[str, ...]] = {
    "clinic": (
        "GetFinishedCalls",
        "GetOngoingCalls",
        "GetTickets",
        "PostTimeTable",
        "StartCallback",
    ),
    "mango": (
        "account/balance",
        "commands/call/hangup",
        "commands/callback",
        "commands/callback_group",
        "commands/play/start",
        "commands/recording/start",
        "commands/route",
        "commands/sms",
        "commands/transfer",
        "config/users/request",
        "groups",
        "incominglines",
        "queries/recording/link",
        "queries/recording/post",
        "queries/user_history_by_dct_number",
        "queries/user_info_by_dct_number",
        "sips",
        "stats/calls/request",
        "stats/calls/result",
        "stats/request",
        "stats/result",
        "trunks/numbers",
    ),
    "uis": (
        "disconnect.leg",
        "get.account",
        "get.call_legs_report",
        "get.calls_report",
        "get.communications_report",
        "get.employees",
        "get.group_employees",
        "get.media_files",
        "get.scenarios",
        "get.sip_lines",
        "get.tags",
        "get.virtual_numbers",
        "list.calls",
        "login.user",
        "logout.user",
        "release.call",
        "start.employee_call",
        "start.simple_call",
    ),
}


def listed(values: list[str] | tuple[str, ...]) -> str:
    """'a', 'b' or 'c': the way pydantic names the values a literal accepts."""
    quoted = [repr(v) for v in values]
    if len(quoted) < 2:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]
