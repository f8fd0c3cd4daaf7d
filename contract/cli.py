"""`pbx-contract`: verify that a clinic's own provider API meets the published spec.

    pbx-contract verify BASE_URL --key KEY [--from ISO --to ISO] [--tz +03:00|Europe/Moscow]
                        [--html FILE] [--junit FILE] [--lang en|ru]
    pbx-contract spec                   print the OpenAPI document

Exit status: 0 when the provider passed (also when it passed only for what it
offers: a feature it does not offer is not a failure), 1 when a required
check failed, 2 on usage errors.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from contract.messages import LANGS, progress_line, ui
from contract.report import render_html, render_junit, render_terminal
from contract.verify import Options, verify

__all__ = ["main"]


class IsoTime(click.ParamType):  # type: ignore[type-arg]
    name = "ISO 8601 time with offset"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            when = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not ISO 8601 (e.g. 2024-05-14T00:00:00+03:00)", param, ctx)
        if when.tzinfo is None:
            self.fail(f"{value!r} needs a UTC offset, e.g. +03:00", param, ctx)
        return when


OFFSET_RE = re.compile(r"^(?:UTC)?([+-])(\d{1,2})(?::?(\d{2}))?$")


class Zone(click.ParamType):  # type: ignore[type-arg]
    name = "time zone"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> tzinfo:
        if isinstance(value, tzinfo):
            return value
        text = str(value).strip()
        match = OFFSET_RE.match(text)
        if match:
            sign, hours, minutes = match.groups()
            delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
            if delta > timedelta(hours=14):
                self.fail(f"{text!r} is beyond ±14:00", param, ctx)
            return timezone(-delta if sign == "-" else delta)
        try:
            return ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail(f"{text!r} is neither an offset (+03:00) nor a zone name", param, ctx)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """The clinic provider contract: OpenAPI spec and verifier."""


@main.command("spec")
def spec() -> None:
    """Print the OpenAPI 3.1 document a provider implements."""
    from contract.openapi import spec_text

    click.echo(spec_text(), nl=False)


@main.command("verify")
@click.argument("base_url")
@click.option(
    "--key",
    required=True,
    envvar="PBX_CONTRACT_KEY",
    help="The IDENT-Integration-Key (or env PBX_CONTRACT_KEY).",
)
@click.option(
    "--from",
    "start",
    type=IsoTime(),
    help="Period start (inclusive), with offset. Default: 7 days before today.",
)
@click.option(
    "--to", "end", type=IsoTime(), help="Period end (exclusive), with offset. Default: today 00:00."
)
@click.option(
    "--tz",
    type=Zone(),
    help="The clinic's time zone for the period and the report (+03:00 or Europe/Moscow). "
    "Default: the offset the provider's own times carry.",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write an HTML report here.",
)
@click.option(
    "--junit",
    "junit_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write JUnit XML here.",
)
@click.option(
    "--lang",
    type=click.Choice(LANGS),
    default="en",
    show_default=True,
    help="Language of the report.",
)
@click.option(
    "--rate",
    type=click.FloatRange(0.1, 1000),
    default=20.0,
    show_default=True,
    help="Requests per second at most.",
)
@click.option(
    "--max-examples",
    type=click.IntRange(1, 10000),
    default=25,
    show_default=True,
    help="Generated requests per operation and mode.",
)
@click.option(
    "--observe",
    type=click.FloatRange(0, 3600),
    default=20.0,
    show_default=True,
    help="Seconds to watch current calls.",
)
@click.option(
    "--poll",
    type=click.FloatRange(0.1, 60),
    default=2.0,
    show_default=True,
    help="Seconds between polls of current calls.",
)
@click.option("--no-conformance", is_flag=True, help="Skip the generated (Schemathesis) requests.")
@click.option(
    "--allow-writes", is_flag=True, help="Also send PostTimeTable (writes a test schedule)."
)
@click.option("--allow-calls", is_flag=True, help="Also send StartCallback (rings real phones).")
@click.option("--callback-employee", help="EmployeePhone for the callback check.")
@click.option("--callback-client", help="ClientPhone for the callback check.")
def verify_command(
    base_url: str,
    key: str,
    start: datetime | None,
    end: datetime | None,
    tz: tzinfo | None,
    html_path: Path | None,
    junit_path: Path | None,
    lang: str,
    rate: float,
    max_examples: int,
    observe: float,
    poll: float,
    no_conformance: bool,
    allow_writes: bool,
    allow_calls: bool,
    callback_employee: str | None,
    callback_client: str | None,
) -> None:
    """Check the provider API at BASE_URL against the contract (read-only by default)."""
    if (start is None) != (end is None):
        raise click.UsageError("give both --from and --to, or neither")
    options = Options(
        base_url=base_url,
        key=key,
        start=start,
        end=end,
        rate=rate,
        max_examples=max_examples,
        observe_seconds=observe,
        poll_interval=poll,
        conformance=not no_conformance,
        allow_writes=allow_writes,
        allow_calls=allow_calls,
        callback_employee=callback_employee,
        callback_client=callback_client,
        tz=tz,
    )
    from rich.console import Console

    console = Console(stderr=False)
    with console.status(ui("checking", lang)) as status:
        report = verify(options, progress=lambda name: status.update(progress_line(name, lang)))
    render_terminal(report, lang, console)
    if html_path is not None:
        html_path.write_text(render_html(report, lang), encoding="utf-8")
    if junit_path is not None:
        junit_path.write_text(render_junit(report, lang), encoding="utf-8")
    sys.exit(0 if report.passed else 1)


if __name__ == "__main__":
    main()
