"""`pbx-adapter`'s command tree is the golden one: every command, option, default and help text.

The golden file was generated from the CLI before its commands moved into
`adapter/cli/` (run this file with the old checkout first on PYTHONPATH:
`PYTHONPATH=OLD python tests/adapter/test_cli_tree.py --write`); a change to
the command line shows here as a diff.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

GOLDEN = Path(__file__).parent / "golden" / "cli_tree.json"
WIDTH = 100  # the help texts are rendered at this terminal width


def _contexts(
    command: click.Command, name: str, parent: click.Context | None
) -> list[click.Context]:
    """The context of `command` and of every command below it, depth first, by name."""
    settings: dict[str, Any] = {"terminal_width": WIDTH, **command.context_settings}
    ctx = click.Context(command, info_name=name, parent=parent, **settings)
    out = [ctx]
    if isinstance(command, click.Group):
        for sub in sorted(command.commands):
            out += _contexts(command.commands[sub], sub, ctx)
    return out


def command_tree(main: click.Command) -> dict[str, Any]:
    """Per command path: click's description of its parameters, and its rendered --help."""
    tree: dict[str, Any] = {}
    for ctx in _contexts(main, "pbx-adapter", None):
        info = ctx.command.to_info_dict(ctx)
        info.pop("commands", None)  # each subcommand has its own entry
        tree[ctx.command_path] = {"info": info, "help": ctx.get_help()}
    return json.loads(json.dumps(tree, default=repr))  # type: ignore[no-any-return]


def test_command_tree__is_the_golden_one() -> None:
    """`pbx-adapter` lists the same commands, options, defaults and help as before the move."""
    from adapter.cli import main

    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    tree = command_tree(main)
    assert sorted(tree) == sorted(golden)
    for path, entry in golden.items():
        assert tree[path] == entry, path


def test_command_tree__sees_a_changed_option() -> None:
    """The snapshot is not blind: a changed default shows in it."""
    from adapter.cli import main

    before = command_tree(main)["pbx-adapter live"]
    option = next(p for p in main.commands["live"].params if p.name == "interval")
    saved = option.default
    option.default = 2.0
    try:
        after = command_tree(main)["pbx-adapter live"]
    finally:
        option.default = saved
    assert after != before


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    from adapter.cli import main as _main

    GOLDEN.write_text(
        json.dumps(command_tree(_main), ensure_ascii=False, indent=1, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {GOLDEN} from {sys.modules['adapter.cli'].__file__}")
