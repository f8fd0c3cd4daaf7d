"""A fresh virtualenv with mockpbx installed WITHOUT extras (what `pip install mockpbx` gives).

Used by tests/e2e/test_user_project.py and bench/bench_plugin.py. The package
is installed from a copy of this checkout (pyproject.toml, README.md and the
three packages), so building it never writes into the work tree; pip may reach
the package index for the base dependencies.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["EXTRA_MODULES", "ROOT", "build_base_venv", "extras_present"]

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "mockpbx", "adapter", "contract")
# the top-level modules the adapter and contract extras bring (and the base must not)
EXTRA_MODULES = ("httpx", "tenacity", "sqlalchemy", "alembic", "psycopg", "rich", "schemathesis")


def build_base_venv(dest: Path, *packages: str) -> Path:
    """Create a venv at `dest` with mockpbx (base) and `packages`; return its python."""
    src = dest.parent / f"{dest.name}-src"
    for name in SOURCES:
        source, target = ROOT / name, src / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    # no pip of its own (ensurepip is slow): this interpreter's pip installs into it, and
    # compiles nothing ahead (Faker alone is thousands of modules; imports compile lazily)
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(dest)], check=True, timeout=300
    )
    python = dest / "bin" / "python"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
         "--disable-pip-version-check", "--no-compile", str(src), *packages],
        check=False, timeout=900, capture_output=True, text=True,
    )  # fmt: skip
    if pip.returncode != 0:
        raise RuntimeError(f"pip install of the base package failed:\n{pip.stderr[-4000:]}")
    return python


def extras_present(python: Path) -> list[str]:
    """Which extra-only modules `python` can import (none, for a base install)."""
    code = (
        "import importlib.util as u\n"
        f"print(' '.join(m for m in {EXTRA_MODULES!r} if u.find_spec(m)))\n"
    )
    out = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return out.stdout.split()
