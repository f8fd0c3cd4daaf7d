"""Reading scenario files: built-in names or YAML files, with errors a person can act on.

    load_scenario("clinic_day")              # a built-in (mockpbx/scenarios/builtin/*.yaml)
    load_scenario("my_clinic.yaml")          # a file
    parse_scenario(text, source="<posted>")  # text already read (the control plane)

Every problem raises `ScenarioError`, whose message names the file, the field
path and what was expected, e.g.

    my_clinic.yaml: staff[1].answer_rate: Input should be less than or equal to 1 (got 1.5)
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mockpbx.scenarios.model import Scenario

__all__ = ["BUILTIN_DIR", "ScenarioError", "builtin_names", "load_scenario", "parse_scenario"]

BUILTIN_DIR = Path(__file__).with_name("builtin")


class ScenarioError(ValueError):
    """A scenario file that cannot be read or does not validate; `problems` lists each."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


def builtin_names() -> list[str]:
    """Names of the built-in scenarios, sorted."""
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))


def builtin_path(name: str) -> Path | None:
    path = BUILTIN_DIR / f"{name}.yaml"
    return path if path.is_file() and name.isidentifier() else None


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A built-in scenario by name, or a scenario file by path."""
    text_name = str(name_or_path)
    if builtin_path(text_name) is not None:
        return _builtin(text_name)  # built-ins never change while running: parse once
    return _load_file(text_name)


@functools.cache
def _builtin(name: str) -> Scenario:
    return _load_file(name)


def _load_file(text_name: str) -> Scenario:
    path = builtin_path(text_name) or Path(text_name)
    if not path.is_file():
        known = ", ".join(builtin_names())
        raise ScenarioError(text_name, [f"no such file or built-in scenario (built-ins: {known})"])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(text_name, [f"cannot read: {exc}"]) from exc
    return parse_scenario(text, source=text_name)


def parse_scenario(text: str, *, source: str = "<scenario>") -> Scenario:
    """Validate YAML (or JSON, a subset of YAML) text as a scenario."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(source, [f"not valid YAML: {_yaml_problem(exc)}"]) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(source, [f"expected a mapping of fields, got {type(data).__name__}"])
    return validate_scenario(data, source=source)


def validate_scenario(data: dict[str, Any], *, source: str = "<scenario>") -> Scenario:
    """Validate already-parsed data as a scenario."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(source, [_problem(e) for e in exc.errors()]) from exc


def _problem(error: Any) -> str:
    path = _path(error.get("loc", ()))
    message = str(error.get("msg", "invalid"))
    message = message.removeprefix("Value error, ")
    if error.get("type") == "extra_forbidden":
        return f"{path}: unknown field (check the spelling; see `mockpbx scenarios show default`)"
    given = error.get("input")
    shown = "" if isinstance(given, dict | list) or given is None else f" (got {given!r})"
    if repr(given) in message:
        shown = ""
    return f"{path or '(top level)'}: {message}{shown}"


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return str(problem)
