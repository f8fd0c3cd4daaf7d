"""`mockpbx`: run the mock PBX server and work with its scenarios."""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import json
import os
import socket
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import click
from aiohttp import web

from mockpbx.app import create_app, create_state
from mockpbx.cli_args import EXIT_INVALID, load_or_exit, parse_start
from mockpbx.scenarios.loader import builtin_names, builtin_path, load_scenario
from mockpbx.state import ServerState

__all__ = ["main"]


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_exposure(host: str, token: str | None, insecure: bool) -> None:
    """Beyond loopback the control plane needs a token, or an explicit --insecure-control."""
    if token is not None and not token.strip():
        raise click.BadParameter("must not be empty", param_hint="--control-token")
    if insecure:
        click.echo(
            "WARNING: --insecure-control: anyone who reaches this port can reset the world, "
            "inject faults, read the credentials and make the mock post to any URL.",
            err=True,
        )
    elif not _is_loopback(host) and token is None:
        raise click.UsageError(
            f"--host {host} is reachable beyond this machine: give --control-token TOKEN "
            "(or MOCKPBX_CONTROL_TOKEN), or --insecure-control to run without one."
        )


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
    "--ready-file",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Once listening, write {url, host, port, pid, credentials} as JSON here "
    "(atomically; removed on exit).",
)
@click.option(
    "--control-token",
    envvar="MOCKPBX_CONTROL_TOKEN",
    default=None,
    metavar="TOKEN",
    help="Every /_mockpbx/ endpoint but health asks for `Authorization: Bearer TOKEN` "
    "(env MOCKPBX_CONTROL_TOKEN). Required to bind beyond loopback.",
)
@click.option(
    "--insecure-control",
    is_flag=True,
    help="Bind beyond loopback without a control token, webhooks to any host (warns).",
)
@click.option(
    "--webhook-allow",
    "webhook_allow",
    multiple=True,
    envvar="MOCKPBX_WEBHOOK_ALLOW",
    metavar="HOST",
    help="A host name, IP or network webhooks may be posted to (repeatable; "
    "default: loopback only).",
)
@click.option(
    "--secret-key",
    envvar="MOCKPBX_SECRET_KEY",
    default=None,
    metavar="KEY",
    help="Fixed key of the secrets (credentials, link hashes) for byte-identical runs "
    "(env MOCKPBX_SECRET_KEY); default: random per server.",
)
@click.option("--replay", multiple=True, metavar="CASSETTE", help="Answer from a cassette.")
@click.option("--replay-fallback", type=click.Choice(["not-found", "world"]), default="not-found")
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
    ready_file: Path | None,
    control_token: str | None,
    insecure_control: bool,
    webhook_allow: tuple[str, ...],
    secret_key: str | None,
    accounts_spec: str,
    replay: tuple[str, ...] = (),
    replay_fallback: str = "not-found",
) -> None:
    """Serve the mock until Ctrl-C (--port 0: a free port, printed in every URL)."""
    _check_exposure(host, control_token, insecure_control)
    scenario = load_or_exit(scenario_name) if scenario_name else None
    state = create_state(
        seed=seed,
        start=parse_start(start),
        rate=clock_rate,
        scenario=scenario,
        secret_key=secret_key,
    )
    state.control_token, state.insecure_control = control_token or None, insecure_control
    if webhook_allow:
        state.webhook_allow = (*state.webhook_allow, *webhook_allow)
    _install_accounts(state, accounts_spec)
    if mango_webhook:
        state.options["mango"] = {"webhook_url": mango_webhook}
    if replay:
        from mockpbx.record.commands import load_replay_or_exit

        state.options["replay"] = load_replay_or_exit(replay, replay_fallback)
    app = create_app(state)
    if ready_file is not None:
        ready_file.unlink(missing_ok=True)  # a stale file must not read as ready
    sock = _bind(host, port)  # before any banner: a port in use exits 2 here
    base = _base_url(host, sock.getsockname()[1])

    def announce(_aiohttp_banner: str) -> None:  # run_app calls it once the socket listens
        document = state.credentials.document(base)
        if ready_file is not None:
            _write_ready_file(ready_file, base, sock.getsockname()[1], document)
        scenario_of = state.world.meta.get("scenario")
        click.echo(f"mockpbx serving on {base}  (scenario {scenario_of}, seed {seed})")
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        if state.accounts is not None:
            click.echo(
                f"{accounts_spec} accounts: every one's credentials at {base}/_mockpbx/accounts"
            )
        click.echo(f"dashboard: {base}/_mockpbx/  (clock, faults, live calls, journal, truth)")
        click.echo("Ctrl-C stops it.")

    with sock, contextlib.suppress(KeyboardInterrupt):
        web.run_app(app, sock=sock, print=announce, handle_signals=True)
    if ready_file is not None:
        ready_file.unlink(missing_ok=True)
    click.echo("mockpbx stopped.")


def _bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port, or exit 2 with one line naming the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp's own sites do
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            reason = f"port {port} on {host} is in use (--port 0 picks a free one)"
        else:
            reason = f"cannot listen on {host} port {port}: {exc.strerror or exc}"
        click.echo(f"mockpbx serve: {reason}", err=True)
        raise SystemExit(EXIT_INVALID) from None
    return sock


def _base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _write_ready_file(path: Path, base: str, port: int, credentials: dict[str, object]) -> None:
    """Write the ready document atomically: readers see the whole file or none."""
    body = {"url": base, "host": urlsplit(base).hostname, "port": port, "pid": os.getpid(),
            "credentials": credentials}  # fmt: skip
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


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
    _require_adapter()
    from mockpbx.demo import run_demo

    run_demo(store, seed, keep)


# the `adapter` extra `mockpbx demo` runs (found, never imported: mockpbx never imports it)
ADAPTER_MODULES = ("adapter", "httpx", "tenacity", "sqlalchemy", "alembic", "psycopg", "rich")


def _require_adapter() -> None:
    """Exit 2 with the pip command when the `adapter` extra is not installed."""
    from importlib.util import find_spec

    for name in ADAPTER_MODULES:
        try:
            found = find_spec(name) is not None
        except ImportError:
            found = False
        if not found:
            click.echo(
                f"mockpbx demo needs the adapter extra ({name} is not installed): "
                "pip install 'mockpbx[adapter]'",
                err=True,
            )
            raise SystemExit(EXIT_INVALID)


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

        data = load_or_exit(name).model_dump(mode="json", by_alias=True)
        click.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
        return
    click.echo(path.read_text(encoding="utf-8"), nl=False)


@scenarios.command("validate")
@click.argument("file")
def scenarios_validate(file: str) -> None:
    """Check a scenario file; exit 2 with the problems if it is invalid."""
    sc = load_or_exit(file)
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
    from mockpbx.providers.registry import FACE_IDS
    from mockpbx.scenarios.export import export_truth

    if last < first:
        raise click.BadParameter("--to must not be before --from", param_hint="--to")
    scenario = load_or_exit(scenario_name)
    if str(out) == "-":
        count = export_truth(scenario, seed, first.date(), last.date(), sys.stdout, FACE_IDS)
    else:
        with out.open("w", encoding="utf-8") as fh:
            count = export_truth(scenario, seed, first.date(), last.date(), fh, FACE_IDS)
        click.echo(
            f"{out}: {count} calls of {first.date()}..{last.date()} and the clinic side", err=True
        )


# -- record, replay, fidelity, fit (issue 15): mockpbx/record/commands.py ------------------
def _register_record_commands() -> None:
    from mockpbx.record.commands import register

    register(main, scenarios)


_register_record_commands()

if __name__ == "__main__":
    main()
