"""`pbx-adapter`: the clinic-side client. Every click command of it lives in this package.

This is the composition root: one module per command (group), each with
`register(cli: click.Group)`, named in `COMMAND_MODULES` (explicit imports;
no command module imports this package back). The domain modules they call
(`adapter.sync`, `adapter.live`, `adapter.dialer`, `adapter.reports`,
`adapter.clinic_data`, `adapter.accounts`, `adapter.worker`) have no click.
Every command takes the same settings options (`options.settings_options`),
opens what it needs with `adapter.runtime.open_runtime` and runs through
`runner.run` (errors -> clean exit codes):

    @click.command()
    @settings_options
    def live(settings: Settings) -> None:
        run(_live(settings), settings)

    def register(cli: click.Group) -> None:
        cli.add_command(live)

Exit codes: 0 ok, 1 provider or store failure, 2 wrong or missing setting.
"""

from __future__ import annotations

from types import ModuleType

import click

from adapter.cli import (
    accounts,
    call,
    clinic,
    export,
    live,
    report,
    status,
    sync,
    worker,
)

__all__ = ["COMMAND_MODULES", "main"]

# The modules that add subcommands with `register(cli)`, in registration order.
COMMAND_MODULES = (sync, status, export, live, call, report, clinic, worker, accounts)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """The clinic-side adapter for UIS, Mango Office and the clinic HTTP API."""


def _register(group: click.Group, modules: tuple[ModuleType, ...]) -> None:
    for module in modules:
        module.register(group)


_register(main, COMMAND_MODULES)
