"""Structural profiles of answers: field paths, types, values, time formats and offsets.

A profile is what the fidelity report compares; it never holds a whole
answer, only per field path ("result.data[].start_time", "[].Id") the types
seen, a bounded sample of string values, time formats and UTC offsets.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FieldStat", "Profile", "error_of", "time_format", "type_name"]

_TIME_FORMATS = [
    ("iso_offset", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?[+-]\d\d:\d\d$")),
    ("iso_z", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$")),
    ("iso_ms", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+$")),
    ("iso_local", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")),
    ("space", re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?$")),
    ("date", re.compile(r"^\d{4}-\d\d-\d\d$")),
]
_OFFSET = re.compile(r"([+-]\d\d:\d\d|Z)$")
_ENUM = re.compile(r"^[A-Za-zА-Яа-яЁё_][\w\- .]{0,40}$")
_SAMPLE = 64  # distinct string values kept per field


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def time_format(value: str) -> str | None:
    """The format class of a point in time written as a string, if it is one."""
    if len(value) < 10 or not value[:4].isdigit():
        return None
    for name, pattern in _TIME_FORMATS:
        if pattern.match(value):
            return name
    return None


@dataclass(slots=True)
class FieldStat:
    types: Counter[str] = field(default_factory=Counter)
    values: Counter[str] = field(default_factory=Counter)
    formats: Counter[str] = field(default_factory=Counter)
    offsets: Counter[str] = field(default_factory=Counter)
    example: Any = None

    def add(self, value: Any) -> None:
        kind = type_name(value)
        self.types[kind] += 1
        if self.example is None and value is not None and kind not in ("array", "object"):
            self.example = value
        if kind != "string":
            return
        fmt = time_format(value)
        if fmt is not None:
            self.formats[fmt] += 1
            m = _OFFSET.search(value) if fmt.startswith("iso_") else None
            self.offsets[m.group(1) if m else "none"] += 1
        elif value in self.values or len(self.values) < _SAMPLE:
            self.values[value] += 1

    @property
    def count(self) -> int:
        return sum(self.types.values())

    def enum_values(self) -> set[str] | None:
        """The values, if the field looks like an enumeration (few, word-like, repeated)."""
        if not self.values or self.formats or len(self.values) > 12:
            return None
        if not all(_ENUM.match(v) and not any(c.isdigit() for c in v) for v in self.values):
            return None
        if sum(self.values.values()) < 2 * len(self.values):
            return None
        return set(self.values)


@dataclass(slots=True)
class Profile:
    """The shape of every answer one method gave."""

    replies: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    content_types: Counter[str] = field(default_factory=Counter)
    fields: dict[str, FieldStat] = field(default_factory=dict)
    containers: Counter[str] = field(default_factory=Counter)  # paths that held a value

    def add(self, status: int, content_type: str, body: Any) -> None:
        self.replies += 1
        self.statuses[status] += 1
        self.content_types[content_type.lower().replace(" ", "")] += 1
        self._walk(body, "")

    def _walk(self, value: Any, path: str) -> None:
        self.containers[path] += 1
        if isinstance(value, dict):
            for k, v in value.items():
                child = f"{path}.{k}" if path else str(k)
                self.fields.setdefault(child, FieldStat()).add(v)
                self._walk(v, child)
        elif isinstance(value, list):
            for v in value:
                self._walk(v, f"{path}[]")


def error_of(face: str, status: int, body: Any) -> str | None:
    """The provider error an answer carries, as "code mnemonic" (None for a success)."""
    if not isinstance(body, dict):
        return f"HTTP {status}" if status >= 400 else None
    if face.startswith("uis"):
        err = body.get("error")
        if isinstance(err, dict):
            data = err.get("data")
            data = data if isinstance(data, dict) else {}
            return f"{err.get('code')} {data.get('mnemonic', '')}".strip()
        return None
    if face == "mango":
        code = body.get("result", body.get("code"))
        if code is not None and str(code) != "1000":
            return f"result {code}"
        return f"HTTP {status}" if status >= 400 else None
    if status >= 400:
        return str(body.get("error", f"HTTP {status}"))
    return None
