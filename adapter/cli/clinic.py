"""`pbx-adapter import-clinic FILE` and `pbx-adapter comment CALL_ID`: the clinic's data.

`import-clinic` loads a clinic-data document (`adapter.clinic_data`);
`comment` saves the administrator's call type and topic with a call
(`call_comments`): reports show it and use its author as the administrator
who took the call, the live window shows it beside the call.
"""

from __future__ import annotations

from datetime import datetime

import click

from adapter.cli.options import settings_options
from adapter.cli.runner import open_store
from adapter.clinic_data import import_file
from adapter.config import Settings
from adapter.errors import ConfigError
from adapter.store.clinic import CallComment, ClinicStore
from adapter.store.sql import SqlStore

__all__ = ["register"]


def register(cli: click.Group) -> None:
    cli.add_command(import_clinic)
    cli.add_command(comment)


@click.command("import-clinic")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--comments-provider",
    default=None,
    help="provider whose call ids the comments use (default: --provider, else uis)",
)
@settings_options
def import_clinic(settings: Settings, file: str, comments_provider: str | None) -> None:
    """Load clinic data (patients, visits, appointments, comments, ad channels) from FILE."""
    store = open_store(settings)
    try:
        provider = comments_provider or settings.provider or "uis"
        try:
            counts = import_file(store.engine, file, provider=provider)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    summary = ", ".join(f"{v} {k}" for k, v in counts.items())
    click.echo(f"imported into {store.display_url}: {summary}")


@click.command()
@click.argument("call_id")
@click.option("--type", "call_type", required=True, help='e.g. "Пациент. Хочет записаться"')
@click.option("--topic", default=None)
@click.option("--text", default=None)
@click.option("--author", default=None, help="the administrator's employee id")
@settings_options
def comment(
    settings: Settings, call_id: str, call_type: str, topic: str | None, text: str | None,
    author: str | None,
) -> None:  # fmt: skip
    """Save the administrator's comment (call type, topic) with a call."""
    provider = settings.provider or "uis"
    store = SqlStore(settings.store)
    try:
        note = CallComment(provider, call_id, call_type, topic, text, author)
        ClinicStore(store.engine).save_comment(note, now=datetime.now().astimezone())
    finally:
        store.close()
    click.echo(f"comment saved for {provider} call {call_id}")
