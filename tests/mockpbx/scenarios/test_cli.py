"""`mockpbx scenarios ...`, `mockpbx generate` and `mockpbx serve --scenario`."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from mockpbx.cli import main


def test_scenarios_list__names_every_builtin() -> None:
    result = CliRunner().invoke(main, ["scenarios", "list"])
    assert result.exit_code == 0
    for name in ("default", "clinic_day", "ad_campaign", "midnight", "network_year", "faults"):
        assert name in result.output


def test_scenarios_show__prints_the_file() -> None:
    result = CliRunner().invoke(main, ["scenarios", "show", "clinic_day"])
    assert result.exit_code == 0
    assert "name: clinic_day" in result.output


def test_scenarios_show_resolved__prints_every_field() -> None:
    result = CliRunner().invoke(main, ["scenarios", "show", "default", "--resolved"])
    assert result.exit_code == 0
    assert "patients_per_clinic: 2000" in result.output


def test_validate__accepts_a_good_file(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("name: ok\nvolume: {calls_per_day: 5}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["scenarios", "validate", str(path)])
    assert result.exit_code == 0
    assert "ok" in result.output


def test_validate__refuses_a_bad_file_with_exit_2_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("staff:\n  - {role: dentist}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["scenarios", "validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}: staff[0].role:" in result.output


def test_generate__writes_the_truth_as_json_lines(tmp_path: Path) -> None:
    out = tmp_path / "truth.jsonl"
    args = ["generate", "--scenario", "clinic_day", "--from", "2026-05-13", "--to", "2026-05-13",
            "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert records[0]["type"] == "meta"
    kinds = {r["type"] for r in records}
    assert {"call", "comment", "appointment", "visit", "patient", "doctor"} <= kinds
    calls = [r for r in records if r["type"] == "call"]
    assert all(r["start"].startswith("2026-05-13") for r in calls)
    assert all(r["in_history"] for r in calls)


def test_generate__is_deterministic(tmp_path: Path) -> None:
    outs = []
    for i in range(2):
        out = tmp_path / f"{i}.jsonl"
        args = ["generate", "--from", "2026-05-01", "--to", "2026-05-02", "--seed", "3",
                "--out", str(out)]  # fmt: skip
        assert CliRunner().invoke(main, args).exit_code == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve__runs_a_builtin_scenario_over_tcp() -> None:
    port = _free_port()
    exe = str(Path(sys.executable).parent / "mockpbx")
    cmd = [exe, "serve", "--scenario", "midnight", "--seed", "4", "--clock-rate", "0",
           "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        health = None
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_mockpbx/health") as r:
                    health = json.loads(r.read())
                    break
            except OSError:
                time.sleep(0.05)
        assert health is not None, "the server did not come up"
        assert health["scenario"] == "midnight"
        assert health["seed"] == 4
        assert "T23:30:00" in health["now"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_mockpbx/") as r:
            assert r.headers["Content-Type"].startswith("text/html")
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert f"dashboard: http://127.0.0.1:{port}/_mockpbx/" in out


def test_serve__refuses_an_invalid_scenario_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("volume: {calls_per_day: -1}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["serve", "--scenario", str(path)])
    assert result.exit_code == 2
    assert "volume.calls_per_day" in result.output
