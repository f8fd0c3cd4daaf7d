"""The clinic face against the clinic spec (contract/openapi/provider.v1.yaml) with Schemathesis.

Valid and invalid requests to every operation, with the key and without:
never a 5xx or a traceback; every refusal in the contract's error shape
`{"error": code, "message": text}`; statuses the spec documents.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi import checks as oas

from mockpbx.testing import MockPBXServer

from .conftest import clean, json_of, no_server_error

SPEC = Path(__file__).parents[2] / "contract" / "openapi" / "provider.v1.yaml"
SCHEMA = schemathesis.openapi.from_path(str(SPEC))
OPERATIONS = {r.ok().label: r.ok() for r in SCHEMA.get_all_operations() if isinstance(r, Ok)}
CHECKS = [oas.status_code_conformance, oas.content_type_conformance]


def test_spec__loads_every_operation() -> None:
    assert len(OPERATIONS) == sum(1 for _ in SCHEMA.get_all_operations())
    assert len(OPERATIONS) >= 5


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_generated_requests__get_answers_in_the_contract_shape(
    pbx: MockPBXServer, http: requests.Session, label: str
) -> None:
    operation = OPERATIONS[label]
    base = pbx.credentials["clinic"]["url"]
    key = {"IDENT-Integration-Key": pbx.credentials["clinic"]["key"]}
    bad: list[str] = []

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @settings(
            max_examples=12,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            for headers in (key, {}):
                resp = case.call(base_url=base, session=http, headers=headers, timeout=30)
                what = f"{case.method} {resp.request.url} {sorted(headers)}"
                no_server_error(resp, what)
                if resp.status_code >= 400:
                    body = json_of(resp, what)
                    assert isinstance(body.get("error"), str), what
                    assert isinstance(body.get("message"), str), what
                try:
                    case.validate_response(resp, checks=CHECKS, headers=headers)
                except FailureGroup as group:
                    bad.extend(f"{what} -> {resp.status_code}: {f.title}" for f in group.exceptions)
            pbx.faults.clear()

        try:
            run()
        except Exception as exc:  # Unsatisfiable: nothing to make invalid
            if type(exc).__name__ != "Unsatisfiable":
                raise
    assert bad == []
    clean(pbx)
