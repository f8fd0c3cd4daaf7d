"""Schemathesis conformance: the provider answers generated requests as the spec documents.

For every operation the run may touch (GET only by default: a live provider
is never sent a write it did not ask for), Schemathesis generates valid
requests (they must be accepted and answered with documented statuses, types
and response schemas) and invalid ones (they must be refused with 4xx), and
no request may get a 5xx. Requests share the verifier's rate limit. The
integration key is sent as a fixed header; keys themselves are the job of
`missing_or_wrong_keys_are_refused`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from contract.openapi import load_spec
from contract.probe import KEY_HEADER, UNSTABLE_TRIES, Probe, failure_kind, unstable_status
from contract.results import Msg, Outcome, Requirement, Status

__all__ = ["READ_ONLY", "Conformance", "run_conformance"]

READ_ONLY = ("GetFinishedCalls", "GetOngoingCalls", "GetTickets")
WRITES = ("PostTimeTable",)
CALLS = ("StartCallback",)
REQUIREMENT = {
    "GetFinishedCalls": Requirement.HISTORY,
    "GetOngoingCalls": Requirement.CURRENT,
}
MAX_FINDINGS = 5


@dataclass(slots=True)
class Conformance:
    """Findings for one operation across positive and negative examples."""

    operation: str
    sent: int = 0
    findings: dict[str, Msg] = field(default_factory=dict)  # failure title -> example
    warnings: dict[str, Msg] = field(default_factory=dict)  # schema-level only: title -> example

    def outcome(self) -> Outcome:
        params = {"operation": self.operation, "n": self.sent}
        if not self.sent:
            return Outcome(Status.FAIL, Msg("sum.conformance_unreachable", params))
        if self.findings:
            return Outcome(
                Status.FAIL, Msg("sum.conformance_bad", params), _evidence(self.findings)
            )
        if self.warnings:
            summary = Msg("sum.conformance_lenient", params)
            return Outcome(Status.WARNING, summary, _evidence(self.warnings), ask=True)
        return Outcome(Status.PASS, Msg("sum.conformance_ok", params))

    def add(self, title: str, example: Msg, negative: bool) -> None:
        """Invalid input accepted, or crashing on it, is schema-level: a warning, not a failure."""
        lenient = negative and title in SCHEMA_LEVEL
        (self.warnings if lenient else self.findings).setdefault(title, example)


SCHEMA_LEVEL = {
    "Schema-violating request accepted",
    "Missing required header accepted",
    "Server error",
}


def _evidence(found: dict[str, Msg]) -> list[Msg]:
    return [
        Msg("ev.conformance", {"title": Msg("conf." + t, {}), "example": e})
        for t, e in found.items()
    ]


def _schema_without_auth(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec minus security, so generated cases never drop or mangle the key header."""
    spec.pop("security", None)
    spec.get("components", {}).pop("securitySchemes", None)
    for item in spec.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("security", None)
    return spec


def operations(allow_writes: bool, allow_calls: bool) -> tuple[str, ...]:
    return READ_ONLY + (WRITES if allow_writes else ()) + (CALLS if allow_calls else ())


def run_conformance(
    probe: Probe,
    *,
    period: tuple[datetime, datetime] | None = None,
    max_examples: int = 25,
    allow_writes: bool = False,
    allow_calls: bool = False,
    seed: int | None = 0,
) -> list[Conformance]:
    """Generated positive and negative requests against each allowed operation."""
    import schemathesis
    from schemathesis.core.result import Ok

    schema = schemathesis.openapi.from_dict(_schema_without_auth(load_spec()))
    allowed = operations(allow_writes, allow_calls)
    found = []
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            continue
        operation = result.ok()
        name = operation.definition.raw.get("operationId", operation.label)
        if name in allowed:
            report = _run_operation(probe, operation, name, max_examples, seed)
            if period is not None and name in READ_ONLY:
                _run_samples(probe, operation, period, report)
            found.append(report)
    return found


def _run_samples(
    probe: Probe, operation: Any, period: tuple[datetime, datetime], report: Conformance
) -> None:
    """Real data too: random periods rarely hit any, so validate the run's own period."""
    import requests

    queries: list[dict[str, Any] | None] = [None]
    if any(p.name == "dateTimeFrom" for p in operation.query):
        span = {"dateTimeFrom": period[0].isoformat(), "dateTimeTo": period[1].isoformat()}
        queries = [{**span, "limit": 1000}, {**span, "limit": 7, "offset": 3}]
    with requests.Session() as session:
        for query in queries:
            _send_and_check(probe, session, operation.Case(query=query), report)


def _run_operation(
    probe: Probe, operation: Any, name: str, max_examples: int, seed: int | None
) -> Conformance:
    import requests
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

    report = Conformance(name)
    session = requests.Session()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        negative = mode is GenerationMode.NEGATIVE

        @settings(
            max_examples=max_examples,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            derandomize=seed is not None,
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def examples(case: Any) -> None:
            _send_and_check(probe, session, case, report, negative)  # noqa: B023 -- run in this iteration

        if seed is not None:
            examples = hypothesis_seed(seed)(examples)
        try:
            examples()
        except Unsatisfiable:  # e.g. no parameters to make invalid: nothing negative to send
            continue
    session.close()
    return report


def _checks() -> list[Any]:
    """Response checks only: none of them sends extra requests (no other methods, no auth games)."""
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi import checks as oas

    return [
        not_a_server_error,
        oas.status_code_conformance,
        oas.content_type_conformance,
        oas.response_headers_conformance,
        oas.response_schema_conformance,
        oas.negative_data_rejection,
        oas.positive_data_acceptance,
    ]


def _call(probe: Probe, session: Any, case: Any, headers: dict[str, str]) -> Any:
    """Send one case, retrying unstable answers like `Probe.send` (counted the same way)."""
    import requests

    failed, response, error = 0, None, None
    for _ in range(UNSTABLE_TRIES):
        if probe.gone:
            break
        probe.count()
        try:
            response = case.call(
                base_url=probe.base_url, session=session, headers=headers, timeout=15
            )
        except requests.RequestException as exc:
            probe.answered(False)
            response, error = None, exc
            kind = "timeout" if isinstance(exc, requests.Timeout) else "reset"
            probe.instability.note(kind, _no_answer(case, exc))
        else:
            probe.answered(True)
            if not unstable_status(response.status_code):
                break
            request = probe.redact(f"{case.method} {response.request.url}")
            example = Msg("ev.status", {"request": request, "status": response.status_code})
            probe.instability.note(failure_kind(response.status_code, None), example)
        failed += 1
    still = response is None or unstable_status(response.status_code)
    probe.settle(failed, still, invalid=True)
    if response is None:
        raise requests.ConnectionError(error)
    return response


def _send_and_check(
    probe: Probe, session: Any, case: Any, report: Conformance, negative: bool = False
) -> None:
    import requests
    from schemathesis.core.failures import FailureGroup

    if len(report.findings) + len(report.warnings) >= MAX_FINDINGS or probe.gone:
        return
    headers = {KEY_HEADER: probe.key}
    try:
        response = _call(probe, session, case, headers)
    except requests.RequestException as exc:
        report.findings.setdefault("no answer", _no_answer(case, exc))
        return
    report.sent += 1
    try:
        case.validate_response(
            response,
            checks=_checks(),
            headers=headers,
            transport_kwargs={"base_url": probe.base_url},
        )
    except FailureGroup as group:
        for failure in group.exceptions:
            detail = (failure.message or "").strip().splitlines()
            report.add(failure.title, _example(probe, case, response, detail[:1]), negative)
    except AssertionError as exc:  # a single failure raised bare
        tool_said = Msg("ev.tool_said", {"detail": repr(probe.redact(str(exc)[:300]))})
        report.add(type(exc).__name__, tool_said, negative)


def _no_answer(case: Any, exc: BaseException) -> Msg:
    """No answer to a generated request: the request and the exception's class, as data."""
    request = f"{case.method} {case.formatted_path}"
    return Msg("ev.no_answer", {"request": request, "error": type(exc).__name__})


def _example(probe: Probe, case: Any, response: Any, detail: list[str]) -> Msg:
    """A failing generated request: the request, the status, and Schemathesis's words quoted."""
    request = probe.redact(f"{case.method} {response.request.url}")
    params = {"request": request, "status": response.status_code}
    if not detail:
        return Msg("ev.status", params)
    said = Msg("ev.tool_said", {"detail": repr(probe.redact(detail[0][:200]))})
    return Msg("ev.status_and_detail", {**params, "detail": said})
