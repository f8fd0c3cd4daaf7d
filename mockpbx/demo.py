"""`mockpbx demo`: the main job end to end, on embedded defaults.

Starts a mock on a free loopback port (the default clinic, 30 days of
history, the clock frozen at this morning), runs the clinic adapter's
background sync against it into a SQLite file, shows the sync status and an
advertising-channels report, and checks the cache against the mock's truth:
every call of every closed day cached once, none lost.

The adapter runs as its own process (`pbx-adapter ...`), exactly as a clinic
would run it: mockpbx never imports the adapter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from mockpbx.testing import MockPBXServer

__all__ = ["run_demo"]


def _adapter(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", "from adapter.entry import main; main()", *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=600)


def _raw(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as resp:
        body: bytes = resp.read()
        return body


def _get(url: str) -> Any:
    return json.loads(_raw(url))


def _period(now_iso: str, first: date, last: date) -> str:
    """`from=...&to=...` for [first 00:00, last 00:00) in the offset of `now_iso`."""
    offset = datetime.fromisoformat(now_iso).strftime("%z")
    zone = f"{offset[:3]}:{offset[3:]}"
    return urllib.parse.urlencode(
        {"from": f"{first}T00:00:00{zone}", "to": f"{last}T00:00:00{zone}"}
    )


def _step(title: str, result: subprocess.CompletedProcess[str]) -> None:
    click.secho(f"\n$ pbx-adapter {title}", bold=True)
    click.echo((result.stdout or "").rstrip())
    if result.returncode != 0:
        click.echo((result.stderr or "").rstrip(), err=True)
        raise click.ClickException(f"pbx-adapter {title.split()[0]} failed ({result.returncode})")


def run_demo(store: Path, seed: int, keep: bool) -> None:
    """Serve, sync, report, verify; raise ClickException if anything is off."""
    if store.exists() and not keep:
        store.unlink()
    with MockPBXServer(seed=seed, start=None, rate=0) as pbx:
        click.secho(f"mockpbx is serving the default clinic on {pbx.url}", fg="green")
        common = ["--mockpbx", pbx.url, "--provider", "uis", "--store", f"sqlite:///{store}"]
        _step("sync", _adapter("sync", "--no-progress", *common))
        _step("status", _adapter("status", *common))
        clock = _get(f"{pbx.url}/_mockpbx/clock")
        today = datetime.fromisoformat(clock["now"]).date()
        first = today - timedelta(days=30)
        clinic_file = store.with_suffix(".clinic.json")
        clinic_file.write_bytes(
            _raw(f"{pbx.url}/_mockpbx/truth/clinic?{_period(clock['now'], first, today)}")
        )
        _step(f"import-clinic {clinic_file}", _adapter("import-clinic", str(clinic_file), *common))
        report = _adapter(
            "report", "ad-channels", "--from", first.isoformat(), "--to", today.isoformat(),
            "--format", "table", *common,
        )  # fmt: skip
        if "No such command" not in (report.stderr or ""):
            _step(f"report ad-channels --from {first} --to {today}", report)
        _verify(pbx.url, common, first, today)


def _verify(url: str, common: list[str], first: date, today: date) -> None:
    query = _period(_get(f"{url}/_mockpbx/clock")["now"], first, today)
    truth = _get(f"{url}/_mockpbx/truth/calls?{query}")
    calls = truth if isinstance(truth, list) else truth.get("calls", [])
    expected = sorted(str(c["id"]) for c in calls if c.get("in_history", True))
    exported = _adapter(
        "export", "--from", first.isoformat(), "--to", (today - timedelta(days=1)).isoformat(),
        "--format", "jsonl", *common,
    )  # fmt: skip
    if exported.returncode != 0:
        raise click.ClickException(f"pbx-adapter export failed: {exported.stderr.strip()}")
    cached = sorted(
        json.loads(line)["provider_call_id"] for line in exported.stdout.splitlines() if line
    )
    if cached != expected:
        missing = len(set(expected) - set(cached))
        raise click.ClickException(
            f"cache differs from the provider's truth: {len(cached)} cached, "
            f"{len(expected)} true, {missing} missing"
        )
    click.secho(
        f"\nverified: the cache holds all {len(cached)} calls of {first} .. "
        f"{today - timedelta(days=1)} exactly once (today is never cached)",
        fg="green",
    )
