"""The CLI commands of issue 15: `record`, `fidelity`, `scenarios fit`, `scenarios compare`.

Only click is imported here; each command imports its machinery when it runs,
so `mockpbx --help` and the other commands stay as cheap as before.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

__all__ = ["load_replay_or_exit", "register"]

FACE_CHOICE = click.Choice(["uis-data", "uis-call", "mango", "clinic"])
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def load_replay_or_exit(paths: Iterable[str], fallback: str) -> Any:
    """A Replay for `serve --replay`, or exit 2 naming the cassette that cannot be read."""
    from mockpbx.record.cassette import CassetteError
    from mockpbx.record.replay import load_replay

    try:
        return load_replay(paths, "world" if fallback == "world" else "not-found")
    except CassetteError as exc:
        click.echo(f"--replay: {exc}", err=True)
        raise SystemExit(2) from None


def _cassette_or_exit(path: Path) -> Any:
    from mockpbx.record.cassette import CassetteError, read_cassette

    try:
        return read_cassette(path)
    except CassetteError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(2) from None


@click.command()
@click.option("--face", required=True, type=FACE_CHOICE, help="The provider API recorded.")
@click.option("--upstream", required=True, metavar="URL", help="The provider's base URL.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8090, show_default=True, type=int)
@click.option("--no-redact", is_flag=True, help="Keep personal data (secrets are never kept).")
@click.option("--events-to", metavar="URL", help="Mango: relay webhook posts to this receiver.")
@click.option("--api-key", envvar="MANGO_API_KEY", help="Mango: check event signatures.")
@click.option("--api-salt", envvar="MANGO_API_SALT", help="Mango: check event signatures.")
def record(
    face: str,
    upstream: str,
    out: Path,
    host: str,
    port: int,
    no_redact: bool,
    events_to: str | None,
    api_key: str | None,
    api_salt: str | None,
) -> None:
    """Proxy a provider and record its traffic to a cassette until Ctrl-C."""
    from aiohttp import web

    from mockpbx.record.proxy import ProxyConfig, create_proxy_app

    if not upstream.startswith(("http://", "https://")):
        raise click.BadParameter("must be an http(s) URL", param_hint="--upstream")
    if events_to is not None and face != "mango":
        raise click.BadParameter("only the mango face has webhooks", param_hint="--events-to")
    config = ProxyConfig(face, upstream, out, not no_redact, events_to, api_key, api_salt)
    click.echo(f"recording {face} via http://{host}:{port} -> {upstream} into {out}")
    if not no_redact:
        click.echo("redaction on: secrets removed, personal data pseudonymized")
    web.run_app(create_proxy_app(config), host=host, port=port, print=None)


@click.command()
@click.argument("cassette", type=_FILE)
@click.option("--scenario", "scenario_name", default="default", metavar="NAME|FILE")
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--start", default=None, help="The mock's virtual time (default: the recording's).")
@click.option("--html", "html_out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="The report as JSON on stdout.")
@click.option("--no-options", is_flag=True, help="Do not search the face options that close.")
def fidelity(
    cassette: Path,
    scenario_name: str,
    seed: int,
    start: str | None,
    html_out: Path | None,
    as_json: bool,
    no_options: bool,
) -> None:
    """Compare the recorded provider with the mock, method by method."""
    import json

    from mockpbx.cli_args import load_or_exit, parse_start
    from mockpbx.record.fidelity import FidelityRun, render_html, render_text

    report = FidelityRun(
        _cassette_or_exit(cassette),
        scenario=load_or_exit(scenario_name),
        seed=seed,
        start=parse_start(start),
        search_options=not no_options,
    ).run()
    if html_out is not None:
        html_out.write_text(render_html(report), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(report))


@click.command("fit")
@click.argument("source", type=_FILE)
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", default="fitted", show_default=True)
def scenarios_fit(source: Path, out: Path, name: str) -> None:
    """Derive a scenario from a cassette or a history export (JSON lines)."""
    from mockpbx.record.fit import FitError, fit_file

    try:
        text, summary = fit_file(source, name)
    except FitError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(2) from None
    out.write_text(text, encoding="utf-8")
    click.echo(f"{out}: {summary}", err=True)


@click.command("compare")
@click.argument("a", type=_FILE)
@click.argument("b", type=_FILE)
@click.option("--json", "as_json", is_flag=True)
def scenarios_compare(a: Path, b: Path, as_json: bool) -> None:
    """Statistical distances between two histories, per distribution."""
    import json

    from mockpbx.record.fit import FitError, compare_files, render_distances

    try:
        distances = compare_files(a, b)
    except FitError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(2) from None
    if as_json:
        click.echo(json.dumps(distances, ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(render_distances(distances))


def register(main: click.Group, scenarios: click.Group) -> None:
    """Add the commands to the `mockpbx` group and its `scenarios` subgroup."""
    main.add_command(record)
    main.add_command(fidelity)
    scenarios.add_command(scenarios_fit)
    scenarios.add_command(scenarios_compare)
