"""`pbx-adapter report contact-history|admin-conversion|ad-channels|prepare --from --to ...`.

Without `--provider` (and without `--mockpbx`) a report reads the cache only
and says so; with one, today's calls come from the provider.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import click

from adapter.cli.options import settings_options
from adapter.cli.runner import run
from adapter.config import Settings
from adapter.reports.ad_channels import ad_channels
from adapter.reports.admin_conversion import admin_conversion
from adapter.reports.base import Period, Report, ReportContext, period_of
from adapter.reports.contact_history import contact_history, history_start
from adapter.reports.render import FORMATS, LANGS, render
from adapter.runtime import open_runtime

__all__ = ["register"]

Build = Callable[[ReportContext, Period], Awaitable[Report]]


async def run_report(
    settings: Settings,
    build: Build,
    first: date | None,
    last: date | None,
    *,
    default_days: int,
) -> Report:
    """Build a report over --from..--to; without --from, `default_days` back from --to, or
    (0) the cached history plus today (`history_start`)."""
    need_source = settings.provider is not None
    async with open_runtime(settings, need_source=need_source) as rt:
        ctx = ReportContext(rt.require_store(), rt.clock, rt.source)
        tz = await ctx.timezone()
        today = (await rt.clock.now()).astimezone(tz).date()
        last = last or today
        if first is None and default_days:
            first = last - timedelta(days=default_days - 1)
        elif first is None:
            first = min(await history_start(ctx, today), last)
        return await build(ctx, period_of(first, last, tz))


def _emit(report: Report, fmt: str, output: str | None, lang: str = "ru") -> None:
    body = render(report, fmt, lang)
    if output is None:
        click.echo(body, nl=not body.endswith("\n"))
        return
    Path(output).write_text(body, encoding="utf-8")
    click.echo(f"{report.report}: {len(report.rows)} row(s) written to {output}", err=True)


def _day(value: datetime | None) -> date | None:
    return None if value is None else value.date()


def _common(func: Callable[..., None]) -> Callable[..., None]:
    func = click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), default=None)(
        func
    )
    func = click.option(
        "--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), default=None, help="default today"
    )(func)
    func = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table")(func)
    func = click.option("--output", "-o", type=click.Path(dir_okay=False), default=None)(func)
    func = click.option(
        "--lang",
        type=click.Choice(LANGS),
        default="ru",
        show_default=True,
        help="language of the HTML page",
    )(func)
    return func


def register(cli: click.Group) -> None:
    @cli.group()
    def report() -> None:
        """Contact history, administrator conversion, advertising channels."""

    @report.command("contact-history")
    @_common
    @click.option("--phone", default=None, help="one caller's number")
    @click.option("--patient", default=None, help="a patient id from the clinic data")
    @click.option("--callback-hours", type=int, default=24, show_default=True)
    @settings_options
    def contact_history_cmd(
        settings: Settings,
        date_from: datetime | None,
        date_to: datetime | None,
        fmt: str,
        output: str | None,
        lang: str,
        phone: str | None,
        patient: str | None,
        callback_hours: int,
    ) -> None:
        """Every call of a patient, a phone or a period (default 7 days; one caller: the cached
        history plus today)."""

        async def build(ctx: ReportContext, period: Period) -> Report:
            return await contact_history(
                ctx, period, phone=phone, patient=patient, callback_hours=callback_hours
            )

        days = 0 if (phone or patient) else 7
        got = run(run_report(settings, build, _day(date_from), _day(date_to), default_days=days))
        _emit(got, fmt, output, lang)

    @report.command("admin-conversion")
    @_common
    @click.option("--booking-days", type=int, default=7, show_default=True)
    @settings_options
    def admin_conversion_cmd(
        settings: Settings,
        date_from: datetime | None,
        date_to: datetime | None,
        fmt: str,
        output: str | None,
        lang: str,
        booking_days: int,
    ) -> None:
        """New callers, bookings and visits per administrator (default: 30 days)."""

        async def build(ctx: ReportContext, period: Period) -> Report:
            return await admin_conversion(ctx, period, booking_days=booking_days)

        got = run(run_report(settings, build, _day(date_from), _day(date_to), default_days=30))
        _emit(got, fmt, output, lang)

    @report.command("prepare")
    @click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), default=None)
    @click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), default=None)
    @click.option("--booking-days", type=int, default=7, show_default=True)
    @settings_options
    def prepare_cmd(
        settings: Settings, date_from: datetime | None, date_to: datetime | None, booking_days: int
    ) -> None:
        """Build the daily rollups of a period (default: a year) so that reports start warm.

        Run it after a long backfill (or from cron after `sync`): the first report over
        days not rolled up yet builds them itself, which takes seconds for a year.
        """

        async def build(ctx: ReportContext, period: Period) -> Report:
            await admin_conversion(ctx, period, booking_days=booking_days)
            return await ad_channels(ctx, period, booking_days=booking_days)

        got = run(run_report(settings, build, _day(date_from), _day(date_to), default_days=365))
        click.echo(f"rollups ready for {got.period.first}..{got.period.last}")

    @report.command("ad-channels")
    @_common
    @click.option("--booking-days", type=int, default=7, show_default=True)
    @settings_options
    def ad_channels_cmd(
        settings: Settings,
        date_from: datetime | None,
        date_to: datetime | None,
        fmt: str,
        output: str | None,
        lang: str,
        booking_days: int,
    ) -> None:
        """Calls, patients, revenue and cost per channel / source / campaign (default 30 days)."""

        async def build(ctx: ReportContext, period: Period) -> Report:
            return await ad_channels(ctx, period, booking_days=booking_days)

        got = run(run_report(settings, build, _day(date_from), _day(date_to), default_days=30))
        _emit(got, fmt, output, lang)
