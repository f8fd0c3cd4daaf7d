"""`pbx-adapter`'s entry point: without the `adapter` extra, exit 2 with the pip command to run.

The base install (`pip install mockpbx`) is the mock server only; the adapter's
dependencies come with `pip install 'mockpbx[adapter]'`. This module imports
nothing beyond the standard library until they are known to be there.
"""

from __future__ import annotations

import sys
from importlib.util import find_spec

__all__ = ["EXTRA_MODULES", "main", "missing_module"]

# the top-level modules of the `adapter` extra's distributions (pyproject.toml)
EXTRA_MODULES = (
    "httpx",
    "tenacity",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "rich",
    "jinja2",
    "procrastinate",
    "prometheus_client",
)
INSTALL = "pip install 'mockpbx[adapter]'"


def missing_module(names: tuple[str, ...] = EXTRA_MODULES) -> str | None:
    """The first of `names` that cannot be imported (without importing any), or None."""
    for name in names:
        try:
            if find_spec(name) is None:
                return name
        except ImportError:
            return name
    return None


def main() -> None:
    """Run `pbx-adapter`, or exit 2 naming the missing module and the install command."""
    missing = missing_module()
    if missing is not None:
        print(
            f"pbx-adapter needs the adapter extra ({missing} is not installed): {INSTALL}",
            file=sys.stderr,
        )
        raise SystemExit(2)
    from adapter.cli import main as cli

    cli()
