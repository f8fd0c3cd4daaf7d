"""A fault aims only at what exists: faces, their methods, and the fields its kind uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import pytest
from aiohttp.test_utils import TestClient
from click.testing import CliRunner

from mockpbx.cli import main
from mockpbx.providers.clinic.routes import create_face
from mockpbx.providers.mango.routes import LINK_METHOD, METHODS
from mockpbx.providers.uis.callapi import CALL_METHODS
from mockpbx.providers.uis.dataapi import DATA_METHODS
from mockpbx.scenarios.fault_targets import FAULT_METHODS
from mockpbx.scenarios.model import FAULT_FIELDS, FAULT_KINDS, FaultKind
from mockpbx.state import ServerState

Client = TestClient  # type: ignore[type-arg]


def test_fault_kinds__are_the_literal_itself() -> None:
    """FAULT_KINDS is derived from FaultKind, and every kind says which fields it uses."""
    assert get_args(FaultKind) == FAULT_KINDS
    assert set(FAULT_FIELDS) == set(FAULT_KINDS)


def test_fault_methods__are_the_faces_own_method_tables(state: ServerState) -> None:
    """The scenario layer's list of methods equals what each face routes."""
    clinic_names = {r.name for r in create_face(state).router.routes() if r.name}
    assert set(FAULT_METHODS["uis"]) == set(DATA_METHODS) | set(CALL_METHODS)
    assert set(FAULT_METHODS["mango"]) == set(METHODS) | {LINK_METHOD}
    assert set(FAULT_METHODS["clinic"]) == clinic_names


@pytest.mark.parametrize(
    ("body", "field", "names"),
    [
        ({"face": "uiss", "kind": "reset"}, "face", ["'*'", "'clinic'", "'mango'", "'uis'"]),
        (
            {"face": "uis", "method": "get.call_report", "kind": "reset"},
            "method",
            ["'get.calls_report'", "'login.user'"],
        ),
        (
            {"face": "mango", "method": "get.calls_report", "kind": "reset"},
            "method",
            ["'stats/request'", "'commands/callback'"],
        ),
        ({"face": "uis", "kind": "explode"}, "kind", ["'latency'", "'expire_token'"]),
        ({"face": "uis", "kind": "rate_limit", "status": 500}, "status", ["'retry_after'"]),
    ],
)
async def test_unknown_face_method_kind_or_field__is_refused_naming_what_is_known(
    client: Client, body: dict[str, Any], field: str, names: list[str]
) -> None:
    """A typo in face, method or kind, or a field the kind ignores, gets a 400 like the rest."""
    resp = await client.post("/_mockpbx/faults", json=body)
    assert resp.status == 400
    answer = await resp.json()
    assert answer["field"] == field
    assert answer["error"].startswith(f"fault: {field}: ")
    assert "Value error" not in answer["error"]
    for name in names:
        assert name in answer["error"]
    assert (await (await client.get("/_mockpbx/faults")).json())["faults"] == []


async def test_a_method_of_any_face__is_accepted_for_face_star(client: Client) -> None:
    resp = await client.post(
        "/_mockpbx/faults", json={"face": "*", "method": "stats/request", "kind": "reset"}
    )
    assert resp.status == 201


@pytest.mark.parametrize(
    ("body", "echo"),
    [
        (
            {"face": "uis", "kind": "rate_limit", "count": 2},
            {"face": "uis", "method": "*", "kind": "rate_limit", "count": 2, "retry_after": 1},
        ),
        (
            {"face": "clinic", "kind": "duplicate_rows"},
            {"face": "clinic", "method": "*", "kind": "duplicate_rows", "rows": 1},
        ),
        (
            {"face": "mango", "kind": "expire_token"},
            {"face": "mango", "method": "*", "kind": "expire_token"},
        ),
    ],
)
async def test_echo__holds_only_the_fields_the_kind_uses(
    client: Client, body: dict[str, Any], echo: dict[str, Any]
) -> None:
    """POST and GET echo the fault with its own fields, not every kind's defaults."""
    posted = await (await client.post("/_mockpbx/faults", json=body)).json()
    listed = (await (await client.get("/_mockpbx/faults")).json())["faults"][0]
    bookkeeping = {"id", "hits", "remaining"}
    for shown in (posted, listed):
        assert {k: v for k, v in shown.items() if k not in bookkeeping} == echo
        assert shown["hits"] == 0


def test_scenario_file_with_an_unknown_method__fails_validate_with_exit_2(
    tmp_path: Path,
) -> None:
    """`mockpbx scenarios validate` names the file and the fault's field path."""
    path = tmp_path / "bad.yaml"
    path.write_text(
        "faults:\n  - {face: mango, method: get.calls_report, kind: rate_limit}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["scenarios", "validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}: faults[0].method: Input should be '*' or a mango method:" in result.output
