"""The record/fidelity/fit commands: clear errors naming the option, reports on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from mockpbx.cli import main

DATA = Path(__file__).parent / "data"


def test_record__refuses_an_upstream_that_is_not_a_url(tmp_path: Path) -> None:
    """A bad --upstream exits 2 naming the option; no cassette is created."""
    out = tmp_path / "c.jsonl"
    args = ["record", "--face", "clinic", "--upstream", "clinic.example", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "--upstream" in result.output
    assert not out.exists()


def test_record__webhooks_only_for_mango(tmp_path: Path) -> None:
    """--events-to with another face is refused."""
    args = ["record", "--face", "uis-data", "--upstream", "https://x", "--out", "c.jsonl"]
    result = CliRunner().invoke(main, [*args, "--events-to", "http://127.0.0.1:9/"])
    assert result.exit_code == 2
    assert "--events-to" in result.output


def test_serve__an_unreadable_cassette_exits_2_naming_it(tmp_path: Path) -> None:
    """`serve --replay` with a broken file stops before serving, naming file and line."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["serve", "--replay", str(bad)])
    assert result.exit_code == 2
    assert f"--replay: {bad}:1: not a mockpbx cassette header" in result.output


def test_fidelity__json_and_html_reports(tmp_path: Path) -> None:
    """`mockpbx fidelity` prints the report as JSON and writes the HTML page."""
    page = tmp_path / "report.html"
    args = ["fidelity", str(DATA / "clinic.jsonl"), "--json", "--html", str(page)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["face"] == "clinic"
    assert report["methods"]["GetOngoingCalls"]["exchanges"] == 1
    assert "<h2>GetOngoingCalls" in page.read_text(encoding="utf-8")


def test_scenarios_fit_and_compare__on_a_generated_history(tmp_path: Path) -> None:
    """fit writes a loadable scenario; compare prints one distance per distribution."""
    runner = CliRunner()
    real = tmp_path / "real.jsonl"
    gen = ["generate", "--from", "2026-05-04", "--to", "2026-05-10", "--seed", "3"]
    assert runner.invoke(main, [*gen, "--out", str(real)]).exit_code == 0
    fitted = tmp_path / "clinic.yaml"
    result = runner.invoke(main, ["scenarios", "fit", str(real), "-o", str(fitted)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(main, ["scenarios", "validate", str(fitted)]).exit_code == 0
    again = tmp_path / "again.jsonl"
    args = [*gen[:5], "--seed", "4", "--scenario", str(fitted), "--out", str(again)]
    assert runner.invoke(main, args).exit_code == 0
    result = runner.invoke(main, ["scenarios", "compare", str(real), str(again), "--json"])
    assert result.exit_code == 0, result.output
    distances = json.loads(result.output)
    assert {"talk", "hour", "weekday", "answered", "calls_per_day"} <= set(distances)
    assert distances["hour"]["metric"] == "tv"


def test_scenarios_fit__a_file_without_calls_exits_2(tmp_path: Path) -> None:
    """A source with no history is refused with the file named."""
    src = tmp_path / "x.jsonl"
    src.write_text('{"mockpbx_cassette": 1, "face": "clinic"}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["scenarios", "fit", str(src), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "x.jsonl: no calls found" in result.output


def test_cli_import__does_not_load_the_record_machinery() -> None:
    """`mockpbx --help` imports no proxy, replay, fidelity or fit module."""
    code = (
        "import sys, mockpbx.cli; "
        "print(sorted(m for m in sys.modules if m.startswith('mockpbx.record')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['mockpbx.record', 'mockpbx.record.commands']"
