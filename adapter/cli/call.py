"""`pbx-adapter call PHONE`: click-to-call (the rules: `adapter.dialer`)."""

from __future__ import annotations

import click
import orjson

from adapter.cli.options import settings_options
from adapter.cli.runner import run
from adapter.config import Settings
from adapter.dialer import Dial, dial
from adapter.runtime import open_runtime

__all__ = ["register"]


def register(cli: click.Group) -> None:
    cli.add_command(call)


@click.command()
@click.argument("phone")
@click.option("--employee", "employee_id", default=None, help="employee id (UIS) to ring first")
@click.option("--extension", default=None, help="Mango: the employee's extension")
@click.option("--employee-phone", default=None, help="one SIP line / number of the employee")
@click.option(
    "--virtual-number",
    default=None,
    help="caller id shown to the patient (UIS; default: the number the patient last "
    "called, else the account's default or main number)",
)
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


async def _call(settings: Settings, phone: str, options: dict[str, str | None]) -> Dial:
    need = settings.provider is not None
    # the cache tells which number the patient last called (UIS shows it as caller id)
    cached = need and settings.provider == "uis" and not options.get("virtual_number")
    async with open_runtime(settings, need_source=need, need_store=cached) as rt:
        now = await rt.clock.now()
        return await dial(rt.source, phone, cache=rt.store, now=now, **options)
