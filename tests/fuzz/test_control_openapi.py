"""The control plane against its own OpenAPI document (Schemathesis), and the document itself.

The document must validate (every `$ref` resolves, every schema compiles,
Schemathesis loads every operation) and match the server: each described
operation is a route and each route is described; generated requests, valid
and invalid, get only documented statuses and content types, never a 5xx.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi import checks as oas

from mockpbx.app import create_state
from mockpbx.control.openapi import document
from mockpbx.control.routes import create_control
from mockpbx.scenarios.model import Scenario
from mockpbx.testing import DEFAULT_START, MockPBXServer

from .conftest import clean, no_server_error

DOC = document()
# World rebuilds (seed, scenario, reset) cost more per request: fewer of them.
EXAMPLES = {"POST /_mockpbx/scenario": 8, "POST /_mockpbx/seed": 8, "POST /_mockpbx/reset": 3}


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _resolve(ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = DOC
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def test_document__every_ref_resolves() -> None:
    """The `#/$defs/FaultWindow` of pydantic's schema once pointed nowhere."""
    refs = set(_refs(DOC))
    assert "#/components/schemas/FaultWindow" in refs
    for ref in refs:
        assert _resolve(ref) is not None, ref


def test_document__every_schema_compiles() -> None:
    for name, schema in DOC["components"]["schemas"].items():
        standalone = {**schema, "components": DOC["components"]}
        text = json.dumps(standalone)
        jsonschema_rs.validator_for(json.loads(text))  # raises on an invalid schema
        assert name


def test_document__loads_every_operation_in_schemathesis() -> None:
    schema = schemathesis.openapi.from_dict(DOC)
    results = list(schema.get_all_operations())
    assert results
    bad = [r for r in results if not isinstance(r, Ok)]
    assert bad == []


def test_document__describes_only_routes_that_exist() -> None:
    app = create_control(create_state(seed=1, start=DEFAULT_START))
    registered = {
        ("/_mockpbx" + r.resource.canonical, r.method.lower())
        for r in app.router.routes()
        if r.resource is not None
    }
    described = {(path, method) for path, ops in DOC["paths"].items() for method in ops}
    assert described - registered == set()


def _operations() -> list[Any]:
    schema = schemathesis.openapi.from_dict(DOC)
    return [r.ok() for r in schema.get_all_operations() if isinstance(r, Ok)]


OPERATIONS = {op.label: op for op in _operations()}


def _restore(pbx: MockPBXServer) -> None:
    """Undo what a generated request changed: faults, a far clock, another world."""

    def drifted(state: Any) -> bool:
        far = state.world.clock.now() > DEFAULT_START.replace(year=DEFAULT_START.year + 1)
        return far or state.seed != 1 or state.world.meta.get("scenario") != "default"

    pbx.faults.clear()
    if pbx.call(drifted):
        pbx.call(lambda s: setattr(s, "start", DEFAULT_START))
        pbx.call(lambda s: setattr(s, "rate", 0.0))
        pbx.reset(seed=1, scenario=Scenario())
    pbx.clock.set_rate(0)


CHECKS = [oas.status_code_conformance, oas.content_type_conformance]


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_generated_requests__get_documented_answers(
    pbx: MockPBXServer, http: requests.Session, label: str
) -> None:
    """Valid and invalid requests to each operation: no 5xx, only documented statuses."""
    operation = OPERATIONS[label]
    headers = pbx.control_headers
    bad: list[str] = []

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @settings(
            max_examples=EXAMPLES.get(label, 8),
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            resp = case.call(
                base_url=pbx.url, session=http, headers=headers, timeout=30, allow_redirects=False
            )
            what = f"{case.method} {resp.request.url}"
            no_server_error(resp, what)
            try:
                case.validate_response(resp, checks=CHECKS, headers=headers)
            except FailureGroup as group:
                bad.extend(f"{what} -> {resp.status_code}: {f.title}" for f in group.exceptions)
            if resp.status_code >= 400:
                assert "error" in resp.json(), what
            _restore(pbx)

        try:
            run()
        except Exception as exc:  # Unsatisfiable: nothing to make invalid
            if type(exc).__name__ != "Unsatisfiable":
                raise
    assert bad == []
    clean(pbx)


def test_without_the_token__every_guarded_operation_is_401(
    pbx: MockPBXServer, http: requests.Session
) -> None:
    for label, operation in OPERATIONS.items():
        if operation.definition.raw.get("security") == []:
            continue
        path = re.sub(r"\{[^}]+\}", "1", operation.path)
        resp = http.request(operation.method.upper(), pbx.url + path, timeout=30)
        assert resp.status_code == 401, label
        assert resp.json()["field"] == "Authorization"
