"""The adapter's layout rules (ARCHITECTURE.md): click only in adapter/cli, the mock's paths
only in adapter/mockpbx_plane.py."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ADAPTER = Path(__file__).resolve().parents[2] / "adapter"


def _modules(root: Path) -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(root.rglob("*.py")):
        yield path.relative_to(root.parent).as_posix(), ast.parse(path.read_text("utf-8"))


def click_importers(root: Path) -> list[str]:
    """Modules outside adapter/cli that import click (also inside a function)."""
    found = []
    for name, tree in _modules(root):
        if name.startswith("adapter/cli/"):
            continue
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            if any(n == "click" or n.startswith("click.") for n in names):
                found.append(name)
                break
    return found


def _docstrings(tree: ast.Module) -> set[int]:
    """The ids of the docstring nodes of the module, its classes and functions."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def control_plane_users(root: Path) -> list[str]:
    """Modules other than mockpbx_plane.py with a `/_mockpbx/` path in code (not docstrings)."""
    found = []
    for name, tree in _modules(root):
        if name == "adapter/mockpbx_plane.py":
            continue
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and "/_mockpbx" in text and id(node) not in docs:
                found.append(name)
                break
    return found


def test_click__only_in_the_cli_package() -> None:
    """Every click command lives in adapter/cli; the domain modules have no click."""
    assert click_importers(ADAPTER) == []


def test_mock_control_plane__known_to_one_module() -> None:
    """Only adapter/mockpbx_plane.py speaks to the mock's `/_mockpbx/` endpoints."""
    assert control_plane_users(ADAPTER) == []


def test_rules__catch_a_breaking_module(tmp_path: Path) -> None:
    """The checks are not blind: a domain module with click or a mock path is named."""
    pkg = tmp_path / "adapter"
    (pkg / "cli").mkdir(parents=True)
    (pkg / "cli" / "main.py").write_text("import click\n", encoding="utf-8")
    (pkg / "live.py").write_text(
        '"""Reads /_mockpbx/clock."""\ndef f():\n    from click import echo\n', encoding="utf-8"
    )
    (pkg / "clock.py").write_text('URL = "/_mockpbx/clock"\n', encoding="utf-8")
    assert click_importers(pkg) == ["adapter/live.py"]
    assert control_plane_users(pkg) == ["adapter/clock.py"]
