"""Which calls a workstation shows: its SIP lines, from a TOML file or the clinic's staff.

The mapping comes from a TOML file (`--workstations FILE`, env
`PBX_ADAPTER_WORKSTATIONS`):

    [workstations.reception-1]
    employee = "27"            # optional: the employee working here
    sip_lines = ["4996034"]    # lines shown here (logins or numbers)
    extension = "101"          # Mango: the employee's extension (click-to-call)

Without a file entry, a workstation named like an employee of the clinic
data (id or full name) takes that employee's SIP lines. A line matches when
it is equal, or equal in its digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapter.config import load_toml_file
from adapter.errors import ConfigError
from adapter.model import LiveCall
from adapter.store.clinic import StaffMember

__all__ = ["Workstation", "line_matches", "load_workstations", "resolve_workstation"]


@dataclass(frozen=True, slots=True)
class Workstation:
    name: str
    employee_id: str | None = None
    sip_lines: tuple[str, ...] = ()
    extension: str | None = None

    def shows(self, call: LiveCall) -> bool:
        """Whether the call rings or talks on one of this workstation's lines."""
        return call.sip_line is not None and any(
            line_matches(call.sip_line, own) for own in self.sip_lines
        )


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def line_matches(line: str, own: str) -> bool:
    if line.strip() == own.strip():
        return True
    digits = _digits(line)
    return bool(digits) and digits == _digits(own)


def load_workstations(path: str | Path) -> dict[str, Workstation]:
    file, raw = load_toml_file(path, "workstations", "workstations")
    table = raw.get("workstations", raw)
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: expected [workstations.NAME] tables", setting="workstations")
    return {name: _workstation(file, name, spec) for name, spec in table.items()}


def _workstation(file: Path, name: str, spec: Any) -> Workstation:
    if not isinstance(spec, dict):
        raise ConfigError(f"{file}: workstations.{name} must be a table", setting="workstations")
    lines = spec.get("sip_lines", [])
    if isinstance(lines, str):
        lines = [lines]
    if not isinstance(lines, list):
        raise ConfigError(f"{file}: workstations.{name}.sip_lines must be a list")
    employee, extension = spec.get("employee"), spec.get("extension")
    return Workstation(
        name=name,
        employee_id=None if employee is None else str(employee),
        sip_lines=tuple(str(x) for x in lines),
        extension=None if extension is None else str(extension),
    )


def resolve_workstation(
    name: str, configured: dict[str, Workstation], staff: dict[str, StaffMember]
) -> Workstation:
    """The configured workstation, else the employee of that id or name with their lines."""
    found = configured.get(name)
    if found is not None:
        if not found.sip_lines and found.employee_id in staff:
            lines = staff[found.employee_id].sip_lines
            return Workstation(found.name, found.employee_id, lines, found.extension)
        return found
    for member in staff.values():
        if name in (member.id, member.name):
            return Workstation(name, member.id, member.sip_lines)
    known = sorted(configured) or ["(none configured)"]
    raise ConfigError(
        f"unknown workstation {name!r}: configure it in --workstations "
        f"(known: {', '.join(known)}) or name an employee of the clinic data",
        setting="workstation",
    )
