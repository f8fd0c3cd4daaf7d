"""`mockpbx`: run the mock PBX server and work with its scenarios."""

from __future__ import annotations

import contextlib
import json
import sys
from datetime import datetime
from pathlib import Path

import click
from aiohttp import web

from mockpbx.app import create_app, create_state
from mockpbx.scenarios.loader import ScenarioError, builtin_names, builtin_path, load_scenario
from mockpbx.scenarios.model import Scenario
from mockpbx.state import ServerState

__all__ = ["main"]

EXIT_INVALID = 2  # an invalid scenario file (like click's usage errors)


def _load(name_or_path: str) -> Scenario:
    """A scenario, or exit 2 with the loader's message (file, field path, expectation)."""
    try:
        return load_scenario(name_or_path)
    except ScenarioError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(EXIT_INVALID) from None


def _parse_start(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not ISO 8601: {value!r}", param_hint="--start") from None
    if when.tzinfo is None:
        raise click.BadParameter("must carry a UTC offset, e.g. +03:00", param_hint="--start")
    return when


def _install_accounts(state: ServerState, spec: str) -> None:
    """`--accounts N` or `--accounts FILE` (see `mockpbx.accounts`)."""
    from mockpbx.accounts import MAX_ACCOUNTS, install_accounts, load_accounts_file

    if spec.strip().isdigit():
        count = int(spec)
        if not 1 <= count <= MAX_ACCOUNTS:
            raise click.BadParameter(f"must be 1..{MAX_ACCOUNTS}", param_hint="--accounts")
        install_accounts(state, count)
        return
    try:
        accounts = load_accounts_file(spec)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--accounts") from None
    install_accounts(state, accounts.count, accounts.timezones)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mockpbx")
def main() -> None:
    """A provider-compatible mock PBX: UIS, Mango Office and the clinic HTTP API."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the world.")
@click.option(
    "--clock-rate",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Virtual clock speed: 0 frozen (moves only via the API), 1 real time, N faster.",
)
@click.option("--start", default=None, help="Virtual start time, ISO 8601 with offset.")
@click.option(
    "--mango-webhook",
    default=None,
    metavar="URL",
    help="Integrator base URL Mango events are posted to (<URL>events/call, ...).",
)
@click.option(
    "--scenario",
    "scenario_name",
    default=None,
    metavar="NAME|FILE",
    help="A built-in scenario (see `mockpbx scenarios list`) or a scenario file.",
)
@click.option(
    "--accounts",
    "accounts_spec",
    default="1",
    show_default=True,
    metavar="N|FILE",
    help="Serve N client accounts (or an accounts YAML file: count, timezones).",
)
def serve(
    host: str,
    port: int,
    seed: int,
    clock_rate: float,
    start: str | None,
    mango_webhook: str | None,
    scenario_name: str | None,
    accounts_spec: str,
) -> None:
    """Serve the mock until Ctrl-C."""
    scenario = _load(scenario_name) if scenario_name else None
    state = create_state(seed=seed, start=_parse_start(start), rate=clock_rate, scenario=scenario)
    _install_accounts(state, accounts_spec)
    if mango_webhook:
        state.options["mango"] = {"webhook_url": mango_webhook}
    app = create_app(state)
    base = f"http://{host}:{port}"
    click.echo(
        f"mockpbx serving on {base}  (scenario {state.world.meta.get('scenario')}, seed {seed})"
    )
    click.echo(json.dumps(state.credentials.document(base), ensure_ascii=False, indent=2))
    if state.accounts is not None:
        click.echo(f"{accounts_spec} accounts: every one's credentials at {base}/_mockpbx/accounts")
    click.echo(f"dashboard: {base}/_mockpbx/  (clock, faults, live calls, journal, truth)")
    click.echo("Ctrl-C stops it.")
    with contextlib.suppress(KeyboardInterrupt):
        web.run_app(app, host=host, port=port, print=None, handle_signals=True)
    click.echo("mockpbx stopped.")


@main.command()
@click.option(
    "--store",
    default="mockpbx-demo.sqlite3",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file the adapter caches calls in.",
)
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--keep", is_flag=True, help="Keep an existing cache file (default: start fresh).")
def demo(store: Path, seed: int, keep: bool) -> None:
    """Run the main job end to end: mock, background sync, report, check against the truth."""
    from mockpbx.demo import run_demo

    run_demo(store, seed, keep)


@main.group()
def scenarios() -> None:
    """List, show and validate scenario files."""


@scenarios.command("list")
def scenarios_list() -> None:
    """The built-in scenarios, with what each is for."""
    for name in builtin_names():
        click.echo(f"{name:14} {load_scenario(name).description}")


@scenarios.command("show")
@click.argument("name")
@click.option("--resolved", is_flag=True, help="Every field with its default, as YAML.")
def scenarios_show(name: str, resolved: bool) -> None:
    """Print a built-in scenario (its file, or with --resolved every field)."""
    path = builtin_path(name)
    if resolved or path is None:
        import yaml

        data = _load(name).model_dump(mode="json", by_alias=True)
        click.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
        return
    click.echo(path.read_text(encoding="utf-8"), nl=False)


@scenarios.command("validate")
@click.argument("file")
def scenarios_validate(file: str) -> None:
    """Check a scenario file; exit 2 with the problems if it is invalid."""
    sc = _load(file)
    click.echo(
        f"{file}: ok (scenario {sc.name!r}: {len(sc.clinics)} clinic(s), "
        f"{sum(s.count for s in sc.staff) or 3} staff, {len(sc.scripted)} scripted call(s), "
        f"{len(sc.faults)} fault(s))"
    )


@main.command()
@click.option(
    "--scenario",
    "scenario_name",
    default="default",
    show_default=True,
    metavar="NAME|FILE",
    help="A built-in scenario or a scenario file.",
)
@click.option("--seed", default=1, show_default=True, type=int)
@click.option(
    "--from",
    "first",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="First day (local date of the account).",
)
@click.option(
    "--to", "last", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day, inclusive."
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON-lines file to write (- for stdout).",
)
def generate(scenario_name: str, seed: int, first: datetime, last: datetime, out: Path) -> None:
    """Export the truth (calls and clinic side) of a period as JSON lines."""
    from mockpbx.scenarios.export import export_truth

    if last < first:
        raise click.BadParameter("--to must not be before --from", param_hint="--to")
    scenario = _load(scenario_name)
    if str(out) == "-":
        count = export_truth(scenario, seed, first.date(), last.date(), sys.stdout)
    else:
        with out.open("w", encoding="utf-8") as fh:
            count = export_truth(scenario, seed, first.date(), last.date(), fh)
        click.echo(
            f"{out}: {count} calls of {first.date()}..{last.date()} and the clinic side", err=True
        )


if __name__ == "__main__":
    main()
