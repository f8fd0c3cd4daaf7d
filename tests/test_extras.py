"""The split distribution: the base install serves the mock, commands name their extra.

Every check runs in a subprocess whose import system refuses the modules of
an extra (a meta-path blocker), which is what a base-only install looks like.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# modules the base install must never import: the adapter and contract extras (minus base)
EXTRA_ONLY = (
    "httpx",
    "tenacity",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "rich",
    "procrastinate",
    "prometheus_client",
    "schemathesis",
)
NEVER_IN_BASE = (*EXTRA_ONLY, "hypothesis", "requests", "adapter", "contract")

BLOCKER = """
import sys
BLOCKED = {blocked!r}
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked)", name=name)
        return None
sys.meta_path.insert(0, Blocker())
"""


def _run(code: str, blocked: tuple[str, ...], *argv: str) -> subprocess.CompletedProcess[str]:
    script = BLOCKER.format(blocked=set(blocked)) + f"sys.argv = {['prog', *argv]!r}\n" + code
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )


def _requirement_name(spec: str) -> str:
    return re.split(r"[\[<>=!~ ]", spec, maxsplit=1)[0].lower().replace("-", "_")


def test_blocked_modules__cover_every_requirement_of_the_adapter_and_contract_extras() -> None:
    """The list of extra-only modules is the extras of pyproject.toml minus the base install."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = {_requirement_name(r) for r in project["dependencies"]}
    extras = project["optional-dependencies"]
    declared = {_requirement_name(r) for r in extras["adapter"] + extras["contract"]} - base
    assert declared == set(EXTRA_ONLY)


def test_base_import_graph__imports_no_module_of_an_extra() -> None:
    """The CLI, the pytest plugin and a built server import nothing the extras bring."""
    code = (
        "import mockpbx.cli, mockpbx.pytest_plugin, mockpbx.testing\n"
        "from mockpbx.app import create_app, create_state\n"
        "from mockpbx.control.dashboard import render_dashboard\n"
        "create_app(create_state()); render_dashboard()\n"
        "print('ok')\n"
    )
    result = _run(code, NEVER_IN_BASE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_blocker__makes_an_import_of_a_blocked_module_fail() -> None:
    """The blocker really refuses a module (so the base graph test can fail)."""
    result = _run("import httpx\n", ("httpx",))
    assert result.returncode == 1
    assert "ModuleNotFoundError" in result.stderr


@pytest.mark.parametrize(
    ("code", "blocked", "argv", "message"),
    [
        (
            "from adapter.entry import main; main()",
            ("httpx",),
            ("sync",),
            "pbx-adapter needs the adapter extra (httpx is not installed): "
            "pip install 'mockpbx[adapter]'",
        ),
        (
            "from adapter.entry import main; main()",
            ("psycopg",),
            ("status",),
            "pbx-adapter needs the adapter extra (psycopg is not installed): "
            "pip install 'mockpbx[adapter]'",
        ),
        (
            "from contract.entry import main; main()",
            ("schemathesis",),
            ("spec",),
            "pbx-contract needs the contract extra (schemathesis is not installed): "
            "pip install 'mockpbx[contract]'",
        ),
        (
            "from mockpbx.cli import main; main()",
            ("sqlalchemy",),
            ("demo",),
            "mockpbx demo needs the adapter extra (sqlalchemy is not installed): "
            "pip install 'mockpbx[adapter]'",
        ),
    ],
)
def test_command_without_its_extra__exits_2_with_the_pip_command(
    code: str, blocked: tuple[str, ...], argv: tuple[str, ...], message: str
) -> None:
    """A command whose extra is missing exits 2 with one line: what is missing, what to run."""
    result = _run(code, blocked, *argv)
    assert result.returncode == 2
    assert result.stderr.strip() == message
    assert result.stdout == ""


@pytest.mark.parametrize(
    "code", ["from adapter.entry import main; main()", "from contract.entry import main; main()"]
)
def test_command_with_its_extra__runs(code: str) -> None:
    """With the extra installed, the entry point runs the real CLI."""
    result = _run(code, (), "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
