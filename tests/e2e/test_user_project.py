"""Done-when of issue 11: a user's own project, on the base install only, is green with -W error.

`user_project/` is written as a team integrating UIS and Mango would write it:
its own pytest.ini (`filterwarnings = error`), its own urllib clients, only the
documented fixtures and marker. It is copied outside this repo and run in a
fresh virtualenv holding `pip install mockpbx` without extras (plus pytest and
pytest-xdist, the team's own test tools), with `-W error -n 2`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.base_venv import ROOT, build_base_venv, extras_present

pytestmark = [pytest.mark.user_project, pytest.mark.xdist_group("user_project")]

PROJECT = Path(__file__).parent / "user_project"
USER_TESTS = 13  # the tests in user_project/


@pytest.fixture(scope="session")
def base_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One base-only venv for the session (the install is the slow part)."""
    return build_base_venv(tmp_path_factory.mktemp("user") / "venv", "pytest", "pytest-xdist")


def _clean_env() -> dict[str, str]:
    """The environment without this suite's pytest and path settings."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "PYTHONPATH", "COV_", "VIRTUAL_ENV"))
    }


def _run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), *args], capture_output=True, text=True, timeout=300, cwd=cwd,
        env=_clean_env(), check=False,
    )  # fmt: skip


def test_base_install__has_no_module_of_an_extra(base_python: Path) -> None:
    """`pip install mockpbx` brings no httpx, SQLAlchemy, psycopg, rich, schemathesis, ..."""
    assert extras_present(base_python) == []


def test_user_project__is_green_with_warnings_as_errors_on_two_workers(
    base_python: Path, tmp_path: Path
) -> None:
    """The user's suite over the UIS, Mango and clinic faces passes with -W error -n 2."""
    project = tmp_path / "clinic-integration"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("__pycache__"))
    assert not project.resolve().is_relative_to(ROOT)
    run = _run(base_python, "-m", "pytest", "-W", "error", "-n", "2", "-q", cwd=project)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{USER_TESTS} passed" in run.stdout, run.stdout
    assert "warning" not in run.stdout.lower(), run.stdout


@pytest.mark.parametrize(
    ("script", "args", "extra"),
    [("pbx-adapter", ("status",), "adapter"), ("pbx-contract", ("spec",), "contract"),
     ("mockpbx", ("demo",), "adapter")],
)  # fmt: skip
def test_base_install__commands_of_an_extra_name_their_pip_line(
    base_python: Path, tmp_path: Path, script: str, args: tuple[str, ...], extra: str
) -> None:
    """Installed without extras, each extra's command exits 2 with the line to run."""
    run = _run(base_python.parent / script, *args, cwd=tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.strip().endswith(f"pip install 'mockpbx[{extra}]'")
    assert len(run.stderr.strip().splitlines()) == 1
