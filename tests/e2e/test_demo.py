"""The README's first Quick start command: the main job end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_demo__syncs_reports_and_verifies_against_the_truth(tmp_path: Path) -> None:
    """`mockpbx demo` serves, syncs through the adapter process, reports and checks the cache."""
    store = tmp_path / "demo.sqlite3"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from mockpbx.cli import main; main()",
            "demo",
            "--store",
            str(store),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "verified: the cache holds all" in result.stdout
    assert "Advertising channels" in result.stdout
    assert store.exists()
