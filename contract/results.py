"""What a verification produces: check results grouped by requirement, and the report.

A result's texts are `Msg` (a catalog key and its parameters), translated
only when rendered, so one run renders in English and in Russian.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["Msg", "Outcome", "Report", "Requirement", "Result", "Status"]


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARNING = "warning"
    SKIPPED = "skipped"  # not checked (optional, or needs a flag)


class Requirement(StrEnum):
    """The four requirements of DESIGN.md, plus access rules and optional features."""

    HISTORY = "a"  # (a) stored call history for any period
    CURRENT = "b"  # (b) the list of current calls
    RECORDINGS = "c"  # (c) recordings with public links
    TRACKING = "d"  # (d) UTM tags and referrer
    ACCESS = "access"  # keys and errors (applies to all four)
    EXTRAS = "extras"  # site leads, schedule, callback


@dataclass(frozen=True, slots=True)
class Msg:
    """A translatable text: a catalog key and its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def raw(cls, text: str) -> Msg:
        return cls("raw", {"text": text})


@dataclass(slots=True)
class Outcome:
    """What a check function returns: its verdict, one-line summary and evidence."""

    status: Status
    summary: Msg
    evidence: list[Msg] = field(default_factory=list)


@dataclass(slots=True)
class Result:
    check_id: str
    requirement: Requirement
    required: bool
    outcome: Outcome
    seconds: float = 0.0

    @property
    def status(self) -> Status:
        return self.outcome.status

    @property
    def blocking(self) -> bool:
        """Whether this result makes the verification fail."""
        return self.required and self.outcome.status is Status.FAIL


@dataclass(slots=True)
class Report:
    target: str
    period_from: str
    period_to: str
    started: str
    seconds: float
    requests: int
    results: list[Result]

    @property
    def passed(self) -> bool:
        return not any(r.blocking for r in self.results)

    def by_requirement(self) -> list[tuple[Requirement, list[Result]]]:
        return [
            (req, [r for r in self.results if r.requirement is req])
            for req in Requirement
            if any(r.requirement is req for r in self.results)
        ]

    def verdict(self, requirement: Requirement) -> Status:
        """The worst status among the requirement's required results (optional ones inform)."""
        statuses = {r.status for r in self.results if r.requirement is requirement and r.required}
        for status in (Status.FAIL, Status.WARNING, Status.PASS):
            if status in statuses:
                return status
        return Status.SKIPPED
