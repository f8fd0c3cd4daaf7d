"""The import rules of ARCHITECTURE.md, enforced on the source tree."""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
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


FACES = ("mockpbx.providers.uis", "mockpbx.providers.mango", "mockpbx.providers.clinic")


def test_face_base__imports_no_face() -> None:
    """`providers/base.py`, the anatomy every face shares, imports no face (faces import it)."""
    names = _imports(ROOT / "mockpbx/providers/base.py")
    assert "mockpbx.state" in names  # the checker reads the file (so the test can fail)
    assert [n for n in names if n.startswith(FACES)] == []


def test_import_rules__detect_a_violation(tmp_path: Path) -> None:
    """The checker itself notices a forbidden import (so the rule test can fail)."""
    module = tmp_path / "bad.py"
    module.write_text("import mockpbx.core\nfrom aiohttp import web\n", encoding="utf-8")
    assert {"mockpbx.core", "aiohttp"} <= _imports(module)


# -- the control plane never imports a face's wire format ------------------------------
# Each face's module a control module may import, and why (ARCHITECTURE.md, control).
CONTROL_REACHES = {
    "mockpbx/control/mango.py": {
        "mockpbx.providers.base",  # OptionError of the webhook URL check
        "mockpbx.providers.mango.options",  # DeliveryFaults, the webhook URL check
        "mockpbx.providers.mango.runtime",  # the webhook URL in effect, delivery faults
    },
    "mockpbx/control/options.py": {  # every face's options, by name, from the registry
        "mockpbx.providers.base",
        "mockpbx.providers.registry",
    },
    "mockpbx/control/truth.py": {"mockpbx.providers.registry"},  # each face's call namer
    "mockpbx/control/directory.py": {  # each face's method names, from its method tables
        "mockpbx.providers.clinic.routes",
        "mockpbx.providers.mango.routes",
        "mockpbx.providers.uis.callapi",
        "mockpbx.providers.uis.dataapi",
    },
}


def _face_imports(root: Path) -> list[str]:
    out = []
    for path in sorted((root / "mockpbx/control").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for name in sorted(_imports(path)):
            if name.startswith("mockpbx.providers") and name not in CONTROL_REACHES.get(rel, ()):
                out.append(f"{rel} imports {name}")
    return out


def test_control_plane__reaches_a_face_only_for_its_options_and_method_names() -> None:
    """Control imports no face module but the options (and method tables) listed above."""
    assert _face_imports(ROOT) == []


def test_control_plane_rule__detects_a_wire_format_import(tmp_path: Path) -> None:
    """A control module importing a face's renderer is reported; the options registry stays
    allowed."""
    control = tmp_path / "mockpbx/control"
    control.mkdir(parents=True)
    (control / "options.py").write_text(
        "from mockpbx.providers.registry import FACE_OPTIONS\n", encoding="utf-8"
    )
    (control / "truth.py").write_text(
        "def f():\n    from mockpbx.providers.uis import render\n", encoding="utf-8"
    )
    assert _face_imports(tmp_path) == ["mockpbx/control/truth.py imports mockpbx.providers.uis"]


# -- no import cycles ------------------------------------------------------------------
# Every import counts, also one inside a function or under TYPE_CHECKING: a lazy
# import hides a cycle from Python, not from a reader. A package's __init__ run
# on the way to a submodule is not counted. Allowed cycles, each with its reason:
ALLOWED_CYCLES: frozenset[frozenset[str]] = frozenset()
PACKAGES = ("mockpbx", "adapter", "contract")


def _module_names(root: Path) -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _import_nodes(path: Path) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node


def _base(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute module an ImportFrom names (relative imports resolved)."""
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    package = package[: len(package) - node.level + 1]
    return ".".join([*package, node.module] if node.module else package)


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """`name` or its longest prefix that is one of our modules (None: a library)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _edges(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    out: set[str] = set()
    for node in _import_nodes(path):
        if isinstance(node, ast.Import):
            out.update(filter(None, (_known(a.name, modules) for a in node.names)))
            continue
        base = _base(module, path, node)
        for alias in node.names:  # `from pkg import name`: the submodule when it is one
            sub = f"{base}.{alias.name}"
            target = sub if sub in modules else _known(base, modules)
            if target is not None:
                out.add(target)
    out.discard(module)
    return out


def import_graph(root: Path) -> dict[str, set[str]]:
    """Each module of PACKAGES under `root` -> the modules of PACKAGES it imports."""
    modules = _module_names(root)
    return {name: _edges(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def test_import_graph__has_no_cycles() -> None:
    """No two modules of mockpbx, adapter and contract import each other, even lazily."""
    found = [c for c in cycles(import_graph(ROOT)) if frozenset(c) not in ALLOWED_CYCLES]
    assert found == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_cycle_check__finds_lazy_relative_and_from_package_cycles(tmp_path: Path) -> None:
    """A cycle through a lazy import, a relative import and `from pkg import mod` is found."""
    pkg = tmp_path / "adapter" / "reports"
    pkg.mkdir(parents=True)
    (tmp_path / "adapter" / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "base.py").write_text("def f():\n    from . import rollup\n", encoding="utf-8")
    (pkg / "rollup.py").write_text("from adapter.reports import window\n", encoding="utf-8")
    (pkg / "window.py").write_text("from .base import f\n", encoding="utf-8")
    (pkg / "render.py").write_text("import adapter.reports.base\n", encoding="utf-8")
    graph = import_graph(tmp_path)
    assert graph["adapter.reports.render"] == {"adapter.reports.base"}
    assert cycles(graph) == [
        ["adapter.reports.base", "adapter.reports.rollup", "adapter.reports.window"]
    ]


# -- the rules table of ARCHITECTURE.md is the rule ----------------------------------------
# Each row of the table under "## Import rules" is parsed and checked: the backticked names
# of "may import" are an allow-list (besides the stdlib and the package itself; `x.*` allows
# x's modules; a row whose cell holds no backticked name has no allow-list), those of
# "must not import" are forbidden; three phrases name checks of their own: "another face"
# (face isolation), "a face's wire format" (CONTROL_REACHES) and "each other" (no cycle).
# A row the test cannot read fails, so a rule written there is a rule checked.
SPECIAL_RULES = ("another face", "a face's wire format", "each other")


def _rule_rows(text: str) -> list[tuple[list[str], list[str], list[str], str]]:
    """(packages, may import, must not import, the must-not cell) of each table row."""
    section = text.split("## Import rules", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("package", "---") or set(cells[0]) <= {"-"}:
            continue
        names = [re.findall(r"`([^`]+)`", cell) for cell in cells]
        rows.append((names[0], names[1], names[2], cells[2]))
    return rows


def _packages(pattern: str, root: Path) -> list[Path]:
    """The package directories a row names (`mockpbx/providers/*`: each face)."""
    if pattern.endswith("/*"):
        base = root / pattern[:-2]
        return sorted(p for p in base.iterdir() if (p / "__init__.py").exists())
    return [root / pattern]


def _third_party(path: Path) -> set[str]:
    """The top-level libraries (not the stdlib, not ours) a module imports."""
    out = set()
    for node in _import_nodes(path):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            if top not in sys.stdlib_module_names and top not in PACKAGES and top != "__future__":
                out.add(top)
    return out


def _allowed(name: str, allow: list[str], own: str) -> bool:
    if name == own or name.startswith(own + "."):
        return True
    for entry in allow:
        base = entry.removesuffix(".*")
        if name == base or name.startswith(base + "."):
            return True
    return False


def rule_violations(root: Path) -> list[str]:
    """Every breach of the table's rules under `root`, and every row the test cannot read."""
    graph = import_graph(root)
    out = []
    rows = _rule_rows((root / "ARCHITECTURE.md").read_text(encoding="utf-8"))
    if not rows:
        return ["ARCHITECTURE.md: no import rules table"]
    for packages, allow, forbid, must_not in rows:
        special = [s for s in SPECIAL_RULES if s in must_not]
        if not packages or not (allow or forbid or special):
            out.append(f"ARCHITECTURE.md: a row the test cannot read: {packages} / {must_not}")
        for pattern in packages:
            if "/" not in pattern and pattern not in PACKAGES:
                continue  # "any two modules of ..." names packages, checked as cycles
            for package in _packages(pattern, root):
                own = package.relative_to(root).as_posix().replace("/", ".")
                for path in sorted(package.rglob("*.py")):
                    module = ".".join(path.relative_to(root).with_suffix("").parts)
                    module = module.removesuffix(".__init__")
                    rel = path.relative_to(root).as_posix()
                    ours = graph.get(module, set())
                    names = ours | _third_party(path)
                    for name in sorted(names):
                        if any(_allowed(name, [f], "\0") for f in forbid):
                            out.append(f"{rel} imports {name} (must not: {pattern})")
                        elif allow and not _allowed(name, allow, own):
                            out.append(f"{rel} imports {name} (not in what {pattern} may import)")
    return out


def test_architecture_md__every_rule_holds() -> None:
    """The rules table, read from ARCHITECTURE.md itself, holds on the source tree."""
    assert rule_violations(ROOT) == []


def test_architecture_md__every_row_is_a_check() -> None:
    """Each row names packages and rules the test reads; the special ones are tested above."""
    rows = _rule_rows((ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8"))
    assert len(rows) >= 8
    specials = {s for *_, cell in rows for s in SPECIAL_RULES if s in cell}
    assert specials == set(SPECIAL_RULES)


def test_rule_check__finds_an_import_outside_the_allow_list(tmp_path: Path) -> None:
    """A library the row does not allow and a forbidden module of ours are both reported."""
    (tmp_path / "ARCHITECTURE.md").write_text(
        "## Import rules\n\n| package | may import | must not import |\n|---|---|---|\n"
        "| `mockpbx/core` | `faker` | `mockpbx.control` |\n",
        encoding="utf-8",
    )
    core = tmp_path / "mockpbx" / "core"
    control = tmp_path / "mockpbx" / "control"
    for package in (core, control):
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("", encoding="utf-8")
    (core / "world.py").write_text(
        "import json\nimport faker\nimport httpx\nfrom mockpbx.core import x\n"
        "def f():\n    from mockpbx.control import routes\n",
        encoding="utf-8",
    )
    (core / "x.py").write_text("", encoding="utf-8")
    (control / "routes.py").write_text("", encoding="utf-8")
    assert rule_violations(tmp_path) == [
        "mockpbx/core/world.py imports httpx (not in what mockpbx/core may import)",
        "mockpbx/core/world.py imports mockpbx.control.routes (must not: mockpbx/core)",
    ]


# -- the adapter's layout (ARCHITECTURE.md, adapter): click only in adapter/cli, the mock's
# paths only in adapter/mockpbx_plane.py -----------------------------------------------
ADAPTER = ROOT / "adapter"


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
