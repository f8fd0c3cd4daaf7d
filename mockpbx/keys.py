"""Typed keys for what mockpbx stores on a request while handling it (aiohttp's `RequestKey`).

Faces say which provider method a request is, and what went wrong; the fault
layer marks what it did; the journal middleware (`mockpbx.app`) reads it all.
Typed keys instead of strings: aiohttp warns (`NotAppKeyWarning`) on string keys,
and a server inside a user's test suite must emit no warnings.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

__all__ = [
    "ACCOUNT",
    "ERROR",
    "FACE",
    "FAULT",
    "FAULT_CREDENTIAL",
    "FAULT_DUPLICATE_ROWS",
    "FAULT_RESET",
    "FAULT_TRUNCATE",
    "JOURNAL_PARAMS",
    "METHOD",
]

FACE = web.RequestKey("face", str)  # "uis" | "mango" | "clinic": the journal records the request
METHOD = web.RequestKey("method", str)  # the provider method (journal; default: the path)
ERROR = web.RequestKey("error", str)  # the provider error the request got (journal)
JOURNAL_PARAMS = web.RequestKey[Any]("journal_params")  # the parameters the journal shows
FAULT = web.RequestKey("fault", str)  # comma-joined kinds of the faults that hit the request
FAULT_DUPLICATE_ROWS = web.RequestKey[Any]("fault_duplicate_rows")  # a state.PageShift (paging)
FAULT_CREDENTIAL = web.RequestKey("fault_credential", str)  # "static" | "session" | "" (expiry)
ACCOUNT = web.RequestKey[Any]("account")  # the ServerState of the request's account (--accounts)
FAULT_RESET = web.RequestKey("fault_reset", bool)  # reset the connection instead of answering
FAULT_TRUNCATE = web.RequestKey("fault_truncate", int)  # cut the body (-1: at half)
