"""Click-to-call: a `callto:` link for softphones, or a provider callback, employee first.

With a provider that has the CALLBACK capability the PBX first rings the
employee's phone and only once they answer dials the patient: UIS
`start.employee_call` with `first_call: employee`, Mango `commands/callback`
from the employee's extension. The patient is never rung first (a patient
waiting for an administrator to pick up is bad service, so there is no
option for it). `CallbackRequest` has no "who first" field on purpose: each
client sends its provider's employee-first form.

Without the capability (or without a provider, or when the provider answers
that it does not offer callback) the result is the `callto:` link with a
message saying why; that is not an error.

**The number the patient sees** (UIS needs one): `--virtual-number` if
given; else the number the patient last called (from the cache, what a
patient expects to be called back from); else the account's configured
default (`uis.virtual_number`); else the account's main number (its first
virtual number). The message says which one was used.

The command is `pbx-adapter call` (`adapter.cli.call`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from adapter.errors import CapabilityError, ConfigError
from adapter.model import CallRecord, to_e164
from adapter.providers.base import CallbackRequest, Capability, Provider

__all__ = ["CallerId", "Dial", "callto_link", "choose_caller_id", "dial", "last_called"]

LOOK_BACK = timedelta(days=365)  # how far back the cache is searched for the patient's call


class CallCache(Protocol):
    def iter_calls(
        self,
        start: datetime,
        end: datetime,
        *,
        account: str | None = None,
        phone: str | None = None,
    ) -> Any: ...


@dataclass(frozen=True, slots=True)
class CallerId:
    """The number the patient sees, and why it was chosen."""

    number: str | None
    why: str  # "given", "last_called", "configured", "main", "none"
    when: datetime | None = None  # the patient's last call, for "last_called"

    def describe(self) -> str:
        if self.number is None:
            return "no number to show the patient"
        if self.why == "last_called" and self.when is not None:
            return f"{self.number}, the number the patient last called ({self.when:%Y-%m-%d %H:%M})"
        return {
            "given": f"{self.number} (--virtual-number)",
            "configured": f"{self.number}, the account's default (uis.virtual_number)",
            "main": f"{self.number}, the account's main number",
        }.get(self.why, self.number)


def last_called(cache: CallCache | None, phone: str, now: datetime) -> CallRecord | None:
    """The patient's most recent cached call through one of the clinic's numbers (SQL: call
    it from a worker thread)."""
    if cache is None:
        return None
    found: CallRecord | None = None
    for record in cache.iter_calls(now - LOOK_BACK, now, phone=phone):
        if record.virtual_number:
            found = record  # oldest first: the last one wins
    return found


async def choose_caller_id(
    source: Provider,
    phone: str,
    given: str | None,
    configured: str | None,
    cache: CallCache | None,
    now: datetime | None = None,
) -> CallerId:
    """`--virtual-number`, else the number the patient last called, else the account's own."""
    if given:
        return CallerId(to_e164(given) or given, "given")
    last = await asyncio.to_thread(last_called, cache, phone, now or datetime.now(UTC))
    if last is not None and last.virtual_number:
        return CallerId(last.virtual_number, "last_called", last.started_at)
    if configured:
        return CallerId(to_e164(configured) or configured, "configured")
    main = getattr(source, "main_number", None)
    number = await main() if main is not None else None
    return CallerId(number, "main") if number else CallerId(None, "none")


@dataclass(frozen=True, slots=True)
class Dial:
    phone: str
    callto: str  # always given: the softphone link
    started: bool  # a provider callback was started
    provider: str | None = None
    request_id: str | None = None  # UIS call_session_id, Mango command_id
    first_call: str | None = None  # "employee" when started
    message: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "phone": self.phone,
            "callto": self.callto,
            "started": self.started,
            "provider": self.provider,
            "request_id": self.request_id,
            "first_call": self.first_call,
            "message": self.message,
        }


def callto_link(phone: str) -> str:
    """`callto:+79161234567` (E.164 when it is a phone number, else as given)."""
    number = to_e164(phone)
    if not number:
        raise ConfigError("no phone number to call", setting="phone")
    return f"callto:{number}"


async def dial(
    source: Provider | None,
    phone: str,
    *,
    employee_id: str | None = None,
    extension: str | None = None,
    employee_phone: str | None = None,
    virtual_number: str | None = None,
    cache: CallCache | None = None,
    now: datetime | None = None,
) -> Dial:
    """Start a callback (employee first) where the provider can; else the callto: link."""
    link = callto_link(phone)
    number = to_e164(phone) or phone
    if source is None:
        return Dial(number, link, False, message=f"no provider configured: open {link}")
    if Capability.CALLBACK not in source.capabilities:
        return Dial(
            number,
            link,
            False,
            source.name,
            message=f"{source.name} (as configured) cannot start a callback: open {link} "
            "in a softphone instead",
        )
    request = CallbackRequest(
        contact_number=number,
        employee_id=employee_id,
        extension=extension or (employee_id if source.name == "mango" else None),
        employee_phone=employee_phone,
        virtual_number=virtual_number,
    )
    shown = ""
    if source.name == "uis":  # UIS shows the patient a virtual number: choose one, say which
        caller = await choose_caller_id(source, number, virtual_number, _configured(source), cache)
        request = replace(request, virtual_number=caller.number)
        shown = f"; the patient sees {caller.describe()}"
    try:
        result = await source.callback(request)
    except CapabilityError as exc:  # the provider answered that it has no callback
        return Dial(
            number,
            link,
            False,
            source.name,
            message=f"{source.name} does not offer callback ({exc}): open {link} in a "
            "softphone instead",
        )
    return Dial(
        number,
        link,
        True,
        result.provider,
        result.request_id,
        "employee",
        f"{result.provider}: ringing the employee first, then {number}{shown}",
    )


def _configured(source: Provider) -> str | None:
    settings = getattr(source, "settings", None)
    value = getattr(settings, "virtual_number", None)
    return value if isinstance(value, str) and value else None
