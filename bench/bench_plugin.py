"""What mockpbx's pytest plugin costs in a user's pytest process (issue 11's targets).

    python bench/bench_plugin.py             # 7 runs per case, 100 extra fixture tests
    python bench/bench_plugin.py --quick     # 3 runs, 30 extra tests
    python bench/bench_plugin.py --venv DIR  # reuse (or create once) the base venv in DIR

A fresh virtualenv gets the base install (`pip install mockpbx`, no extras)
and pytest. In temporary user projects (their own pytest.ini) it times whole
pytest sessions, median of interleaved runs:

- one trivial test, bare pytest (`-p no:mockpbx`) vs with the plugin loaded:
  target ratio <= 1.3;
- 1 vs 1 + N tests that use the `mockpbx` fixture: the marginal cost of one
  more test (a reset of the world per test): target <= 5 ms.

For context it also times the development venv running this script (every
extra installed: Schemathesis, Hypothesis and their pytest plugins), plugin
autoload on vs off, the situation the issue measured.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.base_venv import build_base_venv, extras_present

INI = "[pytest]\naddopts = -p no:cacheprovider\nfilterwarnings = error\n"
TRIVIAL = "def test_trivial():\n    assert 1 + 1 == 2\n"


def _fixture_tests(n: int) -> str:
    return "".join(f"def test_{i}(mockpbx):\n    assert mockpbx.port\n\n\n" for i in range(n))


def _project(root: Path, name: str, tests: str, ini: str = INI) -> Path:
    path = root / name
    path.mkdir()
    (path / "pytest.ini").write_text(ini, encoding="utf-8")
    (path / "test_user.py").write_text(tests, encoding="utf-8")
    return path


def _session(python: Path, project: Path, *args: str, env: dict[str, str] | None = None) -> float:
    """Wall seconds of one `pytest -q` session in `project` (it must pass)."""
    started = time.perf_counter()
    done = subprocess.run(
        [str(python), "-m", "pytest", "-q", *args], cwd=project, capture_output=True,
        text=True, timeout=600, env=env, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"pytest failed in {project}:\n{done.stdout}{done.stderr}")
    return elapsed


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _medians(cases: dict[str, Callable[[], float]], runs: int) -> dict[str, tuple[float, float]]:
    """(median wall, median CPU) seconds per case, runs interleaved so load hits all alike."""
    walls: dict[str, list[float]] = {name: [] for name in cases}
    cpus: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, run in cases.items():
            cpu = _cpu()
            walls[name].append(run())
            cpus[name].append(_cpu() - cpu)
    return {n: (statistics.median(walls[n]), statistics.median(cpus[n])) for n in cases}


def _venv(path: Path | None, tmp: Path) -> Path:
    if path is not None and (path / "bin" / "python").exists():
        return path / "bin" / "python"
    target = path or tmp / "venv"
    print(f"building a base-only venv in {target} (pip install mockpbx pytest) ...", flush=True)
    return build_base_venv(target, "pytest")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--extra-tests", type=int, default=None)
    parser.add_argument("--venv", type=Path, default=None)
    args = parser.parse_args()
    runs = args.runs or (3 if args.quick else 7)
    extra = args.extra_tests or (30 if args.quick else 100)

    with tempfile.TemporaryDirectory(prefix="bench-plugin-") as tmp_name:
        tmp = Path(tmp_name)
        python = _venv(args.venv, tmp)
        leaked = extras_present(python)
        if leaked:
            raise SystemExit(f"the base venv has modules of an extra: {leaked}")
        trivial = _project(tmp, "trivial", TRIVIAL)
        one = _project(tmp, "fixture_1", _fixture_tests(1))
        many = _project(tmp, f"fixture_{1 + extra}", _fixture_tests(1 + extra))
        no_autoload = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        dev = Path(sys.executable)
        cases: dict[str, Callable[[], float]] = {
            "bare": lambda: _session(python, trivial, "-p", "no:mockpbx"),
            "plugin": lambda: _session(python, trivial),
            "fixture x1": lambda: _session(python, one),
            f"fixture x{1 + extra}": lambda: _session(python, many),
        }
        if not args.quick:  # warnings not errors: third-party plugins there warn at start
            lax = _project(tmp, "trivial_dev", TRIVIAL, "[pytest]\naddopts = -p no:cacheprovider\n")
            cases["dev, autoload off"] = lambda: _session(dev, lax, env=no_autoload)
            cases["dev, autoload on"] = lambda: _session(dev, lax)
        print(f"{runs} interleaved runs per case ...", flush=True)
        result = _medians(cases, runs)
    _table(result, extra)


def _table(result: dict[str, tuple[float, float]], extra: int) -> None:
    bare_wall, bare_cpu = result["bare"]
    rows = [
        ("bare pytest, 1 trivial test (-p no:mockpbx)", "bare", "1.00"),
        ("base install + plugin, same test", "plugin", "<= 1.3"),
        ("1 test using the mockpbx fixture", "fixture x1", ""),
        (f"{1 + extra} tests using the mockpbx fixture", f"fixture x{1 + extra}", ""),
    ]
    if "dev, autoload on" in result:
        rows += [
            ("dev venv (all extras), autoload off", "dev, autoload off", ""),
            ("dev venv (all extras), autoload on", "dev, autoload on", ""),
        ]
    print(f"\n{'session':48} {'wall s':>8} {'ratio':>7} {'cpu s':>7} {'ratio':>7}  target")
    for label, key, target in rows:
        wall, cpu = result[key]
        print(
            f"{label:48} {wall:8.3f} {wall / bare_wall:7.2f} {cpu:7.3f} {cpu / bare_cpu:7.2f}"
            f"  {target}"
        )
    one, many = result["fixture x1"], result[f"fixture x{1 + extra}"]
    per_wall = (many[0] - one[0]) / extra * 1000
    per_cpu = (many[1] - one[1]) / extra * 1000
    print(
        f"\nmarginal cost of one more mockpbx test: {per_wall:.2f} ms wall, "
        f"{per_cpu:.2f} ms cpu (target <= 5 ms)"
    )
    print(f"plugin ratio (wall): {result['plugin'][0] / bare_wall:.2f}x (target <= 1.3x)")


if __name__ == "__main__":
    main()
