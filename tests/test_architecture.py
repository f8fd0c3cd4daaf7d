"""The import rules of ARCHITECTURE.md, enforced on the source tree."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    out = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                out.append(f"{path.relative_to(ROOT)} imports {name}")
    return out


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("mockpbx/core", ("aiohttp", "mockpbx.providers", "mockpbx.control", "mockpbx.app")),
        ("adapter", ("mockpbx",)),
        ("contract", ("mockpbx",)),
        ("mockpbx", ("adapter", "contract")),
        ("mockpbx/scenarios", ("aiohttp", "mockpbx.providers", "mockpbx.control", "mockpbx.app")),
        ("mockpbx/providers/uis", ("mockpbx.providers.mango", "mockpbx.providers.clinic")),
        ("mockpbx/providers/mango", ("mockpbx.providers.uis", "mockpbx.providers.clinic")),
        ("mockpbx/providers/clinic", ("mockpbx.providers.uis", "mockpbx.providers.mango")),
    ],
)
def test_import_rules__hold(package: str, forbidden: tuple[str, ...]) -> None:
    """No module of `package` imports any of `forbidden` (see ARCHITECTURE.md)."""
    assert _violations(package, forbidden) == []


def test_import_rules__detect_a_violation(tmp_path: Path) -> None:
    """The checker itself notices a forbidden import (so the rule test can fail)."""
    module = tmp_path / "bad.py"
    module.write_text("import mockpbx.core\nfrom aiohttp import web\n", encoding="utf-8")
    assert {"mockpbx.core", "aiohttp"} <= _imports(module)
