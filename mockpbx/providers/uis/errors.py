"""UIS wire errors: JSON-RPC `error{code, message, data{mnemonic, field, value, params}}`.

UisError                      one documented error; `code` is the group, `mnemonic` the case
└── raised by the envelope parser, schemas, filters and handlers, rendered by rpc.py

Texts and codes are copied from the official docs (comagic/comagic.github.io, the commit
`catalog.json` names),
misspellings included (`batch_opreations_not_supported`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["MISSING", "UisError", "code_of_mnemonic", "err"]

MISSING: Any = object()

# mnemonic -> (code, message template)
_TABLE: dict[str, tuple[int, str]] = {
    "parse_error": (-32700, "Invalid JSON was received by the server."),
    "invalid_request": (-32600, "Invalid Request The JSON sent is not a valid Request object"),
    "method_not_found": (-32601, "The method does not exist / is not available"),
    "internal_error": (-32603, "Internal error, contact the support service"),
    "access_token_expired": (-32001, "Access token has been expired"),
    "access_token_blocked": (-32001, "Access token has been blocked"),
    "access_token_invalid": (-32001, "Access token is invalid"),
    "auth_error": (-32001, "Login or password is wrong"),
    "ip_not_whitelisted": (-32003, "Your IP {ip} is not whitelisted"),
    "forbidden": (-32003, "Permission denied"),
    "account_inactive": (-32009, "Your account has been disabled, contact the support service"),
    "limit_exceeded": (
        -32029,
        "Limit per {limit_type} has been exceeded. "
        "Value of current limit per {limit_type} is {limit_max_value}",
    ),
    "batch_opreations_not_supported": (-32099, "Batch operations not supported"),
    "notifications_not_supported": (-32099, "Notifications not supported"),
    "data_type_error": (-32602, "Data supplied is of wrong type"),
    "required_parameter_missed": (-32602, "The required parameter has been missed"),
    "invalid_parameter_value": (-32602, "Invalid parameter value"),
    "unexpected_parameters": (-32602, "Unexpected method parameter(s)"),
    "invalid_parameters_combination": (-32602, "The combination of parameters is not permitted"),
    "sort_prohibited": (-32602, "Sort by parameter is prohibited"),
    "filter_prohibited": (-32602, "Filter by parameter is prohibited"),
    "date_interval_limit_reached": (-32602, "Max value of requested date interval is 3 months"),
    "call_session_not_found": (-32602, "Call session not found"),
    "leg_not_found": (-32602, "The call's leg not found"),
    "employee_not_found": (
        -32602,
        "Employee with id {employee_id} not found. It is not your employee.",
    ),
    "no_active_phone_number": (-32602, "The phone number does not exist or inactive"),
    "own_virtual_phone_number_not_allowed": (
        -32602,
        "Parameter contact can not contain own virtual phone number",
    ),
    "virtual_phone_number_not_found": (
        -32007,
        "Virtual phone number {virtual_phone_number} not found. "
        "It is not your virtual phone number.",
    ),
    "tts_text_exceeded": (
        -32602,
        "The maximum length of Text-to-Speech message is {tts_message_max_length}. "
        "The length of your message is {sent_tts_message_length}",
    ),
    "invalid_state": (-32004, "Invalid state of the call"),
}


class UisError(Exception):
    """One documented UIS error, ready to render as a JSON-RPC error object."""

    def __init__(
        self,
        code: int,
        mnemonic: str,
        message: str,
        *,
        field: str | None = None,
        value: Any = MISSING,
        params: dict[str, Any] | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.mnemonic = mnemonic
        self.message = message
        self.field = field
        self.value = value
        self.params = params
        self.http_status = http_status

    def data(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mnemonic": self.mnemonic}
        if self.field is not None:
            out["field"] = self.field
        if self.value is not MISSING:
            out["value"] = _plain(self.value)
        if self.params:
            out["params"] = self.params
        return out


def err(
    mnemonic: str,
    *,
    field: str | None = None,
    value: Any = MISSING,
    message: str | None = None,
    **params: Any,
) -> UisError:
    """The documented error `mnemonic`, its message filled from `params`."""
    code, template = _TABLE[mnemonic]
    text = message if message is not None else template.format_map(_Default(params))
    return UisError(code, mnemonic, text, field=field, value=value, params=params or None)


def code_of_mnemonic(mnemonic: str) -> int | None:
    entry = _TABLE.get(mnemonic)
    return entry[0] if entry else None


class _Default(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _plain(value: Any) -> Any:
    """What the client sent, echoed back; long strings are cut so replies stay small."""
    if isinstance(value, str) and len(value) > 500:
        return value[:500]
    if isinstance(value, (dict, list)) and len(repr(value)) > 500:
        return repr(value)[:500]
    return value
