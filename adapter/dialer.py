"""Click-to-call: a `callto:` link for softphones, or a provider callback, employee first.

With a provider that has the CALLBACK capability the PBX first rings the
employee's phone and only once they answer dials the patient: UIS
`start.employee_call` with `first_call: employee`, Mango `commands/callback`
from the employee's extension. The patient is never rung first (a patient
waiting for an administrator to pick up is bad service, so there is no
option for it). `CallbackRequest` has no "who first" field on purpose: each
client sends its provider's employee-first form.

Without the capability (or without a provider) the result is the `callto:`
link with a message saying why; that is not an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import click
import orjson

from adapter.config import Settings, settings_options
from adapter.errors import ConfigError
from adapter.model import to_e164
from adapter.providers.base import CallbackRequest, Capability, Provider

__all__ = ["Dial", "callto_link", "dial", "register"]


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
    result = await source.callback(request)
    return Dial(
        number,
        link,
        True,
        result.provider,
        result.request_id,
        "employee",
        f"{result.provider}: ringing the employee first, then {number}",
    )


async def _call(settings: Settings, phone: str, options: dict[str, str | None]) -> Dial:
    from adapter.runtime import open_runtime

    need = settings.provider is not None
    async with open_runtime(settings, need_source=need, need_store=False) as rt:
        return await dial(rt.source, phone, **options)


def register(cli: click.Group) -> None:
    from adapter.cli import run

    @cli.command()
    @click.argument("phone")
    @click.option("--employee", "employee_id", default=None, help="employee id (UIS) to ring first")
    @click.option("--extension", default=None, help="Mango: the employee's extension")
    @click.option("--employee-phone", default=None, help="one SIP line / number of the employee")
    @click.option("--virtual-number", default=None, help="caller id shown to the patient")
    @click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
    @settings_options
    def call(
        settings: Settings,
        phone: str,
        employee_id: str | None,
        extension: str | None,
        employee_phone: str | None,
        virtual_number: str | None,
        fmt: str,
    ) -> None:
        """Call PHONE: a provider callback (employee first), or the callto: link."""
        options = {
            "employee_id": employee_id,
            "extension": extension,
            "employee_phone": employee_phone,
            "virtual_number": virtual_number,
        }
        result = run(_call(settings, phone, options), settings)
        if fmt == "json":
            click.echo(orjson.dumps(result.as_json()).decode())
            return
        click.echo(result.message)
        click.echo(result.callto)
