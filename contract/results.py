"""What a verification produces: check results, the capabilities they prove, and the report.

A result's texts are `Msg` (a catalog key and its parameters), translated
only when rendered, so one run renders in English and in Russian.

The report's verdict is what a clinic administrator acts on: a required
check that fails means data would be lost, repeated or corrupted, or a
feature the provider offers is broken (FAILED); a feature the provider does
not offer at all (`Status.ABSENT`) only narrows what the clinic can use
(PARTIAL); otherwise the provider PASSED. How the provider reads the open
points of the public description is reported as findings, never as failures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "CAPABILITY_CHECKS",
    "Capability",
    "CapabilityRow",
    "Msg",
    "Outcome",
    "Report",
    "Requirement",
    "Result",
    "Status",
    "Support",
    "Verdict",
]


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARNING = "warning"
    SKIPPED = "skipped"  # not checked (optional, or needs a flag)
    ABSENT = "absent"  # the provider does not offer this at all (a fact, not a defect)


class Requirement(StrEnum):
    """The four requirements (a)-(d) of provider.v1.yaml, plus access rules and optional extras."""

    HISTORY = "a"  # (a) stored call history for any period
    CURRENT = "b"  # (b) the list of current calls
    RECORDINGS = "c"  # (c) recordings with public links
    TRACKING = "d"  # (d) UTM tags and referrer
    ACCESS = "access"  # keys and errors (applies to all four)
    EXTRAS = "extras"  # site leads, schedule, callback
    STABILITY = "stability"  # 5xx answers, timeouts and resets, counted apart


class Capability(StrEnum):
    """What the clinic's software does with a provider: the rows of the capability table."""

    REPORTS = "reports"  # call-history reports (needs (a) and access rules)
    CALLER_CARD = "caller_card"  # the caller card during a call (b)
    RECORDINGS = "recordings"  # listening to recordings (c)
    TRACKING = "tracking"  # dynamic call tracking (d)
    CLICK_TO_CALL = "click_to_call"  # provider callback (callto: links work anyway)


class Support(StrEnum):
    YES = "yes"  # checked and works
    BROKEN = "broken"  # offered, but a check failed
    NO = "no"  # not offered by this provider
    UNCONFIRMED = "unconfirmed"  # offered, but could not be observed or was not checked


class Verdict(StrEnum):
    PASSED = "passed"
    PARTIAL = "partial"  # nothing broken, some features not offered
    FAILED = "failed"


# which check results decide each capability (conformance results count by requirement)
CAPABILITY_CHECKS: dict[Capability, tuple[Requirement, ...]] = {
    Capability.REPORTS: (Requirement.HISTORY, Requirement.ACCESS),
    Capability.CALLER_CARD: (Requirement.CURRENT,),
    Capability.RECORDINGS: (Requirement.RECORDINGS,),
    Capability.TRACKING: (Requirement.TRACKING,),
    Capability.CLICK_TO_CALL: (),
}
CALLBACK_CHECK = "callback_places_a_call_listed_as_current"


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
    """What a check function returns: its verdict, one-line summary, evidence and findings.

    `findings` say which reading of an open point the provider follows; they
    inform and never change the verdict.
    """

    status: Status
    summary: Msg
    evidence: list[Msg] = field(default_factory=list)
    findings: list[Msg] = field(default_factory=list)
    ask: bool = False  # a warning the provider should still be asked to fix


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

    @property
    def worth_asking(self) -> bool:
        """Whether the provider should be asked to fix what this result found."""
        return self.blocking or (self.outcome.status is Status.WARNING and self.outcome.ask)


@dataclass(frozen=True, slots=True)
class CapabilityRow:
    capability: Capability
    support: Support
    because: list[str]  # check ids that decided it


@dataclass(slots=True)
class Report:
    target: str
    period_from: str
    period_to: str
    started: str
    seconds: float
    requests: int
    results: list[Result]
    tz: str = ""  # the clinic's offset the report shows times in, e.g. "+03:00"

    @property
    def passed(self) -> bool:
        """No required check failed (a provider offering less passes for what it offers)."""
        return not any(r.blocking for r in self.results)

    def by_requirement(self) -> list[tuple[Requirement, list[Result]]]:
        return [
            (req, [r for r in self.results if r.requirement is req])
            for req in Requirement
            if any(r.requirement is req for r in self.results)
        ]

    def verdict(self, requirement: Requirement) -> Status:
        """The worst status among the requirement's required results (optional ones inform,
        unless the requirement has only optional ones, like stability)."""
        mine = [r for r in self.results if r.requirement is requirement]
        statuses = {r.status for r in mine if r.required} or {r.status for r in mine}
        for status in (Status.FAIL, Status.WARNING, Status.PASS, Status.ABSENT):
            if status in statuses:
                return status
        return Status.SKIPPED

    def support(self, capability: Capability) -> CapabilityRow:
        """Whether the provider supports one feature of the clinic's software, and why."""
        if capability is Capability.CLICK_TO_CALL:
            found = [r for r in self.results if r.check_id == CALLBACK_CHECK]
        else:
            reqs = CAPABILITY_CHECKS[capability]
            found = [r for r in self.results if r.requirement in reqs and r.required]
        return CapabilityRow(capability, _support(found, capability), [r.check_id for r in found])

    def capabilities(self) -> list[CapabilityRow]:
        return [self.support(c) for c in Capability]

    def overall(self) -> Verdict:
        if not self.passed or self.support(Capability.REPORTS).support is not Support.YES:
            return Verdict.FAILED
        if any(row.support is Support.NO for row in self.capabilities()):
            return Verdict.PARTIAL
        return Verdict.PASSED

    def to_ask(self) -> list[Result]:
        """What to ask the provider to fix: failures first, then warnings worth raising."""
        asked = [r for r in self.results if r.worth_asking]
        return sorted(asked, key=lambda r: (not r.blocking, r.requirement is Requirement.STABILITY))

    def findings(self) -> list[Msg]:
        """How the provider reads the open points, in check order, without repeats."""
        seen: list[Msg] = []
        for result in self.results:
            seen.extend(f for f in result.outcome.findings if f not in seen)
        return seen


def _support(found: list[Result], capability: Capability) -> Support:
    statuses = {r.status for r in found}
    if Status.FAIL in statuses and any(r.required or r.check_id == CALLBACK_CHECK for r in found):
        return Support.BROKEN
    if capability is not Capability.REPORTS and Status.ABSENT in statuses:
        return Support.NO
    if Status.ABSENT in statuses:  # no history at all: nothing works
        return Support.BROKEN
    if found and statuses <= {Status.PASS}:
        return Support.YES
    if Status.PASS in statuses and statuses <= {Status.PASS, Status.WARNING}:
        # a warning (e.g. invalid input accepted) never takes a working feature away
        return Support.YES if capability is Capability.REPORTS else Support.UNCONFIRMED
    return Support.UNCONFIRMED
